//! Account server functions. Those under `/api/auth` are the authentication endpoints, which the
//! rate limiter holds to a tighter count. Every form works without JavaScript: success redirects,
//! and an error comes back to the form's page.

use super::{AccountView, CurrentUser};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
pub(crate) mod flow {
    use super::super::emails::Letterhead;
    use super::super::repo::{self, TokenPurpose};
    use super::super::{AddressKind, AddressView, Email, auth, parse_display_name, password};
    use crate::error::AppError;
    use crate::server::AppState;
    use crate::server::mail::enqueue;
    use chrono::Duration;

    pub use super::super::safe_next;

    pub const VERIFY_HOURS: i64 = 24;
    pub const RESET_HOURS: i64 = 1;
    /// Reset requests honoured per account in [`RESET_WINDOW_HOURS`]; more are ignored silently.
    pub const RESETS_PER_WINDOW: i64 = 3;
    pub const RESET_WINDOW_HOURS: i64 = 72;

    /// Answers the address as the account holds it.
    pub async fn sign_up(
        state: &AppState,
        email: &str,
        display_name: &str,
        password: String,
    ) -> Result<String, AppError> {
        let email = Email::parse(email)?;
        let name = parse_display_name(display_name)?;
        password::check_new(&password, email.as_str())?;
        // Hashed whether or not the address is taken, so both take the same time.
        let hash = password::hash(password).await.map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            AppError::Internal
        })?;
        let mut tx = state.db.begin().await?;
        let mail = match repo::insert_user(
            &mut tx,
            email.as_str(),
            &name,
            &hash,
            super::super::Role::Customer,
            false,
        )
        .await?
        {
            Some(user_id) => {
                let token = repo::create_token(
                    &mut tx,
                    user_id,
                    TokenPurpose::VerifyEmail,
                    None,
                    Duration::hours(VERIFY_HOURS),
                )
                .await?;
                Letterhead::of(state).welcome(email.as_str(), &name, &token)
            }
            None => Letterhead::of(state).already_registered(email.as_str()),
        };
        enqueue(&mut tx, &mail).await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(email.as_str().to_owned())
    }

    pub const WRONG_CREDENTIALS: &str = "That email and password do not match an account.";

    /// Checks credentials under the throttle; answers the user when they match an active account.
    pub async fn check_credentials(
        state: &AppState,
        email: &str,
        password: String,
        client: &auth::Client,
    ) -> Result<repo::UserRecord, AppError> {
        let Ok(email) = Email::parse(email) else {
            // No account has such an address; it is answered as a wrong password, as slowly.
            password::verify_against_nothing(password).await;
            return Err(AppError::bad_request(WRONG_CREDENTIALS));
        };
        let subjects = auth::throttle_subjects(&email, &client.network);
        auth::count_attempt(state, &subjects).await?;
        let user = repo::find_by_email(&state.db, email.as_str()).await?;
        let matched = match user {
            Some(user) if user.disabled_at.is_none() => {
                password::verify(password, user.password_hash.clone())
                    .await
                    .then_some(user)
            }
            _ => {
                password::verify_against_nothing(password).await;
                None
            }
        };
        let user = matched.ok_or_else(|| AppError::bad_request(WRONG_CREDENTIALS))?;
        auth::forgive_attempt(state, &subjects).await?;
        Ok(user)
    }

    /// The signed-in user's own password typed again, counted like a sign-in attempt, so a
    /// session cannot be used to guess it.
    pub async fn confirm_password(
        state: &AppState,
        email: &str,
        password: String,
        client: &auth::Client,
    ) -> Result<(), AppError> {
        match check_credentials(state, email, password, client).await {
            Ok(_) => Ok(()),
            Err(AppError::BadRequest(_)) => {
                Err(AppError::bad_request("Your current password is not right."))
            }
            Err(other) => Err(other),
        }
    }

    /// A new verification link for someone who proved their password but has not confirmed
    /// their address yet, at most a few a day.
    pub async fn resend_verification(
        state: &AppState,
        user: &repo::UserRecord,
    ) -> Result<(), AppError> {
        let since = state.db.now() - Duration::hours(24);
        if repo::tokens_since(&state.db, user.id, TokenPurpose::VerifyEmail, since).await? >= 3 {
            return Ok(());
        }
        let mut tx = state.db.begin().await?;
        let token = repo::create_token(
            &mut tx,
            user.id,
            TokenPurpose::VerifyEmail,
            None,
            Duration::hours(VERIFY_HOURS),
        )
        .await?;
        enqueue(
            &mut tx,
            &Letterhead::of(state).welcome(&user.email, &user.display_name, &token),
        )
        .await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(())
    }

    pub async fn request_reset(state: &AppState, email: &str) -> Result<(), AppError> {
        let email = Email::parse(email)?;
        let Some(user) = repo::find_by_email(&state.db, email.as_str()).await? else {
            return Ok(());
        };
        if user.disabled_at.is_some() {
            return Ok(());
        }
        let since = state.db.now() - Duration::hours(RESET_WINDOW_HOURS);
        if repo::tokens_since(&state.db, user.id, TokenPurpose::ResetPassword, since).await?
            >= RESETS_PER_WINDOW
        {
            tracing::info!(user_id = user.id, "password reset throttled");
            return Ok(());
        }
        let mut tx = state.db.begin().await?;
        let token = repo::create_token(
            &mut tx,
            user.id,
            TokenPurpose::ResetPassword,
            None,
            Duration::hours(RESET_HOURS),
        )
        .await?;
        enqueue(&mut tx, &Letterhead::of(state).reset(&user.email, &token)).await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(())
    }

    pub const EXPIRED_LINK: &str = "This link has expired or was already used. Ask for a new one.";

    /// Sets a new password from a reset link; every sign-in of the account ends.
    pub async fn reset(
        state: &AppState,
        token: &str,
        new_password: String,
    ) -> Result<(), AppError> {
        let user_id = repo::token_user(&state.db, token, TokenPurpose::ResetPassword)
            .await?
            .ok_or_else(|| AppError::bad_request(EXPIRED_LINK))?;
        let user = repo::find_by_id(&state.db, user_id)
            .await?
            .ok_or_else(|| AppError::bad_request(EXPIRED_LINK))?;
        password::check_new(&new_password, &user.email)?;
        let hash = password::hash(new_password)
            .await
            .map_err(|_| AppError::Internal)?;
        let mut tx = state.db.begin().await?;
        if repo::take_token(&mut tx, token, TokenPurpose::ResetPassword)
            .await?
            .is_none()
        {
            return Err(AppError::bad_request(EXPIRED_LINK));
        }
        repo::set_password(&mut tx, user.id, &hash).await?;
        // The link reached the mailbox, which proves the address.
        repo::mark_verified(&mut tx, user.id).await?;
        repo::end_sessions(&mut tx, user.id, None).await?;
        repo::revoke_tokens(&mut tx, user.id).await?;
        // Whoever had the password may have signed in from anywhere: no client is known any more.
        repo::forget_clients(&mut tx, user.id, None).await?;
        enqueue(
            &mut tx,
            &Letterhead::of(state).password_changed(&user.email),
        )
        .await?;
        tx.commit().await?;
        state.outbox.wake();
        // Whoever kept the account locked by guessing, the owner is back in.
        if let Ok(email) = Email::parse(&user.email) {
            auth::clear_failures(state, &email).await?;
        }
        Ok(())
    }

    pub enum Confirmed {
        /// A new account's address: the user, to sign in.
        Account(i64),
        /// A link for an address that was already confirmed: nothing to sign in to.
        Again,
        EmailChanged,
    }

    pub async fn confirm(state: &AppState, token: &str) -> Result<Confirmed, AppError> {
        let mut tx = state.db.begin().await?;
        if let Some((user_id, _)) =
            repo::take_token(&mut tx, token, TokenPurpose::VerifyEmail).await?
        {
            // Only the first confirmation of an enabled account signs in; a spare link from a
            // resend must not be a way in once the account is in use.
            let first = repo::mark_verified(&mut tx, user_id).await?;
            tx.commit().await?;
            return Ok(if first {
                Confirmed::Account(user_id)
            } else {
                Confirmed::Again
            });
        }
        let Some((user_id, Some(new_email))) =
            repo::take_token(&mut tx, token, TokenPurpose::ChangeEmail).await?
        else {
            return Err(AppError::bad_request(EXPIRED_LINK));
        };
        let old = repo::find_by_id_in(&mut tx, user_id)
            .await?
            .ok_or_else(|| AppError::bad_request(EXPIRED_LINK))?;
        if !repo::set_email(&mut tx, user_id, &new_email).await? {
            return Err(AppError::Conflict(
                "That address now belongs to another account.".into(),
            ));
        }
        // The old address hears of it, and no other link or device keeps acting on the account.
        repo::revoke_tokens(&mut tx, user_id).await?;
        let keep = auth::sign_in_id().await?;
        repo::end_sessions(&mut tx, user_id, keep.as_deref()).await?;
        enqueue(
            &mut tx,
            &Letterhead::of(state).email_changed(&old.email, &new_email),
        )
        .await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(Confirmed::EmailChanged)
    }

    pub async fn change_password(
        state: &AppState,
        user_id: i64,
        current: String,
        new_password: String,
        client: &auth::Client,
    ) -> Result<(), AppError> {
        let user = repo::find_by_id(&state.db, user_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        confirm_password(state, &user.email, current, client).await?;
        password::check_new(&new_password, &user.email)?;
        let hash = password::hash(new_password)
            .await
            .map_err(|_| AppError::Internal)?;
        let keep = auth::sign_in_id().await?;
        let mut tx = state.db.begin().await?;
        repo::set_password(&mut tx, user.id, &hash).await?;
        repo::end_sessions(&mut tx, user.id, keep.as_deref()).await?;
        repo::revoke_tokens(&mut tx, user.id).await?;
        repo::forget_clients(&mut tx, user.id, Some(&client.network)).await?;
        enqueue(
            &mut tx,
            &Letterhead::of(state).password_changed(&user.email),
        )
        .await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(())
    }

    pub async fn change_email(
        state: &AppState,
        user_id: i64,
        new_email: &str,
        password: String,
        client: &auth::Client,
    ) -> Result<(), AppError> {
        let user = repo::find_by_id(&state.db, user_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let new_email = Email::parse(new_email)?;
        check_credentials(state, &user.email, password, client)
            .await
            .map_err(|error| match error {
                AppError::BadRequest(_) => AppError::bad_request("Your password is not right."),
                other => other,
            })?;
        if new_email.as_str() == user.email {
            return Err(AppError::bad_request("That is already your email address."));
        }
        let mut tx = state.db.begin().await?;
        let token = repo::create_token(
            &mut tx,
            user.id,
            TokenPurpose::ChangeEmail,
            Some(new_email.as_str()),
            Duration::hours(VERIFY_HOURS),
        )
        .await?;
        enqueue(
            &mut tx,
            &Letterhead::of(state).confirm_new_email(new_email.as_str(), &token),
        )
        .await?;
        tx.commit().await?;
        state.outbox.wake();
        Ok(())
    }

    fn field(value: &str, label: &str, required: bool) -> Result<Option<String>, AppError> {
        let value = value.trim();
        if value.chars().count() > 200 {
            return Err(AppError::bad_request(format!(
                "{label} is at most 200 characters."
            )));
        }
        match (value.is_empty(), required) {
            (true, true) => Err(AppError::bad_request(format!(
                "Enter the {}.",
                label.to_lowercase()
            ))),
            (true, false) => Ok(None),
            (false, _) => Ok(Some(value.to_owned())),
        }
    }

    pub fn parse_address(form: super::super::AddressInput) -> Result<AddressView, AppError> {
        let country = form.country.trim().to_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::bad_request(
                "Enter the country as a two-letter code, such as DE or FR.",
            ));
        }
        let required =
            |value: &str, label: &str| field(value, label, true).map(Option::unwrap_or_default);
        Ok(AddressView {
            id: 0,
            kind: AddressKind::parse(&form.kind)?,
            full_name: required(&form.full_name, "Full name")?,
            line1: required(&form.line1, "Address")?,
            line2: field(&form.line2, "Second address line", false)?,
            city: required(&form.city, "City")?,
            region: field(&form.region, "Region", false)?,
            postal_code: required(&form.postal_code, "Postal code")?,
            country,
            phone: field(&form.phone, "Phone", false)?,
            is_default: form.is_default.is_some(),
        })
    }
}

