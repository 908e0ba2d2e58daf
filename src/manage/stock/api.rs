//! Stock server functions: support, managers and admins read and adjust it (`inventory`).

use super::{StockList, VariantStock};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use crate::accounts::{Action, Permission, Resource};
#[cfg(feature = "ssr")]
const READ: Permission = Permission(Resource::Inventory, Action::Read);
#[cfg(feature = "ssr")]
const WRITE: Permission = Permission(Resource::Inventory, Action::Write);

/// A page of variants with their stock: search by product name or SKU, filter by state.
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn list_stock(
    q: Option<String>,
    show: Option<String>,
    after: Option<i64>,
) -> Result<StockList, AppError> {
    crate::accounts::auth::require(READ).await?;
    let state = crate::server::state()?;
    let search = q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::bad_request("Search for at most 100 characters."));
    }
    let filter = super::StockFilter::parse(show.as_deref());
    let mut rows =
        super::repo::list(&state.db, search, filter, after, super::STOCK_PAGE + 1).await?;
    let next = (rows.len() > super::STOCK_PAGE).then(|| {
        rows.truncate(super::STOCK_PAGE);
        rows.last().map(|row| row.variant_id)
    });
    Ok(StockList {
        rows,
        next: next.flatten(),
    })
}

/// One variant's stock and its newest ledger rows.
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_variant_stock(variant_id: i64) -> Result<VariantStock, AppError> {
    let user = crate::accounts::auth::require(READ).await?;
    let state = crate::server::state()?;
    let row = super::repo::find(&state.db, variant_id)
        .await?
        .ok_or_else(|| AppError::not_found("That variant"))?;
    let mut ledger = super::repo::ledger(&state.db, variant_id, super::LEDGER_ROWS + 1).await?;
    let ledger_truncated = ledger.len() > super::LEDGER_ROWS;
    ledger.truncate(super::LEDGER_ROWS);
    Ok(VariantStock {
        row,
        ledger,
        ledger_truncated,
        can_adjust: user.can(WRITE),
    })
}

/// Adds `delta` (negative takes away) to a variant's stock, with a reason and a note: a ledger
/// row and an audit entry in the same transaction. Refused with nothing written when it would
/// leave less on hand than is reserved for unpaid orders.
#[server(prefix = "/api/manage")]
pub async fn adjust_stock(
    variant_id: i64,
    delta: String,
    reason: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    use crate::accounts::repo::{AuditEntry, audit};
    use crate::accounts::{AuditAction, AuditEntity};
    let user = crate::accounts::auth::require(WRITE).await?;
    let change = super::Adjustment::parse(&delta, &reason, &note)?;
    let state = crate::server::state()?;
    let client = crate::accounts::auth::client().await;
    let mut tx = state.db.begin().await?;
    let Some(on_hand) = super::repo::adjust(&mut tx, variant_id, &change, Some(user.id)).await?
    else {
        drop(tx);
        return Err(refusal(&state, variant_id, change.delta).await);
    };
    audit(
        &mut tx,
        AuditEntry {
            actor_user_id: Some(user.id),
            action: AuditAction::AdjustStock,
            entity_type: AuditEntity::Variant,
            entity_id: variant_id.to_string(),
            before: Some(serde_json::json!({ "on_hand": on_hand - change.delta })),
            after: Some(serde_json::json!({
                "on_hand": on_hand,
                "delta": change.delta,
                "reason": change.reason.name(),
                "note": change.note,
            })),
            ip: Some(&client.ip),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why an adjustment of `delta` was not made, in the variant's figures as they are now.
#[cfg(feature = "ssr")]
async fn refusal(state: &crate::server::AppState, variant_id: i64, delta: i32) -> AppError {
    let row = match super::repo::find(&state.db, variant_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return AppError::not_found("That variant"),
        Err(error) => return error.into(),
    };
    if delta > 0 {
        return AppError::bad_request(format!(
            "{} would have more than {} on hand.",
            row.sku,
            super::MAX_ON_HAND
        ));
    }
    let removable = row.available().max(0);
    AppError::Conflict(match row.reserved {
        0 => format!(
            "Only {} of {} are on hand, so at most {removable} can be taken away.",
            row.on_hand, row.sku
        ),
        reserved => format!(
            "{reserved} of {} are reserved for unpaid orders, so at most {removable} can be taken away.",
            row.sku
        ),
    })
}
