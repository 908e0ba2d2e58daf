//! Category server functions: staff with `categories` read see the tree; managers and admins
//! (`categories` write) change it. Every change is audited.

use super::{CategoryEditor, CategoryFields, CategoryTree};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

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
