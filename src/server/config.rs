//! Start-up configuration. Deployment facts (where the database is, which keys to use) come from
//! environment variables; the shop's own site settings come from `Leptos.toml`; the build layout
//! (site root, output names, listen address default) comes from `[package.metadata.leptos]` in
//! Cargo.toml, which cargo-leptos reads too and which is compiled into the binary.
//! A bad value stops start-up with a message naming the variable and what it accepts.

use super::client_ip::{ForwardingHeader, TrustedProxies};
use crate::money::Currency;
use leptos::config::LeptosOptions;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: String,
    pub problem: String,
}

impl ConfigError {
    fn new(name: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(Secret),
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if let Some(rest) = value.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(
                    "a sqlite: URL needs a file path, such as sqlite://data/emporium.db".into(),
                );
            }
            return Ok(DatabaseUrl::Sqlite(value.to_owned()));
        }
        if let Some(rest) = value
            .strip_prefix("postgres://")
            .or_else(|| value.strip_prefix("postgresql://"))
        {
            if rest.is_empty() || rest == "/" {
                return Err(
                    "a postgres:// URL needs a host, such as postgres://shop@localhost/emporium"
                        .into(),
                );
            }
            return Ok(DatabaseUrl::Postgres(Secret(value.to_owned())));
        }
        Err("expected sqlite://PATH (for example sqlite://data/emporium.db) or postgres://USER@HOST/DB".into())
    }
}

#[derive(Clone, Debug)]
pub struct StripeKeys {
    pub secret_key: Secret,
    pub publishable_key: String,
    pub webhook_secret: Secret,
}

/// Everything the server needs to start, parsed and checked.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub listen_addr: SocketAddr,
    pub public_url: String,
    pub media_dir: PathBuf,
    pub settings_file: PathBuf,
    /// `None` means the built-in test payment gateway.
    pub stripe: Option<StripeKeys>,
    /// Where the Stripe client sends its requests, without `/v1`: Stripe's own API unless set.
    pub stripe_api_base: Option<String>,
    /// `None` means the development mailbox.
    pub smtp_url: Option<Secret>,
    pub secure_cookies: bool,
    pub production: bool,
    pub demo_data: bool,
    /// Proxies whose forwarding headers name the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// The development conveniences (the mailbox, the demo manager) served to anyone on purpose.
    pub public_demo: bool,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/emporium.db";

impl Config {
    pub fn from_env(leptos: &LeptosOptions) -> Result<Self, ConfigError> {
        Self::from_vars(leptos, |name| std::env::var(name).ok())
    }

    /// Reads the variables through `var`, so tests can configure a server without touching the
    /// process environment.
    pub fn from_vars(
        leptos: &LeptosOptions,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());

