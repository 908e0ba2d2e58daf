//! Product server functions: staff with `products` read see the table; managers and admins
//! (`products` write) act on it.

use super::editor::{ProductEditor, ProductFields};
use super::{ProductFilters, ProductTable};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use crate::accounts::{Action, Permission, Resource};
#[cfg(feature = "ssr")]
use crate::server::db::{Constraint, OnConstraint};
#[cfg(feature = "ssr")]
pub(super) const READ: Permission = Permission(Resource::Products, Action::Read);
#[cfg(feature = "ssr")]
pub(super) const WRITE: Permission = Permission(Resource::Products, Action::Write);

/// A page of the products table for its filters, with the categories to filter and move by.
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_product_table(
    #[server(default)] filters: ProductFilters,
) -> Result<ProductTable, AppError> {
    let user = crate::accounts::auth::require(READ).await?;
    let state = crate::server::state()?;
    let checked = filters.check()?;
    let (mut rows, categories) = tokio::try_join!(
        super::repo::list(&state.db, &checked, super::PRODUCT_PAGE + 1),
        super::repo::category_choices(&state.db),
    )?;
    let next = (rows.len() > super::PRODUCT_PAGE).then(|| {
        rows.truncate(super::PRODUCT_PAGE);
        rows.last().map(|row| row.id)
    });
    Ok(ProductTable {
        rows,
        next: next.flatten(),
        categories,
        can_edit: user.can(WRITE),
    })
}

