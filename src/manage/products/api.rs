//! Product server functions: staff with `products` read see the table; managers and admins
//! (`products` write) act on it.

use super::{ProductFilters, ProductTable};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use crate::accounts::{Action, Permission, Resource};
#[cfg(feature = "ssr")]
const READ: Permission = Permission(Resource::Products, Action::Read);
#[cfg(feature = "ssr")]
const WRITE: Permission = Permission(Resource::Products, Action::Write);

/// A page of the products table for its filters, with the categories to filter and move by.
#[server(input = GetUrl)]
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
#[server]
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
                if status == super::ProductStatus::Active
                    && super::repo::variant_count(&mut tx, placement.id).await? == 0
                {
                    return Err(AppError::bad_request(
                        "A product without variants cannot be published; add one first.",
                    ));
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