        let database_url =
            DatabaseUrl::parse(&get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()))
                .map_err(|problem| ConfigError::new("DATABASE_URL", problem))?;

        let listen_addr = match get("LEPTOS_SITE_ADDR") {
            Some(text) => parse_addr("LEPTOS_SITE_ADDR", &text)?,
            None => leptos.site_addr,
        };

        let production = parse_bool("PRODUCTION", get("PRODUCTION"), false)?;
        let secure_cookies = parse_bool("SECURE_COOKIES", get("SECURE_COOKIES"), production)?;
        let demo_data = parse_bool("DEMO_DATA", get("DEMO_DATA"), !production)?;

        let public_url = match get("PUBLIC_URL") {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "PUBLIC_URL",
                    "expected an http:// or https:// URL, such as https://shop.example.com",
                ));
            }
            None => format!("http://{listen_addr}"),
        };

        let stripe = parse_stripe(&get)?;
        let test_gateway = parse_bool("TEST_GATEWAY", get("TEST_GATEWAY"), !production)?;
        if stripe.is_none() && !test_gateway {
            return Err(ConfigError::new(
                "STRIPE_SECRET_KEY",
                "production mode takes real payments: set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET, or TEST_GATEWAY=true to take test payments on purpose",
            ));
        }
        let stripe_api_base = match get("STRIPE_API_BASE") {
            None => None,
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                if !(url.starts_with("http://") || url.starts_with("https://"))
                    || url.ends_with("/v1")
                {
                    return Err(ConfigError::new(
                        "STRIPE_API_BASE",
                        "expected the API's address without /v1, such as http://127.0.0.1:12111",
                    ));
                }
                let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                    .iter()
                    .any(|local| url.starts_with(local));
                if production && url.starts_with("http://") && !loopback {
                    return Err(ConfigError::new(
                        "STRIPE_API_BASE",
                        "production sends the secret key there: use an https:// address (plain http only on loopback)",
                    ));
                }
                Some(url)
            }
        };

        let smtp_url = match get("SMTP_URL") {
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => {
                Some(Secret(url))
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "SMTP_URL",
                    "expected smtp://USER:PASSWORD@HOST:PORT or smtps://…",
                ));
            }
            None => None,
        };

        let forwarding_header = match get("TRUSTED_PROXY_HEADER") {
            Some(text) => ForwardingHeader::parse(&text)
                .map_err(|problem| ConfigError::new("TRUSTED_PROXY_HEADER", problem))?,
            None => ForwardingHeader::default(),
        };
        let trusted_proxies = TrustedProxies::parse(
            &get("TRUSTED_PROXIES").unwrap_or_default(),
            forwarding_header,
        )
        .map_err(|problem| ConfigError::new("TRUSTED_PROXIES", problem))?;
        let public_demo = parse_bool("PUBLIC_DEMO", get("PUBLIC_DEMO"), false)?;
        // The mailbox shows every reset and invitation link, and the demo manager's password is
        // printed to the console: neither may face the network by accident.
        let mailbox = !production && smtp_url.is_none();
        if (mailbox || demo_data) && !listen_addr.ip().is_loopback() && !public_demo {
            return Err(ConfigError::new(
                "LEPTOS_SITE_ADDR",
                format!(
                    "{listen_addr} is reachable from other machines while the development mailbox \
                     (no SMTP_URL) or the demo data (DEMO_DATA) is on, which would let anyone read \
                     password-reset links: listen on 127.0.0.1, set PRODUCTION=true (or SMTP_URL and \
                     DEMO_DATA=false), or set PUBLIC_DEMO=true to serve a demo to anyone on purpose"
                ),
            ));
        }

        Ok(Config {
            database_url,
            listen_addr,
            public_url,
            media_dir: get("MEDIA_DIR").map_or_else(|| PathBuf::from("data/media"), PathBuf::from),
            settings_file: get("SETTINGS_FILE")
                .map_or_else(|| PathBuf::from("Leptos.toml"), PathBuf::from),
            stripe,
            stripe_api_base,
            smtp_url,
            secure_cookies,
            production,
            demo_data,
            trusted_proxies,
            public_demo,
        })
    }
}

fn parse_addr(name: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.trim().parse().map_err(|_| {
        ConfigError::new(
            name,
            format!("expected an address and port such as 127.0.0.1:3000, got '{text}'"),
        )
    })
}

fn parse_bool(name: &str, value: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::new(
            name,
            format!("expected true or false, got '{v}'"),
        )),
    }
}

