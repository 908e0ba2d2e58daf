-- Staff adjust stock with a reason of their own: goods received, damaged, a correction, a customer's
-- return or a count. SQLite cannot change a CHECK in place, so the ledger is copied into a table
-- with the wider one (nothing refers to it). Kept in step with migrations/postgres.

CREATE TABLE stock_movements_new (
    id            INTEGER PRIMARY KEY,
    variant_id    INTEGER NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    delta         INTEGER NOT NULL CHECK (delta <> 0),
    reason        TEXT NOT NULL CHECK (reason IN ('initial', 'restock', 'adjustment', 'sale', 'return', 'cancellation',
                                                  'received', 'damaged', 'correction', 'count')),
    order_id      BIGINT,
    actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
INSERT INTO stock_movements_new (id, variant_id, delta, reason, order_id, actor_user_id, note, created_at)
    SELECT id, variant_id, delta, reason, order_id, actor_user_id, note, created_at FROM stock_movements;
DROP TABLE stock_movements;
ALTER TABLE stock_movements_new RENAME TO stock_movements;
CREATE INDEX stock_movements_variant_idx ON stock_movements (variant_id, created_at);
CREATE INDEX stock_movements_actor_idx ON stock_movements (actor_user_id);
