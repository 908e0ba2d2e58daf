//! Back-office server functions. Each starts with the one guard, `auth::require`, for the
//! permission it needs; every change to a user lands in the audit log with before and after.

use super::{ManageAccess, UserDetail, UserList};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
mod admin {
    use super::super::{AuditView, UserSummary};
    use crate::accounts::repo::{self, AuditEntry, UserRecord};
    use crate::accounts::{
        Action, AuditAction, AuditEntity, CurrentUser, Permission, Resource, auth,
    };
    use crate::error::AppError;
    use crate::server::AppState;

    pub const READ: Permission = Permission(Resource::Users, Action::Read);
    pub const WRITE: Permission = Permission(Resource::Users, Action::Write);

    pub fn summary(record: &UserRecord) -> UserSummary {
        UserSummary {
            id: record.id,
            email: record.email.clone(),
            display_name: record.display_name.clone(),
            role: record.role,
            disabled: record.disabled_at.is_some(),
            created_at: record.created_at.format("%Y-%m-%d").to_string(),
        }
    }

    pub fn snapshot(record: &UserRecord) -> serde_json::Value {
        serde_json::json!({
            "email": record.email,
            "display_name": record.display_name,
            "role": record.role.name(),
            "disabled": record.disabled_at.is_some(),
        })
    }

    pub fn audit_view(row: repo::AuditRow) -> AuditView {
        AuditView {
            actor: row.actor.unwrap_or_else(|| "the shop".into()),
            action: row.action,
            before: row.before_data,
            after: row.after_data,
            at: row.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }

    /// The target of an admin action on another user: it must exist and must not be the admin.
    pub async fn other_user(
        state: &AppState,
        admin: &CurrentUser,
        user_id: i64,
    ) -> Result<UserRecord, AppError> {
        if user_id == admin.id {
            return Err(AppError::bad_request(
                "You cannot do that to your own account; ask another admin.",
            ));
        }
        repo::find_by_id(&state.db, user_id)
            .await?
            .ok_or_else(|| AppError::not_found("That user"))
    }

    /// Applies `change` to a user in one transaction with its audit entry.
    pub async fn change_user<F>(
        state: &AppState,
        admin: &CurrentUser,
        user_id: i64,
        action: AuditAction,
        change: F,
    ) -> Result<(), AppError>
    where
        F: AsyncFnOnce(&mut crate::server::db::Tx, &UserRecord) -> Result<(), AppError>,
    {
        let target = other_user(state, admin, user_id).await?;
        let client = auth::client().await;
        let mut tx = state.db.begin().await?;
        change(&mut tx, &target).await?;
        let after = repo::find_by_id_in(&mut tx, user_id)
            .await?
            .ok_or(AppError::Internal)?;
        // A deletion is logged without the person it removed.
        let forgets = action == AuditAction::DeleteUser;
        repo::audit(
            &mut tx,
            AuditEntry {
                actor_user_id: Some(admin.id),
                action,
                entity_type: AuditEntity::User,
                entity_id: user_id.to_string(),
                before: (!forgets).then(|| snapshot(&target)),
                after: (!forgets).then(|| snapshot(&after)),
                ip: Some(&client.ip),
            },
        )
        .await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(())
    }
}

/// The back-office layout's data; refuses anyone who is not staff.
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_manage_access() -> Result<ManageAccess, AppError> {
    let user = crate::accounts::auth::require_user().await?;
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    Ok(ManageAccess {
        nav: super::SECTIONS
            .iter()
            .filter(|(_, _, permission)| user.can(*permission))
            .map(|(label, href, _)| super::NavItem {
                label: (*label).to_owned(),
                href: (*href).to_owned(),
            })
            .collect(),
        display_name: user.display_name,
        role: user.role,
        permissions: user.permissions,
    })
}

#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn list_users(q: Option<String>, before: Option<i64>) -> Result<UserList, AppError> {
    use crate::accounts::repo;
    const USERS_PER_PAGE: i64 = 50;
    crate::accounts::auth::require(admin::READ).await?;
    let state = crate::server::state()?;
    let search = q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::bad_request("Search for at most 100 characters."));
    }
    let mut rows = repo::list_users(&state.db, search, before, USERS_PER_PAGE + 1).await?;
    let next = (rows.len() as i64 > USERS_PER_PAGE).then(|| {
        rows.truncate(USERS_PER_PAGE as usize);
        rows.last().map(|row| row.id)
    });
    Ok(UserList {
        users: rows
            .into_iter()
            .map(|row| super::UserSummary {
                id: row.id,
                email: row.email,
                display_name: row.display_name,
                role: row.role,
                disabled: row.disabled_at.is_some(),
                created_at: row.created_at.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        next: next.flatten(),
    })
}

#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_user(user_id: i64) -> Result<UserDetail, AppError> {
    use crate::accounts::repo;
    let admin = crate::accounts::auth::require(admin::READ).await?;
    let state = crate::server::state()?;
    let record = repo::find_by_id(&state.db, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("That user"))?;
    let sessions = repo::sessions_of(&state.db, user_id)
        .await?
        .into_iter()
        .map(|row| crate::accounts::SessionView {
            handle: row.handle(),
            device: crate::accounts::describe_device(&row.user_agent),
            ip: row.ip,
            signed_in_at: row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            last_seen_at: row.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            current: false,
        })
        .collect();
    let audit = repo::audit_of(
        &state.db,
        crate::accounts::AuditEntity::User,
        &user_id.to_string(),
        50,
    )
    .await?
    .into_iter()
    .map(admin::audit_view)
    .collect();
    Ok(UserDetail {
        user: admin::summary(&record),
        email_verified: record.email_verified_at.is_some(),
        sessions,
        audit,
        is_self: admin.id == user_id,
    })
}

