-- The built-in test payment gateway's own records (server/test_gateway.rs): the PaymentIntents it
-- holds, as Stripe would, and the events it owes the shop's webhook, kept until delivered so that
-- a restart loses none. Used only when the shop runs without Stripe keys. Kept in step with
-- migrations/sqlite.

CREATE TABLE test_gateway_intents (
    id              TEXT PRIMARY KEY NOT NULL,
    idempotency_key TEXT UNIQUE,
    client_secret   TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    metadata        TEXT NOT NULL,
    status          TEXT NOT NULL,
    -- The last failed attempt's error, as Stripe's JSON.
    last_error      TEXT,
    amount_refunded BIGINT NOT NULL DEFAULT 0,
    created         BIGINT NOT NULL
);

CREATE TABLE test_gateway_events (
    id              TEXT PRIMARY KEY NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX test_gateway_events_due_idx ON test_gateway_events (delivered_at, next_attempt_at);