/// Publishes, withdraws, archives or moves the selected products, all or none, each change in the
/// audit log. Publishing needs a variant to sell.
#[server(prefix = "/api/manage")]
pub async fn update_products(
    action: String,
    #[server(default)] ids: Vec<i64>,
    #[server(default)] category: Option<String>,
) -> Result<(), AppError> {
    use super::BulkAction;
    use crate::accounts::repo::{AuditEntry, audit};
    use crate::accounts::{AuditAction, AuditEntity};
    let user = crate::accounts::auth::require(WRITE).await?;
    let action = BulkAction::parse(&action, category.as_deref())?;
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::bad_request("Select at least one product."));
    }
    if ids.len() > super::MAX_SELECTED {
        return Err(AppError::bad_request(format!(
            "Select at most {} products at once.",
            super::MAX_SELECTED
        )));
    }
    let state = crate::server::state()?;
    let client = crate::accounts::auth::client().await;
    let mut tx = state.db.begin().await?;
    // In id order, so two actions on overlapping rows take turns rather than deadlock.
    for id in &ids {
        tx.lock_row(crate::server::db::Locked::Product, *id).await?;
    }
    let before = super::repo::placements(&mut tx, &ids).await?;
    if before.len() != ids.len() {
        return Err(AppError::not_found(
            "One of the selected products (reload the page to see the current list)",
        ));
    }
    let audit_action = match &action {
        BulkAction::Publish => AuditAction::PublishProduct,
        BulkAction::Withdraw => AuditAction::WithdrawProduct,
        BulkAction::Archive => AuditAction::ArchiveProduct,
        BulkAction::MoveTo(_) => AuditAction::MoveProduct,
    };
    for placement in &before {
        let mut after = placement.clone();
        match &action {
            BulkAction::MoveTo(slug) => {
                if placement.category == *slug {
                    continue;
                }
                if !super::repo::set_category(&mut tx, placement.id, slug).await? {
                    return Err(AppError::not_found("That category"));
                }
                after.category = slug.clone();
            }
            status_change => {
                let status = status_change.status().ok_or(AppError::Internal)?;
                if placement.status == status.name() {
                    continue;
                }
                if status == super::ProductStatus::Active {
                    ready_to_publish(&mut tx, placement.id).await?;
                }
                super::repo::set_status(&mut tx, placement.id, status).await?;
                after.status = status.name().to_owned();
            }
        }
        let snapshot = |p: &super::repo::Placement| serde_json::json!({ "status": p.status, "category": p.category });
        audit(
            &mut tx,
            AuditEntry {
                actor_user_id: Some(user.id),
                action: audit_action,
                entity_type: AuditEntity::Product,
                entity_id: placement.id.to_string(),
                before: Some(snapshot(placement)),
                after: Some(snapshot(&after)),
                ip: Some(&client.ip),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The editor of product `id`, or a blank one for a new product (which needs `products` write).
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_product_editor(id: Option<i64>) -> Result<ProductEditor, AppError> {
    let user = crate::accounts::auth::require(READ).await?;
    let can_edit = user.can(WRITE);
    let state = crate::server::state()?;
    let categories = super::repo::category_choices(&state.db).await?;
    let Some(id) = id else {
        if !can_edit {
            return Err(AppError::Forbidden);
        }
        return Ok(ProductEditor {
            id: None,
            name: String::new(),
            slug: String::new(),
            description: String::new(),
            category: None,
            status: super::ProductStatus::Draft,
            seo_title: String::new(),
            seo_description: String::new(),
            variants: Vec::new(),
            images: Vec::new(),
            ordered: false,
            categories,
            can_edit,
        });
    };
    let (draft, variants, ordered) = super::repo::editor(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("That product"))?;
    let images = super::repo::images(&state.db, id).await?;
    Ok(ProductEditor {
        id: Some(id),
        name: draft.name,
        slug: draft.slug,
        description: draft.description,
        category: Some(draft.category),
        status: draft.status,
        seo_title: draft.seo_title.unwrap_or_default(),
        seo_description: draft.seo_description.unwrap_or_default(),
        variants,
        images: images
            .into_iter()
            .map(super::images::ProductImage::of)
            .collect(),
        ordered,
        categories,
        can_edit,
    })
}

/// Creates a product (`id` absent) or saves its fields, with an audit entry; a new product goes on
/// to its editor. An address another product has, or had, is refused.
#[server(prefix = "/api/manage")]
pub async fn save_product(
    #[server(default)] id: Option<i64>,
    product: ProductFields,
) -> Result<i64, AppError> {
    use super::repo::{self, SlugHolder};
    use crate::accounts::{AuditAction, AuditEntity};
    let user = crate::accounts::auth::require(WRITE).await?;
    let draft = product.check()?;
    let state = crate::server::state()?;
    let taken = format!(
        "The address /p/{} is taken by another product; choose another.",
        draft.slug
    );
    let mut tx = state.db.begin().await?;
    // Locked before it is read, so a concurrent save or variant removal waits for this one.
    let before = match id {
        Some(id) => {
            tx.lock_row(crate::server::db::Locked::Product, id).await?;
            Some(
                repo::draft_in(&mut tx, id)
                    .await?
                    .ok_or_else(|| AppError::not_found("That product"))?,
            )
        }
        None => None,
    };
    let category_id = repo::category_id(&mut tx, &draft.category)
        .await?
        .ok_or_else(|| AppError::not_found("That category"))?;
    match repo::slug_holder(&mut tx, &draft.slug).await? {
        Some(SlugHolder::Product(other) | SlugHolder::FormerlyOf(other)) if Some(other) != id => {
            return Err(AppError::Conflict(taken));
        }
        _ => {}
    }
    let saved = match (id, &before) {
        (Some(id), Some(before)) => {
            if draft.status == super::ProductStatus::Active {
                ready_to_publish(&mut tx, id).await?;
            }
            repo::update(&mut tx, id, before, &draft, category_id)
                .await
                .on_constraint(Constraint::Unique, || AppError::Conflict(taken.clone()))?;
            id
        }
        _ => {
            if draft.status == super::ProductStatus::Active {
                return Err(AppError::bad_request(
                    "Save the product as a draft first: it needs a variant before it is published.",
                ));
            }
            repo::insert(&mut tx, &draft, category_id, state.settings.shop.currency)
                .await
                .on_constraint(Constraint::Unique, || AppError::Conflict(taken.clone()))?
        }
    };
    let snapshot = |d: &super::editor::ProductDraft| {
        serde_json::json!({
            "name": d.name, "slug": d.slug, "category": d.category, "status": d.status.name(),
            "description": d.description, "seo_title": d.seo_title, "seo_description": d.seo_description,
        })
    };
    let action = match before {
        Some(_) => AuditAction::UpdateProduct,
        None => AuditAction::CreateProduct,
    };
    crate::manage::commit_audited(
        tx,
        user.id,
        (AuditEntity::Product, saved),
        action,
        before.as_ref().map(snapshot),
        Some(snapshot(&draft)),
    )
    .await?;
    if id.is_none() {
        leptos_axum::redirect(&format!("/manage/products/{saved}"));
    }
    Ok(saved)
}

/// Deletes a product that was never ordered; one that was is archived instead, so its orders keep
/// their lines.
#[server(prefix = "/api/manage")]
pub async fn delete_product(id: i64) -> Result<(), AppError> {
    use crate::accounts::{AuditAction, AuditEntity};
    use crate::server::db::Locked;
    let user = crate::accounts::auth::require(WRITE).await?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    if !tx.lock_row(Locked::Product, id).await? {
        return Err(AppError::not_found("That product"));
    }
    // A checkout holding its stock commits before the check below looks for its order.
    let variants = super::repo::variant_ids(&mut tx, id).await?;
    tx.lock_inventory(&variants).await?;
    let before = super::repo::draft_in(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("That product"))?;
    if !super::repo::delete(&mut tx, id).await? {
        return Err(AppError::Conflict(
            "This product has been ordered, so it stays for its orders: archive it instead.".into(),
        ));
    }
    crate::manage::commit_audited(
        tx,
        user.id,
        (AuditEntity::Product, id),
        AuditAction::DeleteProduct,
        Some(serde_json::json!({ "name": before.name, "slug": before.slug })),
        None,
    )
    .await?;
    leptos_axum::redirect("/manage/products");
    Ok(())
}

/// A product is published with something to sell and every image described.
#[cfg(feature = "ssr")]
async fn ready_to_publish(tx: &mut crate::server::db::Tx, id: i64) -> Result<(), AppError> {
    if super::repo::variant_count(tx, id).await? == 0 {
        return Err(AppError::bad_request(
            "A product without variants cannot be published; add one first.",
        ));
    }
    match super::repo::undescribed_images(tx, id).await? {
        0 => Ok(()),
        n => Err(AppError::bad_request(format!(
            "Describe every image before publishing: {n} {} no description.",
            if n == 1 { "has" } else { "have" }
        ))),
    }
}

/// The product a variant belongs to, checked to be `product_id`'s.
#[cfg(feature = "ssr")]
async fn variant_of(
    tx: &mut crate::server::db::Tx,
    product_id: i64,
    variant_id: i64,
) -> Result<super::repo::VariantState, AppError> {
    super::repo::variant_state(tx, variant_id)
        .await?
        .filter(|variant| variant.product_id == product_id)
        .ok_or_else(|| AppError::not_found("That variant"))
}

/// Adds a variant to product `product_id` (`variant_id` absent) or saves one of its variants.
/// The product's listing price follows its cheapest variant in the same transaction.
#[server(prefix = "/api/manage")]
pub async fn save_variant(
    product_id: i64,
    #[server(default)] variant_id: Option<i64>,
    variant: super::variants::VariantFields,
) -> Result<(), AppError> {
    use crate::accounts::AuditAction;
    let user = crate::accounts::auth::require(WRITE).await?;
    let state = crate::server::state()?;
    let draft = variant.check(state.settings.shop.currency)?;
    let mut tx = state.db.begin().await?;
    if !tx
        .lock_row(crate::server::db::Locked::Product, product_id)
        .await?
    {
        return Err(AppError::not_found("That product"));
    }
    let taken = format!("The SKU {} is taken by another variant.", draft.sku);
    if let Some(holder) = super::repo::sku_holder(&mut tx, &draft.sku).await?
        && Some(holder) != variant_id
    {
        return Err(AppError::Conflict(taken));
    }
    let (id, action, before) = match variant_id {
        Some(id) => {
            let before = variant_of(&mut tx, product_id, id).await?;
            super::repo::update_variant(&mut tx, id, &draft)
                .await
                .on_constraint(Constraint::Unique, || AppError::Conflict(taken.clone()))?;
            (
                id,
                AuditAction::UpdateVariant,
                Some(serde_json::json!(before)),
            )
        }
        None => (
            super::repo::insert_variant(&mut tx, product_id, &draft)
                .await
                .on_constraint(Constraint::Unique, || AppError::Conflict(taken.clone()))?,
            AuditAction::AddVariant,
            None,
        ),
    };
    super::repo::refresh_price(&mut tx, product_id).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Variant, id),
        action,
        before,
        Some(serde_json::json!(draft)),
    )
    .await
}

/// Moves a variant one place up or down in its product's list.
#[server(prefix = "/api/manage")]
pub async fn move_variant(
    product_id: i64,
    variant_id: i64,
    direction: String,
) -> Result<(), AppError> {
    use crate::manage::Direction;
    let user = crate::accounts::auth::require(WRITE).await?;
    let direction = Direction::parse(&direction)?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    tx.lock_row(crate::server::db::Locked::Product, product_id)
        .await?;
    variant_of(&mut tx, product_id, variant_id).await?;
    if !super::repo::move_variant(&mut tx, product_id, variant_id, direction).await? {
        return Err(AppError::bad_request(match direction {
            Direction::Up => "That variant is already first.",
            Direction::Down => "That variant is already last.",
        }));
    }
    let moved = serde_json::json!({ "moved": direction.name() });
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Variant, variant_id),
        crate::accounts::AuditAction::MoveVariant,
        None,
        Some(moved),
    )
    .await
}

