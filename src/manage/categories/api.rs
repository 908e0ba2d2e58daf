//! Category server functions: staff with `categories` read see the tree; managers and admins
//! (`categories` write) change it. Every change is audited.

use super::{CategoryEditor, CategoryFields, CategoryTree};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, MultipartData, MultipartFormData};

#[cfg(feature = "ssr")]
use crate::accounts::{Action, AuditAction, Permission, Resource};
#[cfg(feature = "ssr")]
use crate::server::db::{Constraint, OnConstraint};
#[cfg(feature = "ssr")]
const READ: Permission = Permission(Resource::Categories, Action::Read);
#[cfg(feature = "ssr")]
const WRITE: Permission = Permission(Resource::Categories, Action::Write);

#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_category_tree() -> Result<CategoryTree, AppError> {
    let user = crate::accounts::auth::require(READ).await?;
    let state = crate::server::state()?;
    let stored = super::repo::all(&state.db).await?;
    Ok(CategoryTree {
        lines: super::repo::lines(&stored),
        can_edit: user.can(WRITE),
    })
}

/// The editor of category `id`, or a blank one for a new category (which needs `categories` write).
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_category_editor(id: Option<i64>) -> Result<CategoryEditor, AppError> {
    let user = crate::accounts::auth::require(READ).await?;
    let can_edit = user.can(WRITE);
    if id.is_none() && !can_edit {
        return Err(AppError::Forbidden);
    }
    let state = crate::server::state()?;
    let stored = super::repo::all(&state.db).await?;
    let this = match id {
        Some(id) => Some(
            stored
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| AppError::not_found("That category"))?,
        ),
        None => None,
    };
    let others = || stored.iter().filter(|c| Some(c.id) != id);
    let parent = this
        .and_then(|c| c.parent_id)
        .and_then(|parent| stored.iter().find(|c| c.id == parent))
        .map(|c| c.slug.clone());
    Ok(CategoryEditor {
        id,
        name: this.map(|c| c.name.clone()).unwrap_or_default(),
        slug: this.map(|c| c.slug.clone()).unwrap_or_default(),
        description: this.map(|c| c.description.clone()).unwrap_or_default(),
        parent,
        hidden: this.is_some_and(|c| c.hidden),
        products: this.map_or(0, |c| c.products),
        has_children: this
            .is_some_and(|c| stored.iter().any(|child| child.parent_id == Some(c.id))),
        picture: this.and_then(|c| c.picture.editor()),
        parents: super::repo::options(others().filter(|c| c.parent_id.is_none())),
        others: super::repo::options(others()),
        can_edit,
    })
}

/// Creates a category (`id` absent) or saves one. It goes under a top-level category or at the
/// top; one with subcategories stays at the top.
#[server(prefix = "/api/manage")]
pub async fn save_category(
    #[server(default)] id: Option<i64>,
    category: CategoryFields,
) -> Result<(), AppError> {
    use super::repo;
    let user = crate::accounts::auth::require(WRITE).await?;
    let draft = category.check()?;
    let state = crate::server::state()?;
    let taken = format!(
        "The address /c/{} is taken by another category; choose another.",
        draft.slug
    );
    let mut tx = state.db.begin().await?;
    // This category and its new parent are locked (in id order) before where they sit is checked,
    // so two moves at once can make neither a loop nor a third level.
    let parent = match &draft.parent {
        Some(slug) => Some(
            repo::by_slug(&mut tx, slug)
                .await?
                .ok_or_else(|| AppError::not_found("That parent category"))?
                .0,
        ),
        None => None,
    };
    let mut locked: Vec<i64> = id.into_iter().chain(parent).collect();
    locked.sort_unstable();
    for category in locked {
        tx.lock_row(crate::server::db::Locked::Category, category)
            .await?;
    }
    let before = match id {
        Some(id) => Some(
            repo::find(&mut tx, id)
                .await?
                .ok_or_else(|| AppError::not_found("That category"))?,
        ),
        None => None,
    };
    if let Some(holder) = repo::slug_holder(&mut tx, &draft.slug).await?
        && Some(holder) != id
    {
        return Err(AppError::Conflict(taken));
    }
    let parent_id = match &draft.parent {
        None => None,
        Some(slug) => {
            let (parent, at_top) = repo::by_slug(&mut tx, slug)
                .await?
                .ok_or_else(|| AppError::not_found("That parent category"))?;
            if Some(parent) == id || !at_top {
                return Err(AppError::bad_request(
                    "A category goes under a top-level category other than itself.",
                ));
            }
            if let Some(id) = id
                && repo::has_children(&mut tx, id).await?
            {
                return Err(AppError::bad_request(
                    "This category has subcategories, so it stays at the top: the shop shows two levels.",
                ));
            }
            Some(parent)
        }
    };
    let (saved, action) = match id {
        Some(id) => {
            repo::update(&mut tx, id, &draft, parent_id)
                .await
                .on_constraint(Constraint::Unique, || AppError::Conflict(taken.clone()))?;
            if let Some(before) = before.as_ref().filter(|b| b.slug != draft.slug) {
                repo::redirect_slug(&mut tx, id, &before.slug, &draft.slug).await?;
            }
            (id, AuditAction::UpdateCategory)
        }
        None => (
            repo::insert(&mut tx, &draft, parent_id)
                .await
                .on_constraint(Constraint::Unique, || AppError::Conflict(taken.clone()))?,
            AuditAction::CreateCategory,
        ),
    };
    let before = before.map(|b| serde_json::json!(b));
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Category, saved),
        action,
        before,
        Some(serde_json::json!(draft)),
    )
    .await?;
    if id.is_none() {
        leptos_axum::redirect(&format!("/manage/categories/{saved}"));
    }
    Ok(())
}