/// The signed-in user, for the header and pages that change with it.
#[server(input = GetUrl)]
pub async fn current_account() -> Result<Option<CurrentUser>, AppError> {
    super::auth::current_user().await
}

#[server(prefix = "/api/auth")]
pub async fn sign_up(
    email: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let email = flow::sign_up(&state, &email, &display_name, password).await?;
    // Whether the address was free or taken alike, so the cookie tells nothing: the confirmation
    // link signs in only this browser (see `confirm_email`).
    let session = crate::server::session().await?;
    crate::server::sessions::SessionState::update(&session, |kept| {
        kept.signed_up = Some(email);
    })
    .await?;
    leptos_axum::redirect("/account/login?notice=verify");
    Ok(())
}

#[server(prefix = "/api/auth")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let client = super::auth::client().await;
    let user = flow::check_credentials(&state, &email, password, &client).await?;
    if user.email_verified_at.is_none() {
        flow::resend_verification(&state, &user).await?;
        return Err(AppError::bad_request(
            "Please confirm your email address first. We have sent you a new link.",
        ));
    }
    super::auth::sign_in(&state, user.id, &client).await?;
    leptos_axum::redirect(&flow::safe_next(next.as_deref()));
    Ok(())
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    let state = crate::server::state()?;
    super::auth::sign_out(&state).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Always answers the same way, registered address or not.
