-- Full-text search over products: name, the variants' SKUs and description.
--
-- products.search_document is a tsvector kept in step by the triggers below and served by a GIN
-- index. Weights mark where a word came from: A name, B SKU, C description. The 'simple'
-- configuration lower-cases and neither stems nor drops stop words, and every run of characters
-- other than letters and digits becomes a space first, so a product's words are exactly those
-- SQLite's unicode61 tokenizer (diacritics kept) finds, and both engines match the same products.
CREATE FUNCTION search_words(text TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', regexp_replace(text, '[^[:alnum:]]+', ' ', 'g'))
$$;

CREATE FUNCTION product_search_document(product BIGINT, name TEXT, description TEXT) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(search_words(name), 'A')
        || setweight(search_words(COALESCE(
               (SELECT string_agg(v.sku, ' ') FROM product_variants v WHERE v.product_id = product), '')), 'B')
        || setweight(search_words(description), 'C')
$$;

ALTER TABLE products ADD COLUMN search_document tsvector;
UPDATE products SET search_document = product_search_document(id, name, description);
ALTER TABLE products ALTER COLUMN search_document SET NOT NULL;
CREATE INDEX products_search_idx ON products USING GIN (search_document);

-- Bumped by every change to the indexed text, so a cached vocabulary knows when it is stale.
CREATE TABLE search_index_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO search_index_version (id, version) VALUES (1, 0);

CREATE FUNCTION products_search_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := product_search_document(NEW.id, NEW.name, NEW.description);
    UPDATE search_index_version SET version = version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER products_search_refresh BEFORE INSERT OR UPDATE OF name, description ON products
FOR EACH ROW EXECUTE FUNCTION products_search_refresh();

CREATE FUNCTION products_search_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_index_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_search_deleted AFTER DELETE ON products
FOR EACH ROW EXECUTE FUNCTION products_search_deleted();

-- A variant's SKU belongs to its product's document.
CREATE FUNCTION product_variants_search_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE products SET search_document = product_search_document(id, name, description)
        WHERE id = OLD.product_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE products SET search_document = product_search_document(id, name, description)
        WHERE id = NEW.product_id;
    END IF;
    UPDATE search_index_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER product_variants_search_refresh AFTER INSERT OR UPDATE OF sku, product_id OR DELETE ON product_variants
FOR EACH ROW EXECUTE FUNCTION product_variants_search_refresh();