/// Moves a category one place up or down among its siblings.
#[server(prefix = "/api/manage")]
pub async fn move_category(id: i64, direction: String) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(WRITE).await?;
    use crate::manage::Direction;
    let direction = Direction::parse(&direction)?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    super::repo::find(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("That category"))?;
    if !super::repo::move_category(&mut tx, id, direction).await? {
        return Err(AppError::bad_request(match direction {
            Direction::Up => "That category is already first.",
            Direction::Down => "That category is already last.",
        }));
    }
    let moved = serde_json::json!({ "moved": direction.name() });
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Category, id),
        AuditAction::MoveCategory,
        None,
        Some(moved),
    )
    .await
}

/// Deletes a category without subcategories; its products move to `move_to` first, which is
/// required when it has any.
#[server(prefix = "/api/manage")]
pub async fn delete_category(
    id: i64,
    #[server(default)] move_to: Option<String>,
) -> Result<(), AppError> {
    use super::repo;
    let user = crate::accounts::auth::require(WRITE).await?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    // A subcategory being added under it waits for this, and is then refused its parent.
    tx.lock_row(crate::server::db::Locked::Category, id).await?;
    let before = repo::find(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("That category"))?;
    if repo::has_children(&mut tx, id).await? {
        return Err(AppError::bad_request(
            "Move or delete its subcategories first.",
        ));
    }
    let move_to = move_to.filter(|slug| !slug.trim().is_empty());
    let moved = match (before.products, move_to) {
        (0, _) => None,
        (_, None) => {
            return Err(AppError::bad_request(format!(
                "Choose where its {} products go.",
                before.products
            )));
        }
        (_, Some(slug)) => {
            let (to, _) = repo::by_slug(&mut tx, slug.trim())
                .await?
                .filter(|(to, _)| *to != id)
                .ok_or_else(|| AppError::not_found("The category for its products"))?;
            repo::move_products(&mut tx, id, to).await?;
            Some(slug)
        }
    };
    repo::delete(&mut tx, id)
        .await
        .map_err(|error| {
            match error {
        sqlx::Error::Database(db)
            if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation =>
        {
            AppError::Conflict(
                "A product was just put in this category; delete it again to move that one too."
                    .into(),
            )
        }
        other => other.into(),
    }
        })?;
    let after = moved.map(|slug| serde_json::json!({ "products_moved_to": slug }));
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Category, id),
        AuditAction::DeleteCategory,
        Some(serde_json::json!(before)),
        after,
    )
    .await?;
    leptos_axum::redirect("/manage/categories");
    Ok(())
}

/// The largest picture upload: one file at the largest size an image may have, and the form.
#[cfg(feature = "ssr")]
const PICTURE_UPLOAD_MAX_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;

#[cfg(feature = "ssr")]
inventory::submit! {
    crate::server::http::Upload { path: <UploadCategoryPicture as leptos::server_fn::ServerFn>::PATH, max_bytes: PICTURE_UPLOAD_MAX_BYTES }
}

