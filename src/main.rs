//! The `emporium` binary: serves the shop, or with `generate-catalog N` adds N products for benchmarks.

use emporium::server::db::Db;
use emporium::server::demo;
use emporium::server::http::{Server, load_configuration, shutdown_signal};
use std::process::ExitCode;

const USAGE: &str = "usage: emporium [serve | generate-catalog COUNT]";

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
