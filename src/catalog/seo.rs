//! What search engines read: robots.txt and the sitemaps. Sitemaps list every active product in
//! chunks by id range, so each chunk is one primary-key range scan however large the catalog.

use crate::on_readers;
use crate::server::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write as _;

/// Products per sitemap file; the protocol allows 50,000.
const PRODUCTS_PER_SITEMAP: i64 = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap_index))
        .route("/sitemaps/pages.xml", get(pages_sitemap))
        .route("/sitemaps/products/{chunk}", get(products_sitemap))
}

async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /cart\nDisallow: /checkout\nDisallow: /orders\nDisallow: /account\nDisallow: /manage\n\nSitemap: {}/sitemap.xml\n",
        state.config.public_url
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn failed(error: sqlx::Error) -> Response {
    tracing::error!(%error, "sitemap query failed");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

async fn sitemap_index(State(state): State<AppState>) -> Response {
    let max_id: Option<i64> = match on_readers!(&state.db, pool => sqlx::query_scalar(
        "SELECT MAX(id) FROM products WHERE status = 'active'"
    ).fetch_one(pool).await)
    {
        Ok(max) => max,
        Err(error) => return failed(error),
    };
    let base = &state.config.public_url;
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let _ = writeln!(
        body,
        "<sitemap><loc>{}/sitemaps/pages.xml</loc></sitemap>",
        escape(base)
    );
    for chunk in 0..max_id.map_or(0, |max| max / PRODUCTS_PER_SITEMAP + 1) {
        let _ = writeln!(
            body,
            "<sitemap><loc>{}/sitemaps/products/{chunk}.xml</loc></sitemap>",
            escape(base)
        );
    }
    body.push_str("</sitemapindex>\n");
    xml(body)
}

async fn pages_sitemap(State(state): State<AppState>) -> Response {
    let slugs: Vec<String> = match on_readers!(&state.db, pool => sqlx::query_scalar(
        "SELECT c.slug FROM categories c LEFT JOIN categories parent ON parent.id = c.parent_id
         WHERE NOT c.hidden AND NOT COALESCE(parent.hidden, FALSE) ORDER BY c.id"
    ).fetch_all(pool).await)
    {
        Ok(slugs) => slugs,
        Err(error) => return failed(error),
    };
    let base = escape(&state.config.public_url);
    let mut body = urlset_start();
    let _ = writeln!(
        body,
        "<url><loc>{base}/</loc></url>\n<url><loc>{base}/products</loc></url>"
    );
    for slug in slugs {
        let _ = writeln!(body, "<url><loc>{base}/c/{}</loc></url>", escape(&slug));
    }
    body.push_str("</urlset>\n");
    xml(body)
}

async fn products_sitemap(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(chunk) = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (0..1_000_000).contains(n))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (from, to) = (
        chunk * PRODUCTS_PER_SITEMAP,
        (chunk + 1) * PRODUCTS_PER_SITEMAP,
    );
    let rows: Vec<(String, DateTime<Utc>)> = match on_readers!(&state.db, pool => sqlx::query_as(
        "SELECT slug, updated_at FROM products WHERE status = 'active' AND id >= $1 AND id < $2 ORDER BY id"
    ).bind(from).bind(to).fetch_all(pool).await)
    {
        Ok(rows) => rows,
        Err(error) => return failed(error),
    };
    let base = escape(&state.config.public_url);
    let mut body = urlset_start();
    for (slug, updated) in rows {
        let _ = writeln!(
            body,
            "<url><loc>{base}/p/{}</loc><lastmod>{}</lastmod></url>",
            escape(&slug),
            updated.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }
    body.push_str("</urlset>\n");
    xml(body)
}

fn urlset_start() -> String {
    String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    )
}
