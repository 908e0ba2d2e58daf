//! Categories SQL for the back office, one text for both engines.

use super::{CategoryDraft, CategoryLine, CategoryOption};
use crate::server::db::{Db, Tx};
use crate::{in_tx, on_db};

/// A category with its own product count, as [`Stored`].
const STORED: &str = "SELECT c.id, c.parent_id, c.slug, c.name, c.description, c.hidden,
        CAST((SELECT COUNT(*) FROM products p WHERE p.category_id = c.id) AS BIGINT) AS products,
        c.image_path, c.image_alt, c.image_width, c.image_height, c.image_renditions
    FROM categories c";

#[derive(sqlx::FromRow, Clone, Debug, serde::Serialize)]
pub struct Stored {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub hidden: bool,
    pub products: i64,
    #[sqlx(flatten)]
    pub picture: StoredPicture,
}

/// A category's picture as the table keeps it: all set, or none.
#[derive(sqlx::FromRow, Clone, Debug, Default, serde::Serialize)]
pub struct StoredPicture {
    pub image_path: Option<String>,
    pub image_alt: String,
    pub image_width: Option<i32>,
    pub image_height: Option<i32>,
    pub image_renditions: String,
}

impl StoredPicture {
    pub fn editor(&self) -> Option<super::CategoryPicture> {
        let path = self.image_path.as_ref()?;
        let file = crate::server::media::smallest_file(path, &self.image_renditions);
        Some(super::CategoryPicture {
            thumbnail: crate::catalog::repo::media_url(&file),
            alt: self.image_alt.clone(),
            width: self.image_width.unwrap_or_default(),
            height: self.image_height.unwrap_or_default(),
        })
    }
}

/// Every category, hidden ones included, in the shop's order, with its own product count.
pub async fn all(db: &Db) -> Result<Vec<Stored>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(
        &format!("{STORED} ORDER BY c.position, c.name")
    ).fetch_all(pool).await)
}

/// The tree as the back office lists it: each top-level category followed by its subcategories.
pub fn lines(stored: &[Stored]) -> Vec<CategoryLine> {
    let mut lines = Vec::with_capacity(stored.len());
    let level = |parent: Option<i64>| stored.iter().filter(move |c| c.parent_id == parent);
    let line = |category: &Stored, depth: usize, n: usize, count: usize| CategoryLine {
        id: category.id,
        name: category.name.clone(),
        slug: category.slug.clone(),
        depth,
        hidden: category.hidden,
        products: category.products,
        first: n == 0,
        last: n + 1 == count,
    };
    let tops: Vec<&Stored> = level(None).collect();
    for (n, top) in tops.iter().enumerate() {
        lines.push(line(top, 0, n, tops.len()));
        let children: Vec<&Stored> = level(Some(top.id)).collect();
        for (m, child) in children.iter().enumerate() {
            lines.push(line(child, 1, m, children.len()));
        }
    }
    lines
}

pub fn options<'a>(categories: impl Iterator<Item = &'a Stored>) -> Vec<CategoryOption> {
    categories
        .map(|c| CategoryOption {
            slug: c.slug.clone(),
            name: c.name.clone(),
        })
        .collect()
}

pub async fn find(tx: &mut Tx, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_as(
        &format!("{STORED} WHERE c.id = $1")
    ).bind(id).fetch_optional(conn).await)
}

/// Whether category `id` is there, read outside a transaction (a check before slow work).
pub async fn exists(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)"
    ).bind(id).fetch_one(pool).await)
}

/// The id of the category with `slug`, and whether it is at the top.
pub async fn by_slug(tx: &mut Tx, slug: &str) -> Result<Option<(i64, bool)>, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_as(
        "SELECT id, parent_id IS NULL FROM categories WHERE slug = $1"
    ).bind(slug).fetch_optional(conn).await)
}

pub async fn has_children(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM categories WHERE parent_id = $1)"
    ).bind(id).fetch_one(conn).await)
}

/// Adds a category at the end of its level.
pub async fn insert(
    tx: &mut Tx,
    draft: &CategoryDraft,
    parent_id: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO categories (parent_id, slug, name, description, hidden, position, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT COALESCE(MAX(position), -1) + 1 FROM categories WHERE parent_id IS NOT DISTINCT FROM $1),
                 $6, $6)
         RETURNING id"
    )
    .bind(parent_id)
    .bind(&draft.slug)
    .bind(&draft.name)
    .bind(&draft.description)
    .bind(draft.hidden)
    .bind(now)
    .fetch_one(conn)
    .await)
}

