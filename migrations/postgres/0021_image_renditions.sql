-- An uploaded image keeps its original under MEDIA_DIR and WebP renditions beside it, one per width
-- listed here (comma-separated, e.g. '320,640,1280'), which the shop's pages offer in srcset. Images
-- without renditions (the demo's drawings) are served as they are. Kept in step with
-- migrations/sqlite.

ALTER TABLE product_images ADD COLUMN renditions TEXT NOT NULL DEFAULT '';
