-- A stock change a shopper can see (0007) no longer moves the catalog generation, which empties
-- every cached page: it is numbered instead (catalog_generation.stock_version) and noted with its
-- product in stock_changes, so that the catalog cache drops only what shows that product (and
-- listings filtered to what is in stock). The newest 10,000 notes are kept; a cache further behind
-- than that empties itself. Kept in step with migrations/sqlite.
--
-- The trigger stays deferred to the commit (0007). Its update of the one generation row holds that
-- row until the commit is done, so versions become visible in order: a reader that sees version N
-- can read every note up to N.

ALTER TABLE catalog_generation ADD COLUMN stock_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE stock_changes (
    version    BIGINT PRIMARY KEY,
    product_id BIGINT NOT NULL
);

CREATE FUNCTION record_stock_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted BIGINT;
BEGIN
    UPDATE catalog_generation SET stock_version = stock_version + 1 WHERE id = 1
        RETURNING stock_version INTO noted;
    INSERT INTO stock_changes (version, product_id)
        SELECT noted, product_id FROM product_variants WHERE id = NEW.variant_id;
    DELETE FROM stock_changes WHERE version = noted - 10000;
    RETURN NULL;
END;
$$;

DROP TRIGGER inventory_update_bumps_catalog_generation ON inventory;

CREATE CONSTRAINT TRIGGER inventory_update_records_stock_change AFTER UPDATE ON inventory
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN ((CASE WHEN OLD.on_hand - OLD.reserved > OLD.low_stock_threshold THEN -1 ELSE OLD.on_hand - OLD.reserved END)
          <> (CASE WHEN NEW.on_hand - NEW.reserved > NEW.low_stock_threshold THEN -1 ELSE NEW.on_hand - NEW.reserved END))
    EXECUTE FUNCTION record_stock_change();