/// Creates a staff (or customer) account and emails its owner a link to choose a password. The
/// admin types their own password again.
#[server(prefix = "/api/manage")]
pub async fn create_user(
    email: String,
    display_name: String,
    role: String,
    current_password: String,
) -> Result<(), AppError> {
    use crate::accounts::repo::{self, AuditEntry, TokenPurpose};
    use crate::accounts::{Email, Role, parse_display_name, password};
    let admin =
        crate::accounts::auth::require_with_password(admin::WRITE, current_password).await?;
    let state = crate::server::state()?;
    let email = Email::parse(&email)?;
    let name = parse_display_name(&display_name)?;
    let role = Role::parse(&role)?;
    // Nobody knows this password; the invitation link replaces it.
    let hash = password::hash(password::generate(32))
        .await
        .map_err(|_| AppError::Internal)?;
    let client = crate::accounts::auth::client().await;
    let mut tx = state.db.begin().await?;
    let Some(user_id) =
        repo::insert_user(&mut tx, email.as_str(), &name, &hash, role, true).await?
    else {
        return Err(AppError::Conflict(
            "An account with that email address already exists.".into(),
        ));
    };
    let token = repo::create_token(
        &mut tx,
        user_id,
        TokenPurpose::ResetPassword,
        None,
        chrono::Duration::hours(1),
    )
    .await?;
    let letterhead = crate::accounts::emails::Letterhead::of(&state);
    crate::server::mail::enqueue(
        &mut tx,
        &letterhead.staff_invitation(email.as_str(), &name, role.label(), &token),
    )
    .await?;
    repo::audit(&mut tx, AuditEntry {
        actor_user_id: Some(admin.id),
        action: crate::accounts::AuditAction::CreateUser,
        entity_type: crate::accounts::AuditEntity::User,
        entity_id: user_id.to_string(),
        before: None,
        after: Some(serde_json::json!({ "email": email.as_str(), "display_name": name, "role": role.name() })),
        ip: Some(&client.ip),
    })
    .await?;
    tx.commit().await?;
    state.outbox.wake();
    leptos_axum::redirect(&format!("/manage/users/{user_id}"));
    Ok(())
}

