-- Failed sign-ins, counted per account (by the address typed, registered or not, so the count
-- reveals nothing) and per client IP. A subject is 'account:<email>' or 'ip:<address>'.
-- Identical in migrations/sqlite.
CREATE TABLE sign_in_failures (
    subject        TEXT PRIMARY KEY NOT NULL,
    failures       INTEGER NOT NULL CHECK (failures > 0),
    locked_until   TIMESTAMPTZ,
    last_failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_last_failed_idx ON sign_in_failures (last_failed_at);
