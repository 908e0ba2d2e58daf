//! Cookie sessions stored in the shop's own database, whichever engine it is. The table keeps
//! each session under a hash of its id, so a copy of the database opens no session: only the
//! cookie holds the id itself.

use super::config::{Config, SessionSettings};
use super::db::{Db, Pool};
use super::jobs::{Job, Schedule};
use super::shopper_changes::Whose;
use crate::error::AppError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The `sessions` table is created by the shop's migrations, so the stores' own `migrate` is never run.
const TABLE: &str = "sessions";

/// The session store: sessions kept by the hash of their id, each change to one noted as a change
/// to that session's state ([`Db::changed`]).
#[derive(Clone, Debug)]
pub struct Store {
    tables: Tables,
    /// The same table through the connections that only read ([`Db::readers`]), for loading.
    readers: Tables,
    db: Db,
}

#[derive(Clone, Debug)]
enum Tables {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    pub fn new(db: &Db) -> Self {
        Store {
            tables: Tables::new(db.pool()),
            readers: Tables::new(db.readers()),
            db: db.clone(),
        }
    }

    async fn changed(&self, id: &Id) {
        self.db.changed([Whose::Session(stored_id(id).0)]).await;
    }
}

impl Tables {
    fn new(pool: &Pool) -> Self {
        // The names are constants the stores accept; an error here is a programming mistake.
        match pool {
            Pool::Sqlite(pool) => Tables::Sqlite(
                SqliteStore::new(pool.clone())
                    .with_table_name(TABLE)
                    .expect("valid session table name"),
            ),
            Pool::Postgres(pool) => Tables::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .and_then(|store| store.with_table_name(TABLE))
                    .expect("valid session table name"),
            ),
        }
    }
}

macro_rules! delegate {
    ($tables:expr, $store:ident => $call:expr) => {
        match &$tables {
            Tables::Sqlite($store) => $call,
            Tables::Postgres($store) => $call,
        }
    };
}

/// The id a session is stored under: the first 128 bits of the SHA-256 of its id.
pub fn stored_id(id: &Id) -> Id {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.0.to_le_bytes());
    let mut half = [0_u8; 16];
    half.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(half))
}

/// The record as the table keeps it.
fn stored(record: &Record) -> Record {
    Record {
        id: stored_id(&record.id),
        ..record.clone()
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let mut kept = stored(record);
            let wanted = kept.id;
            delegate!(self.tables, store => store.create(&mut kept).await)?;
            if kept.id == wanted {
                self.changed(&record.id).await;
                return Ok(());
            }
            // The store found that hash taken and kept the record under an id of its own, which
            // no cookie can name: drop it and start again from a new id.
            delegate!(self.tables, store => store.delete(&kept.id).await)?;
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        delegate!(self.tables, store => store.save(&stored(record)).await)?;
        self.changed(&record.id).await;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = delegate!(self.readers, store => store.load(&stored_id(id)).await)?;
        Ok(found.map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        delegate!(self.tables, store => store.delete(&stored_id(id)).await)?;
        self.changed(id).await;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        delegate!(self.tables, store => store.delete_expired().await)
    }
}

/// The session cookie's name.
pub const COOKIE: &str = "emporium_session";

/// Everything the shop keeps in a session, as one typed value under one key: every module reads and
/// writes these fields, none keeps keys of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionState {
    /// The random sign-in id whose hash names the `user_sessions` row, while signed in.
    pub sign_in: Option<String>,
    /// The session's cart, made by its first addition.
    pub cart_id: Option<i64>,
    /// The product a signed-out shopper asked to like, recorded when they sign in.
    pub pending_like: Option<i64>,
    /// The address this browser signed up with, so that its confirmation link signs in here only.
    pub signed_up: Option<String>,
    /// The server function whose form post succeeded, until the page it came back to has said so.
    pub succeeded_form: Option<String>,
}

/// The key the state is kept under.
const STATE: &str = "shop";

impl SessionState {
    /// The session's state: an empty one for a session that has none.
    pub async fn of(session: &tower_sessions::Session) -> Result<SessionState, AppError> {
        let state = session.get::<SessionState>(STATE).await;
        Ok(state.map_err(super::session_error)?.unwrap_or_default())
    }

    /// Changes the state as `change` says and keeps the result. A change that changes nothing
    /// writes nothing (a write to the store costs a query no page view should), and an empty
    /// state leaves the session empty.
    pub async fn update(
        session: &tower_sessions::Session,
        change: impl FnOnce(&mut SessionState),
    ) -> Result<SessionState, AppError> {
        let before = Self::of(session).await?;
        let mut after = before.clone();
        change(&mut after);
        if after != before {
            let kept = match after == SessionState::default() {
                true => session.remove_value(STATE).await.map(drop),
                false => session.insert(STATE, after.clone()).await,
            };
            kept.map_err(super::session_error)?;
        }
        Ok(after)
    }

    pub fn is_empty(&self) -> bool {
        *self == SessionState::default()
    }
}

/// Whether a request comes with the session cookie, so that what it gets may be its own.
pub fn carries_session(headers: &axum::http::HeaderMap) -> bool {
    // Bytes, not text: a cookie beside it that is not plain ASCII must not hide it.
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .any(|cookies| String::from_utf8_lossy(cookies.as_bytes()).contains(COOKIE))
}

/// HttpOnly, SameSite=Lax, Secure when configured; expires after `idle_days` without a request.
pub fn layer(
    store: Store,
    config: &Config,
    settings: &SessionSettings,
) -> SessionManagerLayer<Store> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(Duration::days(settings.idle_days)))
}

inventory::submit! {
    Job {
        name: "delete expired sessions",
        schedule: Schedule::Worker,
        run: |state| Box::pin(async move {
            let period = state.settings.sessions.cleanup_interval();
            if let Err(error) = Store::new(&state.db).continuously_delete_expired(period).await {
                tracing::error!(%error, "expired-session cleanup stopped");
            }
        }),
    }
}
