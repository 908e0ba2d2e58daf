-- One number that changes with every committed change to what shoppers see of the catalog:
-- categories, products, variants (prices), inventory (stock) and images. The in-process catalog
-- cache (src/catalog/cache.rs) serves an entry only while this number is the one it was loaded
-- under. Triggers bump it inside the writing transaction, so no write path can forget it, and the
-- new number becomes visible exactly when the change does. Kept in step with migrations/sqlite.
-- The row lock serialises concurrent catalog writers until they commit; shoppers' reads never wait.

CREATE TABLE catalog_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION bump_catalog_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER categories_bumps_catalog_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER products_bumps_catalog_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER product_variants_bumps_catalog_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_variants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER inventory_bumps_catalog_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inventory
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER product_images_bumps_catalog_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_images
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
