-- How many shoppers like each product, kept beside `likes` so a page of cards reads its counts by
-- primary key instead of counting rows. Triggers keep it in step with every insert and delete on
-- `likes`, including the cascades from deleting a user or a product. It lives outside `products`
-- on purpose: a like is not a catalog change and must not bump the catalog generation (0005).
-- Kept in step with migrations/sqlite.

CREATE TABLE product_like_counts (
    product_id BIGINT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    likes      BIGINT NOT NULL CHECK (likes >= 0)
);

CREATE FUNCTION count_like() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO product_like_counts (product_id, likes) VALUES (NEW.product_id, 1)
            ON CONFLICT (product_id) DO UPDATE SET likes = product_like_counts.likes + 1;
    ELSE
        UPDATE product_like_counts SET likes = likes - 1 WHERE product_id = OLD.product_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER likes_counts AFTER INSERT OR DELETE ON likes
    FOR EACH ROW EXECUTE FUNCTION count_like();

-- Likes recorded before this migration.
INSERT INTO product_like_counts (product_id, likes)
    SELECT product_id, COUNT(*) FROM likes GROUP BY product_id;