/// Writes a category's fields; one that changes level goes to the end of its new level.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    draft: &CategoryDraft,
    parent_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE categories SET
             position = CASE WHEN parent_id IS NOT DISTINCT FROM $1 THEN position
                             ELSE (SELECT COALESCE(MAX(position), -1) + 1 FROM categories WHERE parent_id IS NOT DISTINCT FROM $1) END,
             parent_id = $1, slug = $2, name = $3, description = $4, hidden = $5, updated_at = $6
         WHERE id = $7"
    )
    .bind(parent_id)
    .bind(&draft.slug)
    .bind(&draft.name)
    .bind(&draft.description)
    .bind(draft.hidden)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(drop))
}

/// The category that has `slug`, or had it before (a redirect).
pub async fn slug_holder(tx: &mut Tx, slug: &str) -> Result<Option<i64>, sqlx::Error> {
    if let Some((id, _)) = by_slug(tx, slug).await? {
        return Ok(Some(id));
    }
    in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT category_id FROM category_slug_redirects WHERE old_slug = $1"
    ).bind(slug).fetch_optional(conn).await)
}

/// Keeps `old_slug` leading to category `id` after its slug changed to `new_slug`, which, if it
/// was one of the category's own old ones, leads nowhere any more.
pub async fn redirect_slug(
    tx: &mut Tx,
    id: i64,
    old_slug: &str,
    new_slug: &str,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "DELETE FROM category_slug_redirects WHERE old_slug = $1 AND category_id = $2"
    ).bind(new_slug).bind(id).execute(conn).await.map(drop))?;
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO category_slug_redirects (old_slug, category_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (old_slug) DO UPDATE SET category_id = excluded.category_id"
    ).bind(old_slug).bind(id).bind(now).execute(conn).await.map(drop))
}

/// Moves a category one place up or down among its siblings; false at the end of its level.
pub async fn move_category(
    tx: &mut Tx,
    id: i64,
    direction: crate::manage::Direction,
) -> Result<bool, sqlx::Error> {
    let order: Vec<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM categories
         WHERE parent_id IS NOT DISTINCT FROM (SELECT parent_id FROM categories WHERE id = $1)
         ORDER BY position, name"
    ).bind(id).fetch_all(conn).await)?;
    let Some(order) = direction.apply(order, id) else {
        return Ok(false);
    };
    for (position, sibling) in order.iter().enumerate() {
        in_tx!(tx, conn => sqlx::query(
            "UPDATE categories SET position = $1 WHERE id = $2 AND position <> $1"
        ).bind(position as i32).bind(sibling).execute(conn).await.map(drop))?;
    }
    Ok(true)
}

/// Moves every product of category `from` into `to`.
pub async fn move_products(tx: &mut Tx, from: i64, to: i64) -> Result<u64, sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE products SET category_id = $1, updated_at = $2 WHERE category_id = $3"
    ).bind(to).bind(now).bind(from).execute(conn).await.map(|done| done.rows_affected()))
}

/// Gives category `id` the picture `image`, described by `alt`, or takes its picture away.
pub async fn set_picture(
    tx: &mut Tx,
    id: i64,
    image: Option<(&crate::server::media::StoredImage, &str)>,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    let width = |image: &crate::server::media::StoredImage| i32::try_from(image.width).ok();
    let height = |image: &crate::server::media::StoredImage| i32::try_from(image.height).ok();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE categories SET image_path = $1, image_alt = $2, image_width = $3, image_height = $4,
             image_renditions = $5, updated_at = $6 WHERE id = $7"
    )
    .bind(image.map(|(image, _)| image.path.clone()))
    .bind(image.map_or("", |(_, alt)| alt))
    .bind(image.and_then(|(image, _)| width(image)))
    .bind(image.and_then(|(image, _)| height(image)))
    .bind(image.map(|(image, _)| crate::server::media::format_renditions(&image.renditions)).unwrap_or_default())
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(drop))
}

/// Describes category `id`'s picture anew.
pub async fn set_picture_alt(tx: &mut Tx, id: i64, alt: &str) -> Result<(), sqlx::Error> {
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query(
        "UPDATE categories SET image_alt = $1, updated_at = $2 WHERE id = $3"
    ).bind(alt).bind(now).bind(id).execute(conn).await.map(drop))
}

/// Deletes a category without subcategories or products (the foreign keys refuse otherwise).
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query("DELETE FROM categories WHERE id = $1")
        .bind(id).execute(conn).await.map(drop))
}
