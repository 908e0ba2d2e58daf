//! Who is asking: the signed-in user behind a session, the one guard every protected server
//! function and page uses, and the session changes at sign-in and sign-out.
//!
//! A session carries a random sign-in id; the `user_sessions` row under that id's hash is what
//! makes the session signed in. Ending a sign-in from another device (or by an admin, or by a password
//! change) deletes the row, and the session is signed out on its next request.

use super::repo;
use super::{CurrentUser, Permission};
use crate::error::AppError;
use crate::server::db::Locked;
use crate::server::jobs::{Job, Schedule};
use crate::server::sessions::SessionState;
use crate::server::{AppState, session_error};
use chrono::{DateTime, Duration, Utc};

/// The requesting device, for the active-sessions list, throttling and the audit log.
#[derive(Clone, Debug)]
pub struct Client {
    pub ip: String,
    /// The client as the sign-in throttle and the known clients count it
    /// ([`crate::server::client_ip::network_of`]).
    pub network: String,
    pub user_agent: String,
}

pub async fn client() -> Client {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    let found = parts
        .as_ref()
        .and_then(|parts| parts.extensions.get::<crate::server::client_ip::ClientIp>());
    let (ip, network) = found.map_or_else(
        || ("unknown".to_owned(), "unknown".to_owned()),
        |client| {
            let network = crate::server::client_ip::network_of(client.ip);
            (client.ip.to_string(), network.to_string())
        },
    );
    let user_agent = parts
        .and_then(|parts| {
            parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(300).collect())
        })
        .unwrap_or_default();
    Client {
        ip,
        network,
        user_agent,
    }
}

/// Who is asking: the signed-in user, if any, and the session's cart. Worked out once per request
/// ([`shopper`]) and shared by everything that renders it.
#[derive(Clone, Debug, Default)]
pub struct Shopper {
    pub user: Option<CurrentUser>,
    /// The session's cart; none once the session's sign-in has ended, so a session signed out
    /// elsewhere no longer reaches the account's cart.
    pub cart_id: Option<i64>,
}

/// The request's [`Shopper`] once worked out, in each request's context. The lock makes
/// concurrent lookups within one page wait for the first rather than repeat it.
#[derive(Clone, Debug, Default)]
pub struct ShopperOfRequest(std::sync::Arc<tokio::sync::Mutex<Option<Shopper>>>);

/// The shopper of this request, looked up on first use.
pub async fn shopper() -> Result<Shopper, AppError> {
    let Some(memo) = leptos::prelude::use_context::<ShopperOfRequest>() else {
        return look_up_shopper().await;
    };
    let mut known = memo.0.lock().await;
    if let Some(shopper) = known.as_ref() {
        return Ok(shopper.clone());
    }
    let shopper = look_up_shopper().await?;
    *known = Some(shopper.clone());
    Ok(shopper)
}

/// Forgets the shopper worked out for this request, after the session changed who it is.
pub async fn forget_shopper() {
    if let Some(memo) = leptos::prelude::use_context::<ShopperOfRequest>() {
        *memo.0.lock().await = None;
    }
}

async fn look_up_shopper() -> Result<Shopper, AppError> {
    let state = crate::server::state()?;
    let session = crate::server::session().await?;
    let ip = client().await.ip;
    resolve_shopper(&state, &session, &ip).await
}

/// The shopper behind `session`, asking the database once when it is signed in (its sign-in,
/// user and permissions together) and not at all otherwise. `ip` is the client's, for the sessions
/// list.
pub async fn resolve_shopper(
    state: &AppState,
    session: &tower_sessions::Session,
    ip: &str,
) -> Result<Shopper, AppError> {
    Ok(resolve_shopper_with_lifetime(state, session, ip).await?.0)
}

/// How long an answer of [`resolve_shopper_with_lifetime`] holds if nothing changes it.
#[derive(Clone, Debug)]
pub struct ShopperLifetime {
    /// When the sign-in grows idle or too old, or is due to be marked seen again; for a session
    /// not signed in, a few minutes on, so that a session expired in the store is not kept for long.
    pub until: DateTime<Utc>,
    /// The key `user_sessions` keeps the sign-in under.
    pub sign_in: Option<String>,
}