fn parse_stripe(get: &impl Fn(&str) -> Option<String>) -> Result<Option<StripeKeys>, ConfigError> {
    const NAMES: [(&str, &str); 3] = [
        ("STRIPE_SECRET_KEY", "sk_"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_"),
    ];
    let values: Vec<Option<String>> = NAMES.iter().map(|(name, _)| get(name)).collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    for ((name, prefix), value) in NAMES.iter().zip(&values) {
        match value {
            None => {
                return Err(ConfigError::new(
                    name,
                    "set all of STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET, or none of them to use the built-in test gateway",
                ));
            }
            Some(value) if !value.starts_with(prefix) => {
                return Err(ConfigError::new(
                    name,
                    format!("expected a key starting with {prefix}"),
                ));
            }
            Some(_) => {}
        }
    }
    let [secret, publishable, webhook] = [0, 1, 2].map(|i| values[i].clone().unwrap_or_default());
    Ok(Some(StripeKeys {
        secret_key: Secret(secret),
        publishable_key: publishable,
        webhook_secret: Secret(webhook),
    }))
}

/// The build layout cargo-leptos used, compiled in from Cargo.toml; LEPTOS_* variables override it.
pub fn leptos_options() -> Result<LeptosOptions, ConfigError> {
    if let Ok(text) = std::env::var("LEPTOS_SITE_ADDR") {
        parse_addr("LEPTOS_SITE_ADDR", &text)?;
    }
    leptos::config::get_config_from_str(include_str!("../../Cargo.toml")).map_err(|error| {
        ConfigError::new(
            "LEPTOS_*",
            format!("the build layout could not be read: {error}"),
        )
    })
}

/// The shop's site settings, from `Leptos.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub shop: ShopSettings,
    pub catalog: CatalogSettings,
    pub http: HttpSettings,
    pub sessions: SessionSettings,
    pub mail: MailSettings,
    pub limits: LimitSettings,
    pub checkout: CheckoutSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSettings {
    pub name: String,
    pub tagline: String,
    pub currency: Currency,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSettings {
    pub home_featured: u16,
    pub home_new_arrivals: u16,
    /// How long a shared catalog page (`server::page_cache`) may be served; 0 renders every time.
    pub shared_page_max_age_secs: u64,
    /// How often the catalog's version is read from the database even though no change was
    /// noticed (`catalog::cache`): how late a change made where the shop cannot notice it shows.
    pub version_recheck_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    /// Cache lifetime of unhashed public files; hashed build output is cached for a year.
    pub public_max_age_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_days: i64,
    /// A sign-in ends this long after it began, however active.
    pub absolute_days: i64,
    /// A staff sign-in (any role but customer) ends after this long without a request: staff hold
    /// every shopper's data, and their screens are more often shared and left open.
    pub staff_idle_minutes: i64,
    /// A staff sign-in ends this long after it began, however active.
    pub staff_absolute_hours: i64,
    /// Sign-ins one user may keep; the oldest ends when another begins. 0 means no limit.
    pub max_per_user: u32,
    pub cleanup_interval_minutes: u64,
}

impl SessionSettings {
    /// How often expired sessions, and what sign-in leaves behind, are cleared.
    pub fn cleanup_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.cleanup_interval_minutes.max(1) * 60)
    }

    /// How long a sign-in may sit idle, and how long it may last at all.
    pub fn lifetimes(&self, staff: bool) -> (chrono::Duration, chrono::Duration) {
        if staff {
            (
                chrono::Duration::minutes(self.staff_idle_minutes),
                chrono::Duration::hours(self.staff_absolute_hours),
            )
        } else {
            (
                chrono::Duration::days(self.idle_days),
                chrono::Duration::days(self.absolute_days),
            )
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// The sender of the shop's mail, such as `Emporium <shop@example.com>`.
    pub from: String,
}

/// How orders are priced, numbered and held.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSettings {
    /// Order numbers read `PREFIX-YEAR-000123`.
    pub order_number_prefix: String,
    /// How long a placed order holds its stock while waiting for payment.
    pub reservation_minutes: u32,
    /// Whether catalog prices include tax (tax is then the part of the total that is tax) or tax
    /// is added to them at checkout.
    pub prices_include_tax: bool,
    /// The countries the shop delivers to, the first being the default.
    pub countries: Vec<Country>,
    /// The delivery methods, the first being the default.
    pub shipping: Vec<ShippingRate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Country {
    /// ISO 3166 alpha-2, upper case.
    pub code: String,
    pub name: String,
    /// Tax rate in basis points: 2000 is 20 %.
    pub tax_rate_bp: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingRate {
    pub code: String,
    pub name: String,
    /// In the shop's currency's minor units.
    pub price_minor: i64,
    /// Free when the subtotal after discounts reaches this.
    pub free_over_minor: Option<i64>,
}

impl CheckoutSettings {
    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.iter().find(|country| country.code == code)
    }

    pub fn shipping_rate(&self, code: &str) -> Option<&ShippingRate> {
        self.shipping.iter().find(|rate| rate.code == code)
    }

    fn check(&self) -> Result<(), String> {
        let prefix = &self.order_number_prefix;
        if prefix.is_empty()
            || prefix.len() > 8
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(
                "checkout.order_number_prefix must be 1 to 8 capital letters or digits".into(),
            );
        }
        if !(1..=24 * 60).contains(&self.reservation_minutes) {
            return Err("checkout.reservation_minutes must be between 1 and 1440".into());
        }
        if self.countries.is_empty() || self.shipping.is_empty() {
            return Err("checkout needs at least one country and one shipping rate".into());
        }
        for (n, country) in self.countries.iter().enumerate() {
            if country.code.len() != 2 || !country.code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!(
                    "checkout.countries: '{}' is not a two-letter code such as FR",
                    country.code
                ));
            }
            if country.tax_rate_bp > 10_000 {
                return Err(format!(
                    "checkout.countries: {}'s tax rate is over 100 %",
                    country.code
                ));
            }
            if self.countries[..n].iter().any(|c| c.code == country.code) {
                return Err(format!(
                    "checkout.countries: {} is listed twice",
                    country.code
                ));
            }
        }
        for (n, rate) in self.shipping.iter().enumerate() {
            if rate.code.is_empty() || !rate.code.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(format!(
                    "checkout.shipping: '{}' must be a code of lower-case letters",
                    rate.code
                ));
            }
            if rate.price_minor < 0 || rate.free_over_minor.is_some_and(|over| over < 0) {
                return Err(format!(
                    "checkout.shipping: {}'s amounts must not be negative",
                    rate.code
                ));
            }
            if self.shipping[..n].iter().any(|r| r.code == rate.code) {
                return Err(format!("checkout.shipping: {} is listed twice", rate.code));
            }
        }
        Ok(())
    }
}

