-- The addresses a category had before staff changed its slug, each answered with a permanent
-- redirect to the category's address now, as product_slug_redirects does for products. Kept in
-- step with migrations/sqlite.

CREATE TABLE category_slug_redirects (
    old_slug    TEXT PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX category_slug_redirects_category_idx ON category_slug_redirects (category_id);