/// How long a session's answer holds when it is not signed in.
const SIGNED_OUT_LIFETIME: Duration = Duration::minutes(10);
/// How often a sign-in's last-seen time is written: a minute's precision saves a write per request.
const SEEN_EVERY: Duration = Duration::minutes(1);

/// [`resolve_shopper`], with how long the answer holds.
pub async fn resolve_shopper_with_lifetime(
    state: &AppState,
    session: &tower_sessions::Session,
    ip: &str,
) -> Result<(Shopper, ShopperLifetime), AppError> {
    let kept = SessionState::of(session).await?;
    let cart_id = kept.cart_id;
    let now = state.db.now();
    let Some(sign_in) = kept.sign_in else {
        let lifetime = ShopperLifetime {
            until: now + SIGNED_OUT_LIFETIME,
            sign_in: None,
        };
        let shopper = Shopper {
            user: None,
            cart_id,
        };
        return Ok((shopper, lifetime));
    };
    let live = match repo::signed_in_with_permissions(&state.db, &sign_in).await? {
        Some((row, permissions)) => {
            let (idle, absolute) = state.settings.sessions.lifetimes(row.role.is_staff());
            (now - row.signed_in_at < absolute && now - row.last_seen_at < idle).then_some((
                row,
                permissions,
                idle,
                absolute,
            ))
        }
        None => None,
    };
    let Some((row, permissions, idle, absolute)) = live else {
        // Ended elsewhere, idle or too old, or the account was disabled: forget the whole session, so
        // neither the sign-in nor the account's cart stays reachable from it.
        repo::end_session(&state.db, &sign_in).await?;
        session.flush().await.map_err(session_error)?;
        let lifetime = ShopperLifetime {
            until: now + SIGNED_OUT_LIFETIME,
            sign_in: None,
        };
        return Ok((Shopper::default(), lifetime));
    };
    let mut last_seen = row.last_seen_at;
    if now - last_seen > SEEN_EVERY {
        repo::touch_session(&state.db, &sign_in, ip).await?;
        last_seen = now;
    }
    let lifetime = ShopperLifetime {
        until: (row.signed_in_at + absolute)
            .min(last_seen + idle)
            .min(last_seen + SEEN_EVERY),
        sign_in: Some(repo::session_key(&sign_in)),
    };
    let shopper = Shopper {
        user: Some(CurrentUser {
            id: row.user_id,
            email: row.email,
            display_name: row.display_name,
            role: row.role,
            permissions,
        }),
        cart_id,
    };
    Ok((shopper, lifetime))
}

/// The signed-in user of this request, if any.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(shopper().await?.user)
}

/// The one guard for anything that needs a signed-in user.
pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The one guard for anything that needs a permission: 401 when signed out, 403 without it.
pub async fn require(permission: Permission) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if user.can(permission) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The guard for privileged actions (handing out roles, creating and deleting accounts): the
/// permission, and the user's own password typed again under the sign-in throttle, so a session
/// left open on a shared screen, or taken over, cannot do them.
pub async fn require_with_password(
    permission: Permission,
    password: String,
) -> Result<CurrentUser, AppError> {
    let user = require(permission).await?;
    let state = crate::server::state()?;
    super::api::flow::confirm_password(&state, &user.email, password, &client().await).await?;
    Ok(user)
}

/// The sign-in id of this session, if signed in.
pub async fn sign_in_id() -> Result<Option<String>, AppError> {
    let session = crate::server::session().await?;
    Ok(SessionState::of(&session).await?.sign_in)
}

