-- How many shoppers like each product, kept beside `likes` so a page of cards reads its counts by
-- primary key instead of counting rows. Triggers keep it in step with every insert and delete on
-- `likes`, including the cascades from deleting a user or a product. It lives outside `products`
-- on purpose: a like is not a catalog change and must not bump the catalog generation (0005).
-- Kept in step with migrations/postgres.

CREATE TABLE product_like_counts (
    product_id INTEGER PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    likes      BIGINT NOT NULL CHECK (likes >= 0)
);

CREATE TRIGGER likes_insert_counts AFTER INSERT ON likes
BEGIN
    INSERT OR IGNORE INTO product_like_counts (product_id, likes) VALUES (NEW.product_id, 0);
    UPDATE product_like_counts SET likes = likes + 1 WHERE product_id = NEW.product_id;
END;

CREATE TRIGGER likes_delete_counts AFTER DELETE ON likes
BEGIN
    UPDATE product_like_counts SET likes = likes - 1 WHERE product_id = OLD.product_id;
END;

-- Likes recorded before this migration.
INSERT INTO product_like_counts (product_id, likes)
    SELECT product_id, COUNT(*) FROM likes GROUP BY product_id;
