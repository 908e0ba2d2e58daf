-- A CSV file of products a staff member uploaded: checked first by a background job (a dry run in
-- batches, whose errors and counts are kept here), then applied in batches by the same job, which
-- records how many products each pass has done, so the progress survives a reload and a restart. Kept in step with
-- migrations/postgres.

CREATE TABLE product_imports (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    file_name     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('checking', 'refused', 'checked', 'queued', 'applying', 'applied')),
    lines         INTEGER NOT NULL,
    products      INTEGER NOT NULL,
    products_checked INTEGER NOT NULL DEFAULT 0,
    products_done INTEGER NOT NULL DEFAULT 0,
    summary       TEXT NOT NULL,
    errors        TEXT NOT NULL,
    lease_until   TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    -- Last: SQLite reads a row's columns in order, so the rest is read without the file.
    content       TEXT NOT NULL
);
CREATE INDEX product_imports_status_idx ON product_imports (status);
