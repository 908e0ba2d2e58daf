-- Products edited in the back office: a title and description for search engines, and the
-- addresses a product had before its slug changed, each answered with a permanent redirect to the
-- product's address now. Kept in step with migrations/postgres.

ALTER TABLE products ADD COLUMN seo_title TEXT;
ALTER TABLE products ADD COLUMN seo_description TEXT;

CREATE TABLE product_slug_redirects (
    old_slug   TEXT PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX product_slug_redirects_product_idx ON product_slug_redirects (product_id);
