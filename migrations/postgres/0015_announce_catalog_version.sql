-- Each shop process keeps the catalog's version in memory and reads it again only once it may have
-- moved. A process learns of its own changes itself; this tells every process listening on the
-- database (LISTEN catalog_version) of everyone's, when the change commits. PostgreSQL folds the
-- announcements of one transaction into one.
CREATE FUNCTION announce_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalog_version', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER catalog_generation_announces AFTER UPDATE ON catalog_generation
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_version();
