-- Payments: one row per PaymentIntent the shop creates for an order, and the payment provider's
-- webhook events, stored once each and applied by a worker. Kept in step with migrations/postgres.

CREATE TABLE payments (
    id                INTEGER PRIMARY KEY,
    order_id          INTEGER NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    provider          TEXT NOT NULL CHECK (provider IN ('stripe', 'test_gateway')),
    payment_intent_id TEXT NOT NULL UNIQUE,
    amount_minor      BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    status            TEXT NOT NULL CHECK (status IN ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled')),
    -- The provider's word on the last failed attempt, as a shopper may read it.
    last_error        TEXT,
    -- When the provider created the newest event applied to this row (seconds since 1970): older
    -- events arriving late change nothing.
    last_event_at     BIGINT NOT NULL DEFAULT 0,
    amount_refunded_minor BIGINT NOT NULL DEFAULT 0 CHECK (amount_refunded_minor >= 0),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX payments_order_idx ON payments (order_id, id);

CREATE TABLE webhook_events (
    id                INTEGER PRIMARY KEY,
    provider_event_id TEXT NOT NULL UNIQUE,
    event_type        TEXT NOT NULL,
    -- The verified body, as received.
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    last_error        TEXT,
    received_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    processed_at      TEXT
);
CREATE INDEX webhook_events_due_idx ON webhook_events (status, next_attempt_at);
