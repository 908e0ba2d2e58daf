-- A category staff hide is left out of the shop's navigation, facets and sitemap, and its page
-- answers 404 (its subcategories' too); its products stay in listings and search. Kept in step
-- with migrations/sqlite.

ALTER TABLE categories ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