/// A picture's description, which a category's picture needs.
#[cfg(feature = "ssr")]
fn picture_alt(text: &str) -> Result<String, AppError> {
    let alt = crate::manage::products::images::check_alt(text)?;
    if alt.is_empty() {
        return Err(AppError::bad_request(
            "Describe the picture: say what it shows.",
        ));
    }
    Ok(alt)
}

/// Gives a category its picture, replacing any it had: checked by its content (JPEG, PNG or WebP),
/// decoded under size and pixel limits and stored with its renditions, as a product's images are.
/// The form sends `id`, `alt` and the file as `image`.
#[server(prefix = "/api/manage", input = MultipartFormData)]
pub async fn upload_category_picture(data: MultipartData) -> Result<(), AppError> {
    use crate::server::media::{self, ImageLimits};
    let user = crate::accounts::auth::require(WRITE).await?;
    let state = crate::server::state()?;
    let unreadable = |_| crate::server::http::cut_short();
    let mut form = data
        .into_inner()
        .ok_or_else(|| AppError::bad_request("Send the picture as a form."))?;
    let (mut id, mut alt, mut file) = (None, String::new(), None);
    let max_bytes = ImageLimits::default().max_bytes;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "id" => {
                id = field
                    .text()
                    .await
                    .map_err(unreadable)?
                    .trim()
                    .parse::<i64>()
                    .ok()
            }
            "alt" => alt = field.text().await.map_err(unreadable)?,
            "image" => {
                let name = field.file_name().unwrap_or("The file").to_owned();
                let bytes =
                    crate::server::http::read_file_part(&mut field, &name, max_bytes).await?;
                file = Some((name, bytes)).filter(|(_, bytes)| !bytes.is_empty());
            }
            _ => {}
        }
    }
    let id = id.ok_or_else(|| AppError::bad_request("Which category?"))?;
    let alt = picture_alt(&alt)?;
    let (name, bytes) = file.ok_or_else(|| AppError::bad_request("Choose a picture to upload."))?;
    // Before the work of decoding: the write below finds it again under its lock.
    if !super::repo::exists(&state.db, id).await? {
        return Err(AppError::not_found("That category"));
    }
    let stored = media::store_uploads(state.config.media_dir.clone(), vec![(name, bytes)])
        .await?
        .pop()
        .ok_or(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    tx.lock_row(crate::server::db::Locked::Category, id).await?;
    let before = super::repo::find(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("That category"))?;
    super::repo::set_picture(&mut tx, id, Some((&stored, &alt))).await?;
    let after = serde_json::json!({
        "image_path": stored.path, "image_alt": alt, "image_width": stored.width,
        "image_height": stored.height,
    });
    // A replaced picture's files go once nothing uses them (the image sweep).
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Category, id),
        AuditAction::UpdateCategory,
        Some(serde_json::json!(before.picture)),
        Some(after),
    )
    .await
}

/// Describes a category's picture anew.
#[server(prefix = "/api/manage")]
pub async fn describe_category_picture(id: i64, alt: String) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(WRITE).await?;
    let alt = picture_alt(&alt)?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    let before = picture_of(&mut tx, id).await?;
    super::repo::set_picture_alt(&mut tx, id, &alt).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Category, id),
        AuditAction::UpdateCategory,
        Some(serde_json::json!({ "image_alt": before.image_alt })),
        Some(serde_json::json!({ "image_alt": alt })),
    )
    .await
}

/// Takes a category's picture away; its files go once nothing uses them.
#[server(prefix = "/api/manage")]
pub async fn remove_category_picture(id: i64) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(WRITE).await?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    let before = picture_of(&mut tx, id).await?;
    super::repo::set_picture(&mut tx, id, None).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Category, id),
        AuditAction::UpdateCategory,
        Some(serde_json::json!(before)),
        None,
    )
    .await
}

/// Category `id`'s picture, locked for a change: not found when it has none.
#[cfg(feature = "ssr")]
async fn picture_of(
    tx: &mut crate::server::db::Tx,
    id: i64,
) -> Result<super::repo::StoredPicture, AppError> {
    tx.lock_row(crate::server::db::Locked::Category, id).await?;
    super::repo::find(tx, id)
        .await?
        .map(|category| category.picture)
        .filter(|picture| picture.image_path.is_some())
        .ok_or_else(|| AppError::not_found("That category's picture"))
}
