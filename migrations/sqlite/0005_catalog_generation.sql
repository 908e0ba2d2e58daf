-- One number that changes with every committed change to what shoppers see of the catalog:
-- categories, products, variants (prices), inventory (stock) and images. The in-process catalog
-- cache (src/catalog/cache.rs) serves an entry only while this number is the one it was loaded
-- under. Triggers bump it inside the writing transaction, so no write path can forget it, and the
-- new number becomes visible exactly when the change does. Kept in step with migrations/postgres.

CREATE TABLE catalog_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER categories_insert_bumps_catalog_generation AFTER INSERT ON categories
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER categories_update_bumps_catalog_generation AFTER UPDATE ON categories
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER categories_delete_bumps_catalog_generation AFTER DELETE ON categories
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER products_insert_bumps_catalog_generation AFTER INSERT ON products
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER products_update_bumps_catalog_generation AFTER UPDATE ON products
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER products_delete_bumps_catalog_generation AFTER DELETE ON products
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER product_variants_insert_bumps_catalog_generation AFTER INSERT ON product_variants
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER product_variants_update_bumps_catalog_generation AFTER UPDATE ON product_variants
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER product_variants_delete_bumps_catalog_generation AFTER DELETE ON product_variants
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER inventory_insert_bumps_catalog_generation AFTER INSERT ON inventory
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER inventory_update_bumps_catalog_generation AFTER UPDATE ON inventory
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER inventory_delete_bumps_catalog_generation AFTER DELETE ON inventory
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER product_images_insert_bumps_catalog_generation AFTER INSERT ON product_images
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER product_images_update_bumps_catalog_generation AFTER UPDATE ON product_images
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER product_images_delete_bumps_catalog_generation AFTER DELETE ON product_images
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