#[server(prefix = "/api/auth")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    flow::request_reset(&state, &email).await?;
    leptos_axum::redirect("/account/login?notice=reset-sent");
    Ok(())
}

/// Whether a reset link can still be used, so its page can say so before asking for a password.
#[server(input = GetUrl)]
pub async fn check_reset_link(token: String) -> Result<bool, AppError> {
    let state = crate::server::state()?;
    Ok(
        super::repo::token_user(&state.db, &token, super::repo::TokenPurpose::ResetPassword)
            .await?
            .is_some(),
    )
}

#[server(prefix = "/api/auth")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    flow::reset(&state, &token, password).await?;
    super::auth::sign_out(&state).await?;
    leptos_axum::redirect("/account/login?notice=password-reset");
    Ok(())
}

/// Confirms an address from the emailed link: a new account is signed in; a changed address
/// takes effect.
#[server(prefix = "/api/auth")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    match flow::confirm(&state, &token).await? {
        flow::Confirmed::Account(user_id) => {
            // Signed in only in the browser that signed up: a link followed anywhere else (sent
            // to someone, or planted by whoever signed up with another's address) confirms the
            // address and no more.
            let session = crate::server::session().await?;
            let signed_up = crate::server::sessions::SessionState::of(&session)
                .await?
                .signed_up;
            let user = super::repo::find_by_id(&state.db, user_id).await?;
            match (signed_up, user) {
                (Some(signed_up), Some(user)) if signed_up == user.email => {
                    let client = super::auth::client().await;
                    super::auth::sign_in(&state, user_id, &client).await?;
                    leptos_axum::redirect("/account?notice=verified");
                }
                _ => leptos_axum::redirect("/account/login?notice=confirmed"),
            }
        }
        flow::Confirmed::Again => {
            leptos_axum::redirect("/account/login?notice=already-confirmed");
        }
        flow::Confirmed::EmailChanged => {
            leptos_axum::redirect("/account?notice=email-changed");
        }
    }
    Ok(())
}

