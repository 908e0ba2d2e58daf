//! The benchmark's yardstick: a bare axum handler that answers every GET with a fixed body of the
//! given size and nothing else (no database, rendering, middleware or compression), on the same
//! tokio runtime and build profile as the shop. `scripts/bench` runs it beside the shop.
//!
//! Usage: `baseline ADDR BYTES`, for example `baseline 127.0.0.1:3900 9000`.

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;

// The shop's allocator, so that the two differ only in what the shop does per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, bytes] = args.as_slice() else {
        return Err("usage: baseline ADDR BYTES".into());
    };
    let body = Bytes::from(vec![b'x'; bytes.parse()?]);
    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(CONTENT_TYPE, "text/html; charset=utf-8")], body) }
    });
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
