-- Who has been told that a product they liked is running out: each shopper at most once per
-- product (checkout::repo). Kept in step with migrations/postgres.

CREATE TABLE low_stock_notices (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    PRIMARY KEY (product_id, user_id)
);
CREATE INDEX low_stock_notices_user_idx ON low_stock_notices (user_id);
