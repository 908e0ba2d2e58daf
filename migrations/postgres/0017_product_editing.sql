-- Products edited in the back office: a title and description for search engines, and the
-- addresses a product had before its slug changed, each answered with a permanent redirect to the
-- product's address now. Kept in step with migrations/sqlite.

ALTER TABLE products ADD COLUMN seo_title TEXT;
ALTER TABLE products ADD COLUMN seo_description TEXT;

CREATE TABLE product_slug_redirects (
    old_slug   TEXT PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX product_slug_redirects_product_idx ON product_slug_redirects (product_id);
