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
-- a column added later is sorted into one or the other here. Deferred to the commit as 0012's
-- trigger is, so versions become visible in order. Kept in step with migrations/sqlite.

ALTER TABLE stock_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'stock'
    CHECK (kind IN ('stock', 'shown', 'text', 'name', 'price'));

-- The one place that decides what a change to a product's row is: one that can change listings
-- moves the generation, any other is numbered and noted with its kind. PL/pgSQL looks up a field
-- of NEW or OLD only when it reaches it, so each table's fields are read in its own branch.
CREATE FUNCTION record_product_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted BIGINT;
    product BIGINT;
    change TEXT := 'shown';
BEGIN
    IF TG_TABLE_NAME = 'products' THEN
        product := NEW.id;
        IF (NEW.id, NEW.slug, NEW.category_id, NEW.status, NEW.featured, NEW.currency,
            NEW.created_at) IS DISTINCT FROM (OLD.id, OLD.slug, OLD.category_id, OLD.status,
            OLD.featured, OLD.currency, OLD.created_at)
            OR (NEW.name IS DISTINCT FROM OLD.name AND NEW.price_minor IS DISTINCT FROM OLD.price_minor) THEN
            change := 'listing';
        ELSIF NEW.price_minor IS DISTINCT FROM OLD.price_minor THEN
            change := 'price';
        ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
            change := 'name';
        ELSIF NEW.description IS DISTINCT FROM OLD.description THEN
            change := 'text';
        END IF;
    ELSIF TG_TABLE_NAME = 'product_variants' THEN
        product := NEW.product_id;
        IF (NEW.id, NEW.product_id, NEW.currency, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.product_id, OLD.currency, OLD.created_at) THEN
            change := 'listing';
        ELSIF NEW.price_minor IS DISTINCT FROM OLD.price_minor THEN
            change := 'price';
        ELSIF NEW.sku IS DISTINCT FROM OLD.sku THEN
            change := 'text';
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        product := OLD.product_id;
    ELSE
        product := NEW.product_id;
        -- An image moved to another product changes two products' pages.
        IF TG_TABLE_NAME = 'product_images' AND TG_OP = 'UPDATE' THEN
            IF NEW.product_id IS DISTINCT FROM OLD.product_id THEN
                change := 'listing';
            END IF;
        END IF;
    END IF;
    IF change = 'listing' THEN
        UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
        RETURN NULL;
    END IF;
    UPDATE catalog_generation SET stock_version = stock_version + 1 WHERE id = 1
        RETURNING stock_version INTO noted;
    INSERT INTO stock_changes (version, product_id, kind) VALUES (noted, product, change);
    DELETE FROM stock_changes WHERE version = noted - 10000;
    RETURN NULL;
END;
$$;

-- Kept pages show like counts, and shoppers with a session get them with only their own hearts
-- filled in: a change to a count drops the pages showing the product.
CREATE CONSTRAINT TRIGGER like_count_records_change AFTER INSERT OR UPDATE OF likes ON product_like_counts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION record_product_change();

DROP TRIGGER products_bumps_catalog_generation ON products;
CREATE TRIGGER products_bumps_catalog_generation AFTER INSERT OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE CONSTRAINT TRIGGER products_update_records_change AFTER UPDATE ON products
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION record_product_change();

DROP TRIGGER product_variants_bumps_catalog_generation ON product_variants;
CREATE TRIGGER product_variants_bumps_catalog_generation AFTER INSERT OR DELETE OR TRUNCATE ON product_variants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE CONSTRAINT TRIGGER product_variants_update_records_change AFTER UPDATE ON product_variants
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION record_product_change();

DROP TRIGGER product_images_bumps_catalog_generation ON product_images;
CREATE TRIGGER product_images_bumps_catalog_generation AFTER TRUNCATE ON product_images
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE CONSTRAINT TRIGGER product_images_records_change AFTER INSERT OR UPDATE OR DELETE ON product_images
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION record_product_change();
