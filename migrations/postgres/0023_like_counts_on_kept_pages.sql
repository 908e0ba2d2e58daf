-- Kept pages show each product's like count, and shoppers with a session get those pages with only
-- their own hearts filled in (the count is the page's). So a change to a count is noted like a
-- stock change a shopper can see (0012): the catalog cache drops the pages that show that product,
-- and the next request renders them with the count of now. Deferred to the commit as 0012's is, so
-- versions become visible in order. Kept in step with migrations/sqlite.

CREATE FUNCTION record_like_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted BIGINT;
BEGIN
    UPDATE catalog_generation SET stock_version = stock_version + 1 WHERE id = 1
        RETURNING stock_version INTO noted;
    INSERT INTO stock_changes (version, product_id) VALUES (noted, NEW.product_id);
    DELETE FROM stock_changes WHERE version = noted - 10000;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER like_count_update_records_change AFTER UPDATE ON product_like_counts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.likes <> NEW.likes)
    EXECUTE FUNCTION record_like_count_change();

-- A product's first like inserts its count.
CREATE CONSTRAINT TRIGGER like_count_insert_records_change AFTER INSERT ON product_like_counts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    EXECUTE FUNCTION record_like_count_change();