/// Signs this session in as `user_id`: a new session id (so an id planted before sign-in is
/// worthless), a new sign-in row, the device limit applied, the guest cart adopted, and the like
/// asked for while signed out recorded.
pub async fn sign_in(state: &AppState, user_id: i64, client: &Client) -> Result<(), AppError> {
    let session = crate::server::session().await?;
    let kept = SessionState::of(&session).await?;
    if let Some(previous) = &kept.sign_in {
        repo::end_session(&state.db, previous).await?;
    }
    let sign_in = crate::server::tokens::random_token();
    let mut tx = state.db.begin().await?;
    // Sign-ins to one account take turns: the device limit and the guest cart below each read the
    // account's rows and then write them. First, as everywhere: the account before its carts.
    tx.lock_row(Locked::User, user_id).await?;
    repo::start_session(&mut tx, &sign_in, user_id, &client.user_agent, &client.ip).await?;
    repo::remember_client(&mut tx, user_id, &client.network).await?;
    repo::keep_newest_sessions(&mut tx, user_id, state.settings.sessions.max_per_user).await?;
    let cart = crate::cart::repo::adopt_guest_cart(&mut tx, kept.cart_id, user_id).await?;
    crate::catalog::likes::record_pending(&mut tx, kept.pending_like, user_id).await?;
    tx.commit().await?;
    session.cycle_id().await.map_err(session_error)?;
    SessionState::update(&session, |kept| {
        kept.pending_like = None;
        kept.sign_in = Some(sign_in);
        kept.cart_id = cart;
    })
    .await?;
    forget_shopper().await;
    Ok(())
}

/// Ends this session's sign-in and forgets the session entirely.
pub async fn sign_out(state: &AppState) -> Result<(), AppError> {
    let session = crate::server::session().await?;
    if let Some(sign_in) = SessionState::of(&session).await?.sign_in {
        repo::end_session(&state.db, &sign_in).await?;
    }
    session.flush().await.map_err(session_error)?;
    forget_shopper().await;
    Ok(())
}

/// Failed sign-ins to an account from one client allowed before each further one makes it wait.
const FREE_FAILURES: i64 = 4;
/// From this many failures on, the account is locked for that client for [`LOCK_MINUTES`].
const LOCK_AT: i64 = 10;
const LOCK_MINUTES: i64 = 15;
/// Failed sign-ins to an account from all the clients it has never signed in from, before each
/// further one from such a client makes them all wait.
const UNKNOWN_CLIENTS_FREE_FAILURES: i64 = 20;
/// Failures from one IP (across any accounts) before that IP is locked.
const IP_LOCK_AT: i64 = 50;
/// Failures older than this no longer count.
const FAILURE_MEMORY_HOURS: i64 = 24;

/// The rule for one account from one client: free at first, then a wait that doubles (2, 4, 8, 16,
/// 32 seconds), then a lock of a quarter of an hour.
pub fn client_rule() -> repo::LockRule {
    repo::LockRule {
        free: FREE_FAILURES,
        waits: [2, 4, 8, 16, 32].map(|s| Some(Duration::seconds(s))),
        lock_at: LOCK_AT,
        lock: Duration::minutes(LOCK_MINUTES),
    }
}

/// The rule for one account from the clients it does not know, together: 1 to 16 seconds, then a
/// minute at a time, so guessing from many addresses at once gets about one guess a minute. The
/// owner, from a client they have signed in from before, is never held to it.
fn unknown_clients_rule() -> repo::LockRule {
    repo::LockRule {
        free: UNKNOWN_CLIENTS_FREE_FAILURES,
        waits: [1, 2, 4, 8, 16].map(|s| Some(Duration::seconds(s))),
        lock_at: UNKNOWN_CLIENTS_FREE_FAILURES + 6,
        lock: Duration::minutes(1),
    }
}

fn ip_rule() -> repo::LockRule {
    repo::LockRule {
        free: IP_LOCK_AT - 1,
        waits: [None; 5],
        lock_at: IP_LOCK_AT,
        lock: Duration::minutes(LOCK_MINUTES),
    }
}

fn wait_message(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let seconds = (until - now).num_seconds().max(1);
    let wait = if seconds < 90 {
        format!("{seconds} seconds")
    } else {
        format!("{} minutes", (seconds + 59) / 60)
    };
    AppError::TooManyRequests(format!(
        "Too many sign-in attempts. Please wait {wait} and try again."
    ))
}

/// What a sign-in attempt is counted against, by a checked address (registered or not, so the
/// counts reveal nothing) and the client's network. Neither holds a space, so no address can be
/// made to name another subject.
pub struct Subjects {
    email: String,
    network: String,
    /// The account from this client: waits, then locks.
    pub client: String,
    /// The account from every client it does not know: only slows.
    pub account: String,
    /// This client, whatever accounts it tries.
    pub ip: String,
}

