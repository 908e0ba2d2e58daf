//! Gives a test its own server and database in one line: `let app = TestApp::spawn().await;`.

pub mod browser;
pub mod fake_smtp;
pub mod fake_stripe;
pub mod orders;

use emporium::server::config::{Config, Settings, leptos_options};
use emporium::server::db::Db;
use emporium::server::http::Server;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::oneshot;

/// Test servers run on one long-lived multi-threaded runtime, as in production, rather than on each
/// test's own single-threaded runtime, which stops whenever its test is not awaiting.
pub static SERVERS: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime")
});

/// The public address test servers believe they have, for canonical links and sitemaps.
pub const PUBLIC_URL: &str = "https://shop.test";

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    /// Changes each time the server has applied payment events.
    pub events_applied: tokio::sync::watch::Receiver<u64>,
    /// Changes each time the server has sent a message.
    pub mail_sent: tokio::sync::watch::Receiver<u64>,
    jobs: emporium::server::jobs::Progress,
    /// The server's payment provider: its keys, for tests that call the built-in gateway as the
    /// shop does.
    pub payments: emporium::server::payments::Payments,
    pub database_url: String,
    pub media_dir: PathBuf,
    pub client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

#[derive(Default)]
pub struct Options {
    pub demo_data: bool,
    /// A site root holding built assets, for tests of static file serving.
    pub site_root: Option<PathBuf>,
    /// Site settings other than the shipped Leptos.toml.
    pub settings: Option<Settings>,
    /// Stripe's test keys (`STRIPE_KEYS`) and this API address instead of the built-in gateway.
    pub stripe_api_base: Option<String>,
    /// An existing database instead of a fresh one: a restart.
    pub database_url: Option<String>,
    /// More environment variables for the server (`TRUSTED_PROXIES`, …).
    pub vars: Vec<(&'static str, String)>,
}

/// The Stripe keys test servers get with `stripe_api_base`, in Stripe's shapes.
pub const STRIPE_KEYS: [(&str, &str); 3] = [
    ("STRIPE_SECRET_KEY", "sk_test_emporium_tests"),
    ("STRIPE_PUBLISHABLE_KEY", "pk_test_emporium_tests"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_emporium_tests"),
];

/// A directory of the test's own under target/, removed by nobody: the next run reuses fresh names.
pub fn scratch_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{label}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A fresh, empty database on the engine this run tests: its URL.
pub async fn fresh_database_url(label: &str) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => fresh_postgres_database(&server).await,
        _ => format!("sqlite://{}/shop.db", scratch_dir(label).display()),
    }
}

/// Creates a new database on the PostgreSQL server at `server_url` and returns its URL.
pub async fn fresh_postgres_database(server_url: &str) -> String {
    use sqlx::Connection;
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "emporium_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .expect("TEST_DATABASE_URL reachable");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut conn)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("a URL with a database path");
    format!("{base}/{name}")
}