/// Removes a variant that was never ordered and holds no reservation, with its stock and ledger.
/// A published product keeps at least one variant.
#[server(prefix = "/api/manage")]
pub async fn remove_variant(product_id: i64, variant_id: i64) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(WRITE).await?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    tx.lock_row(crate::server::db::Locked::Product, product_id)
        .await?;
    // A checkout holding this variant commits before the checks below look for its order.
    tx.lock_inventory(&[variant_id]).await?;
    let before = variant_of(&mut tx, product_id, variant_id).await?;
    if before.ordered {
        return Err(AppError::Conflict(
            "This variant has been ordered, so it stays for its orders.".into(),
        ));
    }
    if !super::repo::delete_variant(&mut tx, variant_id).await? {
        return Err(AppError::Conflict(
            "This variant is held by an unpaid order; remove it once that order is paid or cancelled."
                .into(),
        ));
    }
    if super::repo::variant_count(&mut tx, product_id).await? == 0
        && super::repo::is_active(&mut tx, product_id).await?
    {
        return Err(AppError::bad_request(
            "A published product keeps at least one variant: withdraw it first.",
        ));
    }
    super::repo::refresh_price(&mut tx, product_id).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Variant, variant_id),
        crate::accounts::AuditAction::RemoveVariant,
        Some(serde_json::json!(before)),
        None,
    )
    .await
}
