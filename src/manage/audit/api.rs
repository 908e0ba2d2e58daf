//! The audit log's server function: managers and admins read it (`audit` read).

use super::{AuditFilters, AuditPage};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_audit_log(
    #[server(default)] filters: AuditFilters,
) -> Result<AuditPage, AppError> {
    use crate::accounts::{Action, Permission, Resource};
    let user = crate::accounts::auth::require(Permission(Resource::Audit, Action::Read)).await?;
    let state = crate::server::state()?;
    let mut checked = filters.check()?;
    // What was done to accounts shows their details: only for those who may read accounts.
    checked.without_users = !user.can(Permission(Resource::Users, Action::Read));
    let mut lines = super::repo::list(&state.db, &checked, super::AUDIT_PAGE + 1).await?;
    let next = (lines.len() > super::AUDIT_PAGE).then(|| {
        lines.truncate(super::AUDIT_PAGE);
        lines.last().map(|line| line.id)
    });
    Ok(AuditPage {
        lines,
        next: next.flatten(),
    })
}