pub fn settings() -> Settings {
    Settings::parse(include_str!("../../Leptos.toml")).expect("Leptos.toml parses")
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    /// A server whose site settings differ from Leptos.toml as `change` says.
    pub async fn spawn_with_settings(change: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = settings();
        change(&mut settings);
        Self::spawn_with(Options {
            settings: Some(settings),
            ..Options::default()
        })
        .await
    }

    /// A server whose per-client write and render limits are out of the way: every request of a
    /// test comes from one address.
    pub async fn spawn_unthrottled() -> TestApp {
        Self::spawn_with_settings(|settings| {
            settings.limits.write_requests = 10_000;
            settings.limits.render_requests = 10_000;
        })
        .await
    }

    /// Calls a reading server function (a GET) with `arguments`, its generated argument struct:
    /// the status, and the answer when it is a `T`.
    pub async fn read<T: serde::de::DeserializeOwned>(
        &self,
        client: &reqwest::Client,
        path: &str,
        arguments: &impl serde::Serialize,
    ) -> (reqwest::StatusCode, Option<T>) {
        let query = serde_qs::to_string(arguments).expect("arguments encode");
        let response = client
            .get(format!("{}?{query}", self.url(path)))
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("answer read");
        (status, serde_json::from_str(&text).ok())
    }

    /// Posts `form` to a writing server function as a client without JavaScript would, minus the
    /// redirect: the status and the answer's text.
    pub async fn submit(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &impl serde::Serialize,
    ) -> (reqwest::StatusCode, String) {
        let response = client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request sent");
        (
            response.status(),
            response.text().await.expect("answer read"),
        )
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let media_dir = scratch_dir("media");
        let database_url = match options.database_url {
            Some(url) => url,
            None => fresh_database_url("app").await,
        };
        let mut vars: HashMap<&str, String> = HashMap::from([
            ("DATABASE_URL", database_url.clone()),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
            ("PUBLIC_URL", PUBLIC_URL.to_owned()),
            ("MEDIA_DIR", media_dir.display().to_string()),
            ("DEMO_DATA", options.demo_data.to_string()),
        ]);
        vars.extend(options.vars);
        if let Some(base) = options.stripe_api_base {
            vars.extend(STRIPE_KEYS.map(|(name, value)| (name, value.to_owned())));
            vars.insert("STRIPE_API_BASE", base);
        }
        let mut leptos = leptos_options().expect("build layout");
        match &options.site_root {
            Some(root) => {
                std::fs::write(root.join("hash.txt"), "css: test\njs: test\nwasm: test\n")
                    .expect("hash file");
                leptos.site_root = root.display().to_string().into();
                leptos.hash_file = root.join("hash.txt").display().to_string().into();
            }
            // Pages render without the built bundle's hashed names, which only cargo-leptos writes.
            None => leptos.hash_files = false,
        }
        let config =
            Config::from_vars(&leptos, |name| vars.get(name).cloned()).expect("test configuration");
        let settings = options.settings.unwrap_or_else(settings);
        let (started, ready) = oneshot::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        SERVERS.spawn(async move {
            let server = Server::build(config, settings, leptos)
                .await
                .expect("server starts");
            let _ = started.send((
                server.local_addr(),
                server.db().clone(),
                server.payment_events_applied(),
                server.mail_sent(),
                server.payments().clone(),
                server.jobs(),
            ));
            server
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await
        });
        let (addr, db, events_applied, mail_sent, payments, jobs) =
            ready.await.expect("the server started");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("http client");
        TestApp {
            addr,
            db,
            events_applied,
            mail_sent,
            jobs,
            payments,
            database_url,
            media_dir,
            client,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

/// One product for a test's shop, in a category of its own, named as its slug with a capital.
pub struct SimpleProduct<'a> {
    pub category_slug: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub sku: &'a str,
    pub price_minor: i64,
    pub on_hand: i32,
    pub low_stock_threshold: i32,
}

/// The product many tests start from: a brass lamp in "lamps", €12.50, 20 in stock, low at 5.
pub const BRASS_LAMP: SimpleProduct<'static> = SimpleProduct {
    category_slug: "lamps",
    slug: "brass-lamp",
    name: "Brass lamp",
    sku: "LAMP-1",
    price_minor: 1250,
    on_hand: 20,
    low_stock_threshold: 5,
};

/// Adds the product, active, with one variant; answers the variant's id.
pub async fn add_product(db: &Db, product: &SimpleProduct<'_>) -> i64 {
    use emporium::catalog::repo::{self, NewCategory, NewProduct, NewVariant};
    use emporium::money::{Currency, Money};
    let mut chars = product.category_slug.chars();
    let category_name: String = chars
        .next()
        .into_iter()
        .flat_map(char::to_uppercase)
        .chain(chars)
        .collect();
    let mut tx = db.begin().await.unwrap();
    let category_id = repo::insert_category(
        &mut tx,
        &NewCategory {
            parent_id: None,
            slug: product.category_slug,
            name: &category_name,
            description: "A category for a test.",
            position: 0,
        },
    )
    .await
    .unwrap();
    let product_id = repo::insert_product(
        &mut tx,
        &NewProduct {
            slug: product.slug.into(),
            name: product.name.into(),
            description: format!("{}, for a test.", product.name),
            category_id,
            featured: true,
            option1_name: None,
            created_at: chrono::Utc::now(),
            variants: vec![NewVariant {
                sku: product.sku.into(),
                title: "Default".into(),
                option1: None,
                price: Money::new(product.price_minor, Currency::EUR),
                on_hand: product.on_hand,
                low_stock_threshold: product.low_stock_threshold,
            }],
            images: Vec::new(),
        },
    )
    .await
    .unwrap()
    .expect("a product with a variant");
    tx.commit().await.unwrap();
    emporium::on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE product_id = $1"
    ).bind(product_id).fetch_one(pool).await)
    .unwrap()
}

/// Runs `sql` in a transaction of the shop's own and commits it: as the shop's code writes, so that
/// the shop notices a change to the catalog on the very next request on either engine.
pub async fn execute(db: &Db, sql: &str) -> u64 {
    let mut tx = db.begin().await.expect("a transaction");
    let done = emporium::in_tx!(&mut tx, conn => sqlx::query(sql).execute(conn).await.map(|done| done.rows_affected()))
        .expect("the statement runs");
    tx.commit().await.expect("the commit");
    done
}

impl TestApp {
    /// Waits, up to a deadline, until `done` holds: checked now and again each time the server has
    /// applied payment events or sent mail, which is what changes things after the fact.
    /// Moves the shop's clock forward and waits until its scheduled jobs (reservations that run out,
    /// old records forgotten) have run at the new time.
    pub async fn advance(&self, by: chrono::Duration) {
        self.db.clock().advance(by);
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.jobs.caught_up(self.db.clock()),
        )
        .await
        .expect("the scheduled jobs caught up with the clock within 60 s");
    }

    pub async fn until<F, Fut>(&self, what: &str, done: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let (mut applied, mut sent) = (self.events_applied.clone(), self.mail_sent.clone());
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while !done().await {
            let changed = tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    changed = applied.changed() => changed,
                    changed = sent.changed() => changed,
                }
            })
            .await;
            assert!(
                matches!(changed, Ok(Ok(()))),
                "{what}: still not so after 60 s"
            );
        }
    }
}
