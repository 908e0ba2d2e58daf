//! The checkout load for `scripts/bench`: buyers who each fill a cart, place the order, start the
//! card step and pay with a test card at the built-in gateway, over HTTP as a browser would, the
//! order then being marked paid by the gateway's webhook. Prints what it did as one line of
//! `key=value` figures.
//!
//! Usage: `checkout_load URL VARIANTS BUYERS SECONDS [RATE]`
//! - VARIANTS: comma-separated variant ids, taken in turn (one id: every buyer on one product);
//! - BUYERS: how many buy at once;
//! - RATE: orders per second to start at most (default: as fast as the buyers go).

use emporium::cart::api::AddToCart;
use emporium::checkout::api::PlaceOrder;
use emporium::orders::api::StartPayment;
use leptos::server_fn::ServerFn;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Tally {
    paid: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    /// Microseconds of each completed purchase, for the median.
    latencies: std::sync::Mutex<Vec<u64>>,
}

async fn purchase(base: &str, variant: i64, key: &str) -> Result<bool, String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let send = |path: &str, form: Vec<(String, String)>| {
        let request = client.post(format!("{base}{path}")).form(&form);
        async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((status, location, body))
        }
    };
    let (status, _, body) = send(
        AddToCart::PATH,
        vec![
            ("variant_id".into(), variant.to_string()),
            ("quantity".into(), "1".into()),
        ],
    )
    .await?;
    if status == reqwest::StatusCode::CONFLICT {
        return Ok(false);
    }
    if !status.is_success() {
        return Err(format!("add to cart: {status} {body}"));
    }
    let field = |name: &str, value: &str| (format!("checkout[{name}]"), value.to_owned());
    let (status, location, body) = send(
        PlaceOrder::PATH,
        vec![
            field("checkout_key", key),
            field("email", "buyer@example.com"),
            field("country", "FR"),
            field("shipping", "standard"),
            field("billing_same", "on"),
            field("shipping_address][full_name", "Bench Buyer"),
            field("shipping_address][line1", "1 rue de la Paix"),
            field("shipping_address][postal_code", "75002"),
            field("shipping_address][city", "Paris"),
        ],
    )
    .await?;
    if status == reqwest::StatusCode::CONFLICT {
        return Ok(false);
    }
    let location = location.ok_or(format!("place order: {status} {body}"))?;
    let number = location
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (status, _, body) = send(
        StartPayment::PATH,
        vec![("number".into(), number), ("key".into(), key.to_owned())],
    )
    .await?;
    if !status.is_success() {
        return Err(format!("start payment: {status} {body}"));
    }
    let step: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let secret = step["client_secret"].as_str().unwrap_or_default();
    let intent = secret.split("_secret_").next().unwrap_or_default();
    let response = client
        .post(format!(
            "{base}/test-gateway/v1/payment_intents/{intent}/confirm"
        ))
        .header(
            "authorization",
            format!(
                "Bearer {}",
                step["publishable_key"].as_str().unwrap_or_default()
            ),
        )
        .form(&[
            ("client_secret", secret),
            ("card_number", "4242424242424242"),
            ("expiry", "12 / 34"),
            ("cvc", "123"),
            ("return_url", "/"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("confirm: {}", response.status()));
    }
    Ok(true)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (base, variants, buyers, seconds, rate) = match args.as_slice() {
        [base, variants, buyers, seconds, rest @ ..] if rest.len() <= 1 => (
            base.trim_end_matches('/').to_owned(),
            variants
                .split(',')
                .map(str::parse::<i64>)
                .collect::<Result<Vec<_>, _>>()?,
            buyers.parse::<usize>()?,
            seconds.parse::<u64>()?,
            rest.first().map(|r| r.parse::<f64>()).transpose()?,
        ),
        _ => return Err("usage: checkout_load URL VARIANTS BUYERS SECONDS [RATE]".into()),
    };
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let variants = Arc::new(variants);
    let base = Arc::new(base);
    let mut tasks = Vec::new();
    for _ in 0..buyers {
        let (tally, next, variants, base) =
            (tally.clone(), next.clone(), variants.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if let Some(rate) = rate {
                    // Purchase n starts no earlier than n / rate seconds in.
                    let due = started + Duration::from_secs_f64(n as f64 / rate);
                    if due >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                }
                let variant = variants[n % variants.len()];
                let key = format!(
                    "{:064x}",
                    (n as u128) << 64 | u128::from(std::process::id())
                );
                let begun = Instant::now();
                match purchase(&base, variant, &key).await {
                    Ok(true) => {
                        tally.paid.fetch_add(1, Ordering::Relaxed);
                        let micros = u64::try_from(begun.elapsed().as_micros()).unwrap_or(u64::MAX);
                        tally.latencies.lock().unwrap().push(micros);
                    }
                    Ok(false) => {
                        tally.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(error) => {
                        if tally.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("checkout_load: {error}");
                        }
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = tally.latencies.lock().unwrap().clone();
    latencies.sort_unstable();
    let median_ms = latencies
        .get(latencies.len() / 2)
        .map_or(0.0, |micros| *micros as f64 / 1000.0);
    let paid = tally.paid.load(Ordering::Relaxed);
    println!(
        "orders={paid} orders_per_s={:.1} median_ms={median_ms:.1} refused={} failed={}",
        paid as f64 / elapsed,
        tally.refused.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    Ok(())
}
