-- A change to stock bumps the catalog generation (0005) only when a shopper could see it. Pages
-- show a variant as in stock (available above its low-stock threshold, no number), "only N left",
-- or sold out; a checkout reserving one of many, or a payment turning a reservation into a sale
-- (on_hand and reserved both down), changes none of that, so it must not empty every cached page
-- nor, on PostgreSQL, make every checkout wait on the one generation row. The expression below is
-- what a shopper sees of a row: -1 for in stock, otherwise the number available (0: sold out).
-- Kept in step with migrations/postgres.

DROP TRIGGER inventory_update_bumps_catalog_generation;

CREATE TRIGGER inventory_update_bumps_catalog_generation AFTER UPDATE ON inventory
WHEN (CASE WHEN OLD.on_hand - OLD.reserved > OLD.low_stock_threshold THEN -1 ELSE OLD.on_hand - OLD.reserved END)
  <> (CASE WHEN NEW.on_hand - NEW.reserved > NEW.low_stock_threshold THEN -1 ELSE NEW.on_hand - NEW.reserved END)
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
