-- PostgreSQL's migration 0015 announces each change of the catalog's version to every shop process
-- on the database. A SQLite database has one shop process, which notices its own changes with an
-- update hook on each connection (server/db.rs), so there is nothing to add here; the file keeps
-- the two engines' migrations numbered alike.
SELECT 1;
