-- The client addresses each account has signed in from. Sign-in failures are counted per account
-- and client ('account:<email> from:<address>'), which locks, and per account ('account:<email>'),
-- which only clients never seen signing in to it are held to: someone guessing an account's
-- password from elsewhere cannot keep its owner out. Rows unused for 90 days are forgotten.
-- Kept in step with migrations/postgres.
CREATE TABLE known_clients (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip           TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (user_id, ip)
);
CREATE INDEX known_clients_last_seen_idx ON known_clients (last_seen_at);
