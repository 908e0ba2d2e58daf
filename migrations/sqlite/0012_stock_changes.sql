-- A stock change a shopper can see (0007) no longer moves the catalog generation, which empties
-- every cached page: it is numbered instead (catalog_generation.stock_version) and noted with its
-- product in stock_changes, so that the catalog cache drops only what shows that product (and
-- listings filtered to what is in stock). The newest 10,000 notes are kept; a cache further behind
-- than that empties itself. Kept in step with migrations/postgres.

ALTER TABLE catalog_generation ADD COLUMN stock_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE stock_changes (
    version    BIGINT PRIMARY KEY,
    product_id BIGINT NOT NULL
);

DROP TRIGGER inventory_update_bumps_catalog_generation;

CREATE TRIGGER inventory_update_records_stock_change AFTER UPDATE ON inventory
WHEN (CASE WHEN OLD.on_hand - OLD.reserved > OLD.low_stock_threshold THEN -1 ELSE OLD.on_hand - OLD.reserved END)
  <> (CASE WHEN NEW.on_hand - NEW.reserved > NEW.low_stock_threshold THEN -1 ELSE NEW.on_hand - NEW.reserved END)
BEGIN
    UPDATE catalog_generation SET stock_version = stock_version + 1 WHERE id = 1;
    INSERT INTO stock_changes (version, product_id)
        SELECT g.stock_version, v.product_id FROM catalog_generation g, product_variants v
        WHERE g.id = 1 AND v.id = NEW.variant_id;
    DELETE FROM stock_changes
        WHERE version = (SELECT stock_version FROM catalog_generation WHERE id = 1) - 10000;
END;