/// A new role takes effect at once: the user's sessions end, so they sign in again under it. The
/// admin types their own password again.
#[server(prefix = "/api/manage")]
pub async fn change_role(
    user_id: i64,
    role: String,
    current_password: String,
) -> Result<(), AppError> {
    let admin =
        crate::accounts::auth::require_with_password(admin::WRITE, current_password).await?;
    let state = crate::server::state()?;
    let role = crate::accounts::Role::parse(&role)?;
    admin::change_user(
        &state,
        &admin,
        user_id,
        crate::accounts::AuditAction::ChangeRole,
        async |tx, target| {
            use crate::accounts::repo;
            repo::set_role(tx, target.id, role).await?;
            repo::end_sessions(tx, target.id, None).await?;
            Ok(())
        },
    )
    .await
}

#[server(prefix = "/api/manage")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    let admin = crate::accounts::auth::require(admin::WRITE).await?;
    let state = crate::server::state()?;
    let action = match disabled {
        true => crate::accounts::AuditAction::DisableUser,
        false => crate::accounts::AuditAction::EnableUser,
    };
    admin::change_user(&state, &admin, user_id, action, async |tx, target| {
        use crate::accounts::repo;
        repo::set_disabled(tx, target.id, disabled).await?;
        if disabled {
            // Out at once, and no link sent earlier (a reset, an email change) works afterwards.
            repo::end_sessions(tx, target.id, None).await?;
            repo::revoke_tokens(tx, target.id).await?;
            repo::forget_clients(tx, target.id, None).await?;
        }
        Ok(())
    })
    .await
}

/// Deletes a user by anonymising them: their orders stay, nothing identifies them any more. It
/// cannot be undone, so the admin types their own password again.
#[server(prefix = "/api/manage")]
pub async fn delete_user(user_id: i64, current_password: String) -> Result<(), AppError> {
    let admin =
        crate::accounts::auth::require_with_password(admin::WRITE, current_password).await?;
    let state = crate::server::state()?;
    admin::change_user(
        &state,
        &admin,
        user_id,
        crate::accounts::AuditAction::DeleteUser,
        async |tx, target| {
            crate::accounts::repo::anonymise(tx, target.id, &target.email).await?;
            Ok(())
        },
    )
    .await?;
    leptos_axum::redirect("/manage/users");
    Ok(())
}

#[server(prefix = "/api/manage")]
pub async fn send_password_reset(user_id: i64) -> Result<(), AppError> {
    let admin = crate::accounts::auth::require(admin::WRITE).await?;
    let state = crate::server::state()?;
    let letterhead = crate::accounts::emails::Letterhead::of(&state);
    admin::change_user(
        &state,
        &admin,
        user_id,
        crate::accounts::AuditAction::SendPasswordReset,
        async |tx, target| {
            use crate::accounts::repo::{self, TokenPurpose};
            let token = repo::create_token(
                tx,
                target.id,
                TokenPurpose::ResetPassword,
                None,
                chrono::Duration::hours(1),
            )
            .await?;
            crate::server::mail::enqueue(tx, &letterhead.reset(&target.email, &token)).await?;
            Ok(())
        },
    )
    .await
}

/// Ends one of a user's sessions by handle, or all of them without one.
#[server(prefix = "/api/manage")]
pub async fn end_user_sessions(user_id: i64, handle: Option<String>) -> Result<(), AppError> {
    use crate::accounts::repo;
    let admin = crate::accounts::auth::require(admin::WRITE).await?;
    let state = crate::server::state()?;
    // The session's key, found from its public handle.
    let key = match &handle {
        Some(handle) => Some(
            repo::session_by_handle(&state.db, user_id, handle)
                .await?
                .ok_or_else(|| AppError::not_found("That session"))?,
        ),
        None => None,
    };
    admin::change_user(
        &state,
        &admin,
        user_id,
        crate::accounts::AuditAction::EndSessions,
        async |tx, target| {
            match &key {
                Some(key) => repo::end_session_with_key(tx, key).await?,
                None => {
                    repo::end_sessions(tx, target.id, None).await?;
                }
            }
            Ok(())
        },
    )
    .await
}
