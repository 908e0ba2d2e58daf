-- Full-text search over products: name, the variants' SKUs and description.
--
-- product_search is an FTS5 index with one row per product (rowid = products.id), kept in step by
-- the triggers below. The tokenizer keeps diacritics, so that it splits and folds text exactly as
-- PostgreSQL's 'simple' configuration does over the same text, and both engines match the same
-- products; a shopper who types "saute" is corrected to "sauté" by the spelling correction.
CREATE VIRTUAL TABLE product_search USING fts5 (
    name,
    skus,
    description,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- Every word of the index with the number of products it appears in, for spelling correction.
CREATE VIRTUAL TABLE product_search_terms USING fts5vocab (product_search, 'row');

-- Bumped by every change to the indexed text, so a cached vocabulary knows when it is stale.
CREATE TABLE search_index_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO search_index_version (id, version) VALUES (1, 0);

CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
    INSERT INTO product_search (rowid, name, skus, description)
    VALUES (NEW.id, NEW.name,
            (SELECT group_concat(v.sku, ' ') FROM product_variants v WHERE v.product_id = NEW.id),
            NEW.description);
    UPDATE search_index_version SET version = version + 1;
END;

CREATE TRIGGER products_search_update AFTER UPDATE OF name, description ON products BEGIN
    UPDATE product_search SET name = NEW.name, description = NEW.description WHERE rowid = NEW.id;
    UPDATE search_index_version SET version = version + 1;
END;

CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
    DELETE FROM product_search WHERE rowid = OLD.id;
    UPDATE search_index_version SET version = version + 1;
END;

CREATE TRIGGER product_variants_search_insert AFTER INSERT ON product_variants BEGIN
    UPDATE product_search
    SET skus = (SELECT group_concat(v.sku, ' ') FROM product_variants v WHERE v.product_id = NEW.product_id)
    WHERE rowid = NEW.product_id;
    UPDATE search_index_version SET version = version + 1;
END;

CREATE TRIGGER product_variants_search_update AFTER UPDATE OF sku, product_id ON product_variants BEGIN
    UPDATE product_search
    SET skus = (SELECT group_concat(v.sku, ' ') FROM product_variants v WHERE v.product_id = product_search.rowid)
    WHERE rowid IN (OLD.product_id, NEW.product_id);
    UPDATE search_index_version SET version = version + 1;
END;

CREATE TRIGGER product_variants_search_delete AFTER DELETE ON product_variants BEGIN
    UPDATE product_search
    SET skus = (SELECT group_concat(v.sku, ' ') FROM product_variants v WHERE v.product_id = OLD.product_id)
    WHERE rowid = OLD.product_id;
    UPDATE search_index_version SET version = version + 1;
END;

INSERT INTO product_search (rowid, name, skus, description)
SELECT p.id, p.name,
       (SELECT group_concat(v.sku, ' ') FROM product_variants v WHERE v.product_id = p.id),
       p.description
FROM products p;
