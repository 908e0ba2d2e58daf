-- A category may have a picture, shown at the top of its page: uploaded and kept as a product's
-- images are (an original under MEDIA_DIR with WebP renditions, listed in image_renditions), with
-- its description. The shop sets them together and clears them together. Kept in step with migrations/sqlite.

ALTER TABLE categories ADD COLUMN image_path TEXT;
ALTER TABLE categories ADD COLUMN image_alt TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN image_width INTEGER CHECK (image_width > 0);
ALTER TABLE categories ADD COLUMN image_height INTEGER CHECK (image_height > 0);
ALTER TABLE categories ADD COLUMN image_renditions TEXT NOT NULL DEFAULT '';
