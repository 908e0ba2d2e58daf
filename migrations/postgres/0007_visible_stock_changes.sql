-- A change to stock bumps the catalog generation (0005) only when a shopper could see it. Pages
-- show a variant as in stock (available above its low-stock threshold, no number), "only N left",
-- or sold out; a checkout reserving one of many, or a payment turning a reservation into a sale
-- (on_hand and reserved both down), changes none of that, so it must not empty every cached page
-- nor make every checkout wait on the one generation row. The expression below is what a shopper
-- sees of a row: -1 for in stock, otherwise the number available (0: sold out). Updates are
-- therefore checked row by row, and the bump is deferred to the commit: a checkout takes its
-- inventory rows' locks first and the generation row's last, as every checkout does, so two
-- checkouts never wait for each other in opposite orders. Inserts, deletes and truncation still
-- bump once per statement.
-- Kept in step with migrations/sqlite.

DROP TRIGGER inventory_bumps_catalog_generation ON inventory;

CREATE TRIGGER inventory_bumps_catalog_generation AFTER INSERT OR DELETE OR TRUNCATE ON inventory
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();

CREATE CONSTRAINT TRIGGER inventory_update_bumps_catalog_generation AFTER UPDATE ON inventory
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN ((CASE WHEN OLD.on_hand - OLD.reserved > OLD.low_stock_threshold THEN -1 ELSE OLD.on_hand - OLD.reserved END)
          <> (CASE WHEN NEW.on_hand - NEW.reserved > NEW.low_stock_threshold THEN -1 ELSE NEW.on_hand - NEW.reserved END))
    EXECUTE FUNCTION bump_catalog_generation();