/// Requests one client IP may make in a window, per kind.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Sign-in, sign-up and password-reset requests.
    pub auth_requests: u32,
    pub auth_window_minutes: u64,
    /// Every other request that is not a GET.
    pub write_requests: u32,
    pub write_window_minutes: u64,
    /// Writes to the back office (`/api/manage/…`), counted apart from the shoppers'.
    pub staff_write_requests: u32,
    pub staff_write_window_minutes: u64,
    /// Pages rendered for a client: every page request the shared page cache does not answer.
    pub render_requests: u32,
    pub render_window_minutes: u64,
}

impl Settings {
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let name = "SETTINGS_FILE";
        let text = std::fs::read_to_string(path).map_err(|error| {
            ConfigError::new(name, format!("could not read {}: {error}", path.display()))
        })?;
        Self::parse(&text)
            .map_err(|problem| ConfigError::new(name, format!("{}: {problem}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let settings: Settings = toml::from_str(text).map_err(|error| error.to_string())?;
        if settings.catalog.home_featured == 0 || settings.catalog.home_featured > 48 {
            return Err("catalog.home_featured must be between 1 and 48".into());
        }
        if settings.catalog.home_new_arrivals == 0 || settings.catalog.home_new_arrivals > 48 {
            return Err("catalog.home_new_arrivals must be between 1 and 48".into());
        }
        if settings.catalog.shared_page_max_age_secs > 3600 {
            return Err("catalog.shared_page_max_age_secs must be at most 3600".into());
        }
        if !(1..=3600).contains(&settings.catalog.version_recheck_secs) {
            return Err("catalog.version_recheck_secs must be between 1 and 3600".into());
        }
        if settings.sessions.idle_days <= 0 {
            return Err("sessions.idle_days must be positive".into());
        }
        if settings.sessions.absolute_days < settings.sessions.idle_days {
            return Err("sessions.absolute_days must be at least sessions.idle_days".into());
        }
        let sessions = &settings.sessions;
        // Compared as numbers before any becomes a duration, which a huge value would overflow.
        if sessions.absolute_days > 3650 {
            return Err("sessions.absolute_days must be at most 3650".into());
        }
        if sessions.staff_idle_minutes <= 0
            || sessions.staff_idle_minutes > sessions.staff_absolute_hours.saturating_mul(60)
        {
            return Err(
                "sessions.staff_idle_minutes must be positive and at most sessions.staff_absolute_hours"
                    .into(),
            );
        }
        if sessions.staff_absolute_hours > sessions.absolute_days * 24 {
            return Err(
                "sessions.staff_absolute_hours must be at most sessions.absolute_days".into(),
            );
        }
        if !settings.mail.from.contains('@') {
            return Err("mail.from must be an address such as Shop <shop@example.com>".into());
        }
        let limits = &settings.limits;
        if limits.auth_requests == 0
            || limits.write_requests == 0
            || limits.staff_write_requests == 0
            || limits.render_requests == 0
            || limits.auth_window_minutes == 0
            || limits.write_window_minutes == 0
            || limits.staff_write_window_minutes == 0
            || limits.render_window_minutes == 0
        {
            return Err("limits: every count and window must be positive".into());
        }
        // A week is longer than any rate limit needs, and far inside what the limiter can count.
        let longest = limits
            .auth_window_minutes
            .max(limits.write_window_minutes)
            .max(limits.staff_write_window_minutes)
            .max(limits.render_window_minutes);
        if longest > 7 * 24 * 60 {
            return Err("limits: windows are at most a week (10080 minutes)".into());
        }
        settings.checkout.check()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(
            &LeptosOptions::builder().output_name("emporium").build(),
            |name| map.get(name).cloned(),
        )
    }

    #[test]
    fn defaults_run_on_sqlite_with_the_test_gateway() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite(DEFAULT_DATABASE_URL.into())
        );
        assert!(config.stripe.is_none() && config.smtp_url.is_none());
        assert!(config.demo_data && !config.production && !config.secure_cookies);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("DATABASE_URL", "nonsense"),
            ("DATABASE_URL", "mysql://x"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("PRODUCTION", "maybe"),
            ("SECURE_COOKIES", "2"),
            ("PUBLIC_URL", "shop.example.com"),
            ("SMTP_URL", "mail.example.com"),
            ("STRIPE_API_BASE", "http://127.0.0.1:12111/v1"),
            ("STRIPE_API_BASE", "localhost:12111"),
            ("TEST_GATEWAY", "sometimes"),
        ] {
            let error = config(&[(name, value)]).unwrap_err();
            assert!(
                error.to_string().starts_with(name),
                "{name}={value}: {error}"
            );
        }
    }

