-- An edit to a product that cannot change which products a page lists, or in what order, no
-- longer moves the catalog generation (which empties every cached page): like a visible stock
-- change (0012) it is numbered and noted with its product in stock_changes, now with its kind, and
-- the catalog cache drops only the pages showing that product:
-- - 'stock': a visible stock change; also drops the listings of what is in stock.
-- - 'shown': what only the product's own cards and page show (images, SEO text, option names,
--   compare-at prices, variant titles and order, like counts).
-- - 'text':  words the search index holds (the description, a SKU); also drops every search.
-- - 'name':  the product's name; also drops every search and the listings sorted by name.
-- - 'price': a price; also drops the listings sorted or filtered by price, and every search (its
--   facets count prices).
-- A change to what decides a listing otherwise (slug, category, status, featured, currency,
-- creation time; a name and a price at once) still moves the generation. tests/schema.rs lists each table's columns, so that
-- a column added later is sorted into one or the other here.
-- Kept in step with migrations/postgres.

ALTER TABLE stock_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'stock'
    CHECK (kind IN ('stock', 'shown', 'text', 'name', 'price'));

-- Every change to a product is written through this view, whose trigger is the one place that
-- decides: a change of kind 'listing' moves the generation, any other is numbered and noted.
CREATE VIEW product_changes AS SELECT product_id, kind FROM stock_changes;
CREATE TRIGGER product_changes_insert INSTEAD OF INSERT ON product_changes
BEGIN
    UPDATE catalog_generation SET generation = generation + 1
        WHERE id = 1 AND NEW.kind = 'listing';
    UPDATE catalog_generation SET stock_version = stock_version + 1
        WHERE id = 1 AND NEW.kind <> 'listing';
    INSERT INTO stock_changes (version, product_id, kind)
        SELECT stock_version, NEW.product_id, NEW.kind FROM catalog_generation
        WHERE id = 1 AND NEW.kind <> 'listing';
    DELETE FROM stock_changes
        WHERE NEW.kind <> 'listing'
          AND version = (SELECT stock_version FROM catalog_generation WHERE id = 1) - 10000;
END;

-- Kept pages show like counts, and shoppers with a session get them with only their own hearts
-- filled in: a change to a count drops the pages showing the product.
CREATE TRIGGER like_count_update_records_change AFTER UPDATE OF likes ON product_like_counts
WHEN OLD.likes <> NEW.likes
BEGIN INSERT INTO product_changes VALUES (NEW.product_id, 'shown'); END;

DROP TRIGGER products_update_bumps_catalog_generation;
CREATE TRIGGER products_update_records_change AFTER UPDATE ON products
BEGIN
    INSERT INTO product_changes VALUES (NEW.id, CASE
        WHEN NEW.id IS NOT OLD.id OR NEW.slug IS NOT OLD.slug
          OR NEW.category_id IS NOT OLD.category_id OR NEW.status IS NOT OLD.status
          OR NEW.featured IS NOT OLD.featured OR NEW.currency IS NOT OLD.currency
          OR NEW.created_at IS NOT OLD.created_at
          OR (NEW.name IS NOT OLD.name AND NEW.price_minor IS NOT OLD.price_minor) THEN 'listing'
        WHEN NEW.price_minor IS NOT OLD.price_minor THEN 'price'
        WHEN NEW.name IS NOT OLD.name THEN 'name'
        WHEN NEW.description IS NOT OLD.description THEN 'text'
        ELSE 'shown' END);
END;

DROP TRIGGER product_variants_update_bumps_catalog_generation;
CREATE TRIGGER product_variants_update_records_change AFTER UPDATE ON product_variants
BEGIN
    INSERT INTO product_changes VALUES (NEW.product_id, CASE
        WHEN NEW.id IS NOT OLD.id OR NEW.product_id IS NOT OLD.product_id
          OR NEW.currency IS NOT OLD.currency OR NEW.created_at IS NOT OLD.created_at THEN 'listing'
        WHEN NEW.price_minor IS NOT OLD.price_minor THEN 'price'
        WHEN NEW.sku IS NOT OLD.sku THEN 'text'
        ELSE 'shown' END);
END;

-- An image moved to another product changes two products' pages.
DROP TRIGGER product_images_insert_bumps_catalog_generation;
DROP TRIGGER product_images_update_bumps_catalog_generation;
DROP TRIGGER product_images_delete_bumps_catalog_generation;
CREATE TRIGGER product_images_insert_records_change AFTER INSERT ON product_images
BEGIN INSERT INTO product_changes VALUES (NEW.product_id, 'shown'); END;
CREATE TRIGGER product_images_update_records_change AFTER UPDATE ON product_images
BEGIN
    INSERT INTO product_changes VALUES (NEW.product_id,
        CASE WHEN NEW.product_id IS NOT OLD.product_id THEN 'listing' ELSE 'shown' END);
END;
CREATE TRIGGER product_images_delete_records_change AFTER DELETE ON product_images
BEGIN INSERT INTO product_changes VALUES (OLD.product_id, 'shown'); END;
