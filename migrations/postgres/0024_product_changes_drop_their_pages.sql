-- An edit to a product that cannot change which products a page lists, or in what order, no
-- longer moves the catalog generation (which empties every cached page): like a visible stock
-- change (0012) it is numbered and noted with its product in stock_changes, now with its kind, and
-- the catalog cache drops only the pages showing that product:
-- - 'stock': a visible stock change; also drops the listings of what is in stock.
-- - 'shown': what only the product's own cards and page show (images, SEO text, option names,
--   compare-at prices, variant titles and order, like counts).
-- - 'text':  words the search index holds (the description, a SKU); also drops every search.
-- - 'price': a price; also drops the listings sorted or filtered by price, and every search (its
--   facets count prices).
-- A change to what decides a listing otherwise (slug, name, category, status, featured, currency,
-- creation time) still moves the generation. tests/schema.rs lists each table's
-- columns, so that a column added later is sorted into one or the other here. The notes are
-- deferred to the commit as 0012's are, so versions become visible in order.
-- Kept in step with migrations/sqlite.

ALTER TABLE stock_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'stock'
    CHECK (kind IN ('stock', 'shown', 'text', 'price'));

-- Notes a change of the kind named by the trigger's argument to the product the row belongs to
-- (`product_id`, or the row's own `id` on products); a changed price is a change of price, and a
-- product's changed description, or a variant's changed SKU, a change to the search's words.
CREATE FUNCTION record_product_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted BIGINT;
    product BIGINT;
    change TEXT := TG_ARGV[0];
BEGIN
    IF TG_TABLE_NAME = 'products' THEN
        product := NEW.id;
        IF NEW.price_minor IS DISTINCT FROM OLD.price_minor THEN
            change := 'price';
        ELSIF NEW.description IS DISTINCT FROM OLD.description THEN
            change := 'text';
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        product := OLD.product_id;
    ELSE
        product := NEW.product_id;
        -- Nested: PL/pgSQL looks up a field of NEW only when it reaches it, and only variants
        -- have these.
        IF TG_TABLE_NAME = 'product_variants' THEN
            IF NEW.price_minor IS DISTINCT FROM OLD.price_minor THEN
                change := 'price';
            ELSIF NEW.sku IS DISTINCT FROM OLD.sku THEN
                change := 'text';
            END IF;
        END IF;
    END IF;
    UPDATE catalog_generation SET stock_version = stock_version + 1 WHERE id = 1
        RETURNING stock_version INTO noted;
    INSERT INTO stock_changes (version, product_id, kind) VALUES (noted, product, change);
    DELETE FROM stock_changes WHERE version = noted - 10000;
    RETURN NULL;
END;
$$;

DROP TRIGGER like_count_update_records_change ON product_like_counts;
DROP TRIGGER like_count_insert_records_change ON product_like_counts;
DROP FUNCTION record_like_count_change();
CREATE CONSTRAINT TRIGGER like_count_update_records_change AFTER UPDATE ON product_like_counts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.likes <> NEW.likes)
    EXECUTE FUNCTION record_product_change('shown');
CREATE CONSTRAINT TRIGGER like_count_insert_records_change AFTER INSERT ON product_like_counts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    EXECUTE FUNCTION record_product_change('shown');

DROP TRIGGER products_bumps_catalog_generation ON products;
CREATE TRIGGER products_bumps_catalog_generation AFTER INSERT OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER products_update_bumps_catalog_generation AFTER UPDATE ON products
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.slug IS DISTINCT FROM OLD.slug
          OR NEW.name IS DISTINCT FROM OLD.name OR NEW.category_id IS DISTINCT FROM OLD.category_id
          OR NEW.status IS DISTINCT FROM OLD.status OR NEW.featured IS DISTINCT FROM OLD.featured
          OR NEW.currency IS DISTINCT FROM OLD.currency
          OR NEW.created_at IS DISTINCT FROM OLD.created_at)
    EXECUTE FUNCTION bump_catalog_generation();
CREATE CONSTRAINT TRIGGER products_update_records_change AFTER UPDATE ON products
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NOT (NEW.id IS DISTINCT FROM OLD.id OR NEW.slug IS DISTINCT FROM OLD.slug
          OR NEW.name IS DISTINCT FROM OLD.name OR NEW.category_id IS DISTINCT FROM OLD.category_id
          OR NEW.status IS DISTINCT FROM OLD.status OR NEW.featured IS DISTINCT FROM OLD.featured
          OR NEW.currency IS DISTINCT FROM OLD.currency
          OR NEW.created_at IS DISTINCT FROM OLD.created_at))
    EXECUTE FUNCTION record_product_change('shown');

DROP TRIGGER product_variants_bumps_catalog_generation ON product_variants;
CREATE TRIGGER product_variants_bumps_catalog_generation AFTER INSERT OR DELETE OR TRUNCATE ON product_variants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER product_variants_update_bumps_catalog_generation AFTER UPDATE ON product_variants
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.product_id IS DISTINCT FROM OLD.product_id
          OR NEW.currency IS DISTINCT FROM OLD.currency
          OR NEW.created_at IS DISTINCT FROM OLD.created_at)
    EXECUTE FUNCTION bump_catalog_generation();
CREATE CONSTRAINT TRIGGER product_variants_update_records_change AFTER UPDATE ON product_variants
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NOT (NEW.id IS DISTINCT FROM OLD.id OR NEW.product_id IS DISTINCT FROM OLD.product_id
          OR NEW.currency IS DISTINCT FROM OLD.currency
          OR NEW.created_at IS DISTINCT FROM OLD.created_at))
    EXECUTE FUNCTION record_product_change('shown');

DROP TRIGGER product_images_bumps_catalog_generation ON product_images;
CREATE TRIGGER product_images_bumps_catalog_generation AFTER TRUNCATE ON product_images
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
-- An image moved to another product changes two products' pages.
CREATE TRIGGER product_images_move_bumps_catalog_generation AFTER UPDATE ON product_images
    FOR EACH ROW
    WHEN (NEW.product_id IS DISTINCT FROM OLD.product_id)
    EXECUTE FUNCTION bump_catalog_generation();
CREATE CONSTRAINT TRIGGER product_images_records_change AFTER INSERT OR DELETE ON product_images
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    EXECUTE FUNCTION record_product_change('shown');
CREATE CONSTRAINT TRIGGER product_images_update_records_change AFTER UPDATE ON product_images
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.product_id IS NOT DISTINCT FROM OLD.product_id)
    EXECUTE FUNCTION record_product_change('shown');
