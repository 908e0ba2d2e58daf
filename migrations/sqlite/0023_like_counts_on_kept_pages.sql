-- Kept pages show each product's like count, and shoppers with a session get those pages with only
-- their own hearts filled in (the count is the page's). So a change to a count is noted like a
-- stock change a shopper can see (0012): the catalog cache drops the pages that show that product,
-- and the next request renders them with the count of now. Kept in step with migrations/postgres.

CREATE TRIGGER like_count_update_records_change AFTER UPDATE OF likes ON product_like_counts
WHEN OLD.likes <> NEW.likes
BEGIN
    UPDATE catalog_generation SET stock_version = stock_version + 1 WHERE id = 1;
    INSERT INTO stock_changes (version, product_id)
        SELECT stock_version, NEW.product_id FROM catalog_generation WHERE id = 1;
    DELETE FROM stock_changes
        WHERE version = (SELECT stock_version FROM catalog_generation WHERE id = 1) - 10000;
END;