pub fn throttle_subjects(email: &super::Email, network: &str) -> Subjects {
    let account = format!("account:{}", email.as_str());
    Subjects {
        email: email.as_str().to_owned(),
        network: network.to_owned(),
        client: format!("{account} from:{network}"),
        account,
        ip: format!("ip:{network}"),
    }
}

/// Counts a sign-in attempt before the password is checked, or refuses it while it must wait: this
/// client whatever accounts it tries, then the account from this client, then (unless the account
/// has signed in from this client before) the account from every client it does not know. An
/// attempt is counted against the later subjects only if the earlier ones let it through, and one
/// refused by the account's counts gives this client's count back, so retrying a locked account
/// does not lock everyone behind the same address.
pub async fn count_attempt(state: &AppState, subjects: &Subjects) -> Result<(), AppError> {
    let forget = Duration::hours(FAILURE_MEMORY_HOURS);
    let known = repo::is_known_client(&state.db, &subjects.email, &subjects.network).await?;
    let counted = [
        Some((&subjects.ip, ip_rule())),
        Some((&subjects.client, client_rule())),
        (!known).then_some((&subjects.account, unknown_clients_rule())),
    ];
    for (subject, rule) in counted.into_iter().flatten() {
        if repo::count_attempt(&state.db, subject, &rule, forget)
            .await?
            .is_none()
        {
            if subject != &subjects.ip {
                repo::give_back_attempt(&state.db, &subjects.ip).await?;
            }
            let now = state.db.now();
            let until = repo::failures(&state.db, subject)
                .await?
                .and_then(|f| f.locked_until)
                .unwrap_or(now);
            return Err(wait_message(until, now));
        }
    }
    Ok(())
}

/// Forgets every failure counted against an account, from any client: its owner is back in.
pub async fn clear_failures(state: &AppState, email: &super::Email) -> Result<(), AppError> {
    // Every client's subject starts as the one for no address does.
    let subjects = throttle_subjects(email, "");
    Ok(repo::clear_failures(&state.db, &subjects.account, &subjects.client).await?)
}

/// A successful sign-in clears the account's count from this client and gives the IP its attempt
/// back; the IP's other failures stay, so one good account cannot be used to reset guessing at
/// others, and so does the count of unknown clients, which an attack elsewhere may still be
/// running up.
pub async fn forgive_attempt(state: &AppState, subjects: &Subjects) -> Result<(), AppError> {
    Ok(repo::forgive_attempt(&state.db, &subjects.client, &subjects.ip).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_rule_waits_longer_then_locks() {
        let rule = client_rule();
        let waits: Vec<i64> = rule
            .waits
            .iter()
            .map(|w| w.unwrap().num_seconds())
            .collect();
        assert_eq!(waits, [2, 4, 8, 16, 32]);
        assert_eq!(
            rule.free + 5 + 1,
            rule.lock_at,
            "the waits lead straight into the lock"
        );
        assert_eq!(rule.lock.num_minutes(), 15);
    }
}

// What sign-in leaves behind is cleared as often as expired sessions are: failures older than a day,
// clients unseen for 90 days, and sign-ins past their idle or absolute lifetime.
inventory::submit! {
    Job {
        name: "forget stale sign-in records",
        schedule: Schedule::Every(|state| state.settings.sessions.cleanup_interval()),
        run: |state| Box::pin(forget_stale(state)),
    }
}

async fn forget_stale(state: AppState) {
    if let Err(error) = repo::forget_old_failures(&state.db).await {
        tracing::warn!(%error, "old sign-in failures could not be cleared");
    }
    if let Err(error) = repo::forget_old_clients(&state.db).await {
        tracing::warn!(%error, "old known clients could not be cleared");
    }
    let sessions = &state.settings.sessions;
    let (idle, absolute) = (
        Duration::days(sessions.idle_days),
        Duration::days(sessions.absolute_days),
    );
    if let Err(error) = repo::forget_expired_sign_ins(&state.db, idle, absolute).await {
        tracing::warn!(%error, "expired sign-ins could not be cleared");
    }
}
