-- Sign-in attempts that have not succeeded, counted per account (by the address typed, registered
-- or not, so the count reveals nothing) and per client IP. A subject is 'account:<email>' or
-- 'ip:<address>'. An attempt is counted before the password is checked and forgiven if it succeeds.
-- Identical in migrations/postgres.
CREATE TABLE sign_in_failures (
    subject        TEXT PRIMARY KEY NOT NULL,
    failures       INTEGER NOT NULL CHECK (failures >= 0),
    locked_until   TEXT,
    last_failed_at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_last_failed_idx ON sign_in_failures (last_failed_at);