#[server(input = GetUrl)]
pub async fn fetch_account() -> Result<AccountView, AppError> {
    use super::repo;
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let record = repo::find_by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let current = super::auth::sign_in_id().await?;
    let sessions = repo::sessions_of(&state.db, user.id)
        .await?
        .into_iter()
        .map(|row| super::SessionView {
            handle: row.handle(),
            device: super::describe_device(&row.user_agent),
            current: current.as_deref().map(repo::session_key).as_ref() == Some(&row.key),
            ip: row.ip,
            signed_in_at: row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            last_seen_at: row.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    Ok(AccountView {
        email: record.email,
        display_name: record.display_name,
        email_verified: record.email_verified_at.is_some(),
        role: user.role,
        sessions,
        addresses: repo::addresses_of(&state.db, user.id).await?,
    })
}

#[server]
pub async fn update_profile(display_name: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let name = super::parse_display_name(&display_name)?;
    let mut tx = state.db.begin().await?;
    super::repo::set_display_name(&mut tx, user.id, &name).await?;
    tx.commit().await?;
    Ok(())
}

#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let client = super::auth::client().await;
    flow::change_password(&state, user.id, current_password, new_password, &client).await
}

#[server]
pub async fn change_email(new_email: String, password: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let client = super::auth::client().await;
    flow::change_email(&state, user.id, &new_email, password, &client).await
}

/// Ends one of the user's own sign-ins by its handle; ending the current one signs out.
#[server]
pub async fn end_session(handle: String) -> Result<(), AppError> {
    use super::repo;
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let current = super::auth::sign_in_id().await?;
    if current.as_deref().map(repo::session_handle).as_deref() == Some(handle.as_str()) {
        super::auth::sign_out(&state).await?;
        leptos_axum::redirect("/");
        return Ok(());
    }
    let key = repo::session_by_handle(&state.db, user.id, &handle)
        .await?
        .ok_or_else(|| AppError::not_found("That session"))?;
    let mut tx = state.db.begin().await?;
    repo::end_session_with_key(&mut tx, &key).await?;
    tx.commit().await?;
    Ok(())
}

#[server]
pub async fn end_other_sessions() -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let current = super::auth::sign_in_id().await?;
    let mut tx = state.db.begin().await?;
    super::repo::end_sessions(&mut tx, user.id, current.as_deref()).await?;
    tx.commit().await?;
    Ok(())
}

/// The address form's fields arrive as `address[kind]`, `address[line1]` and so on.
#[server]
pub async fn add_address(address: super::AddressInput) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let address = flow::parse_address(address)?;
    let mut tx = state.db.begin().await?;
    super::repo::insert_address(&mut tx, user.id, &address).await?;
    tx.commit().await?;
    Ok(())
}

#[server]
pub async fn delete_address(address_id: i64) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let mut tx = state.db.begin().await?;
    if !super::repo::delete_address(&mut tx, user.id, address_id).await? {
        return Err(AppError::not_found("That address"));
    }
    tx.commit().await?;
    Ok(())
}

#[server]
pub async fn make_default_address(address_id: i64) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let user = super::auth::require_user().await?;
    let mut tx = state.db.begin().await?;
    if !super::repo::set_default_address(&mut tx, user.id, address_id).await? {
        return Err(AppError::not_found("That address"));
    }
    tx.commit().await?;
    Ok(())
}
