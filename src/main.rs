//! The `emporium` binary: serves the shop; `generate-catalog N` adds N products for benchmarks;
//! `create-admin EMAIL` makes the first admin account of a new shop; `create-promo` makes a promo
//! code.

use emporium::server::db::Db;
use emporium::server::demo;
use emporium::server::http::{Server, load_configuration, shutdown_signal};
use std::process::ExitCode;

const USAGE: &str = "usage: emporium [serve | generate-catalog COUNT | create-admin EMAIL | create-promo CODE (PERCENT% | AMOUNT) [--min AMOUNT] [--expires YYYY-MM-DD] [--limit USES]]";

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,emporium=info,tower_http=info,sqlx=warn".into()),
        )
        .init();

    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => serve().await,
        ["generate-catalog", count] => match count.parse::<usize>() {
            Ok(count) if count > 0 => generate_catalog(count).await,
            _ => Err(format!(
                "COUNT must be a positive number, got '{count}'\n{USAGE}"
            )),
        },
        ["create-admin", email] => create_admin(email).await,
        ["create-promo", code, discount, options @ ..] => {
            create_promo(code, discount, options).await
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("emporium: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let (config, settings, leptos_options) = load_configuration().map_err(|e| e.to_string())?;
    let server = Server::build(config, settings, leptos_options)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(engine = ?server.db().engine(), "listening on http://{}", server.local_addr());
    server
        .run_until(shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

async fn generate_catalog(count: usize) -> Result<(), String> {
    let (config, settings, _) = load_configuration().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let made = demo::generate_catalog(&db, &config.media_dir, &settings, count)
        .await
        .map_err(|e| e.to_string())?;
    println!("added {made} products in {:.1?}", started.elapsed());
    db.close().await;
    Ok(())
}

/// Creates an admin with a generated password, printed once: the way into a new shop's back office.
async fn create_admin(email: &str) -> Result<(), String> {
    use emporium::accounts::{Email, Role, password, repo};
    let email = Email::parse(email).map_err(|e| format!("EMAIL: {e}"))?;
    let (config, _, _) = load_configuration().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let secret = password::generate(20);
    let hash = password::hash(secret.clone())
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = db.begin().await.map_err(|e| e.to_string())?;
    let created = repo::insert_user(&mut tx, email.as_str(), "Admin", &hash, Role::Admin, true)
        .await
        .map_err(|e| e.to_string())?;
    if created.is_none() {
        return Err(format!("an account for {} already exists", email.as_str()));
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    println!(
        "admin {} created; password (shown once): {secret}",
        email.as_str()
    );
    db.close().await;
    Ok(())
}

/// Creates a promo code: `create-promo SUMMER 15%` takes 15 % off, `create-promo TENOFF 10.00`
/// takes 10.00 of the shop's currency off; `--min`, `--expires` (the end of that day, UTC) and
/// `--limit` (orders that may use it) are optional.
async fn create_promo(code: &str, discount: &str, options: &[&str]) -> Result<(), String> {
    use emporium::checkout::pricing::Discount;
    use emporium::checkout::repo::{NewPromo, insert_promo};
    use emporium::money::Money;
    let code = emporium::checkout::parse_promo_code(code)
        .ok()
        .flatten()
        .ok_or("CODE: 3 to 32 letters, digits, - or _")?;
    let (config, settings, _) = load_configuration().map_err(|e| e.to_string())?;
    let currency = settings.shop.currency;
    let amount = |text: &str, what: &str| {
        Money::parse_decimal(text, currency)
            .ok()
            .filter(|money| money.minor > 0)
            .ok_or(format!("{what}: an amount such as 10.00, got '{text}'"))
    };
    let discount = match discount.strip_suffix('%') {
        Some(percent) => match percent.parse::<u8>() {
            Ok(percent @ 1..=100) => Discount::Percent(percent),
            _ => return Err(format!("a percentage from 1% to 100%, got '{discount}'")),
        },
        None => Discount::Fixed(amount(discount, "AMOUNT")?.minor),
    };
    let mut promo = NewPromo {
        code,
        discount,
        currency,
        min_subtotal_minor: 0,
        expires_at: None,
        usage_limit: None,
    };
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        let value = rest
            .next()
            .ok_or(format!("{option} needs a value\n{USAGE}"))?;
        match *option {
            "--min" => promo.min_subtotal_minor = amount(value, "--min")?.minor,
            "--expires" => {
                let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .map_err(|_| format!("--expires: a date such as 2026-12-31, got '{value}'"))?;
                promo.expires_at = day.and_hms_opt(23, 59, 59).map(|end| end.and_utc());
            }
            "--limit" => {
                promo.usage_limit = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(format!("--limit: a number of uses, got '{value}'"))?,
                )
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let created = insert_promo(&db, &promo).await.map_err(|e| e.to_string())?;
    db.close().await;
    match created {
        Some(_) => {
            println!("promo code {} created", promo.code);
            Ok(())
        }
        None => Err(format!("the promo code {} exists already", promo.code)),
    }
}