    #[test]
    fn production_turns_on_secure_cookies_and_off_demo_data() {
        let config = config(&[
            ("PRODUCTION", "true"),
            ("DATABASE_URL", "postgres://shop@db/emporium"),
            ("TEST_GATEWAY", "true"),
        ])
        .unwrap();
        assert!(config.secure_cookies && !config.demo_data);
        assert!(
            !format!("{config:?}").contains("shop@db"),
            "the database URL may hold a password"
        );
    }

    #[test]
    fn production_sends_the_stripe_key_over_https_only() {
        let with = |base: &str| {
            config(&[
                ("PRODUCTION", "true"),
                ("DATABASE_URL", "postgres://shop@db/emporium"),
                ("TEST_GATEWAY", "true"),
                ("STRIPE_API_BASE", base),
            ])
        };
        assert!(with("http://stripe-proxy.internal").is_err());
        assert!(with("https://stripe-proxy.internal").is_ok());
        assert!(with("http://127.0.0.1:12111").is_ok());
    }

    #[test]
    fn production_takes_test_payments_only_when_told_to() {
        let production = [
            ("PRODUCTION", "true"),
            ("DATABASE_URL", "postgres://shop@db/emporium"),
        ];
        let error = config(&production).unwrap_err();
        assert!(
            error.to_string().starts_with("STRIPE_SECRET_KEY"),
            "{error}"
        );
        let allowed = [production[0], production[1], ("TEST_GATEWAY", "true")];
        assert!(config(&allowed).unwrap().stripe.is_none());
    }

    #[test]
    fn stripe_keys_come_as_a_set() {
        let keys = [
            ("STRIPE_SECRET_KEY", "sk_test_a"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_b"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_c"),
        ];
        let stripe = config(&keys).unwrap().stripe.unwrap();
        assert_eq!(stripe.publishable_key, "pk_test_b");
        assert!(
            config(&keys[..2])
                .unwrap_err()
                .to_string()
                .starts_with("STRIPE_WEBHOOK_SECRET")
        );
        let swapped = [keys[1], ("STRIPE_SECRET_KEY", "pk_test_b"), keys[2]];
        assert!(
            config(&swapped)
                .unwrap_err()
                .to_string()
                .starts_with("STRIPE_SECRET_KEY: expected a key starting with sk_")
        );
    }

    #[test]
    fn the_shipped_settings_parse() {
        let settings = Settings::parse(include_str!("../../Leptos.toml")).unwrap();
        assert!(!settings.shop.name.is_empty());
        assert!(Settings::parse("[shop]\nname = 1").is_err());
    }
}
