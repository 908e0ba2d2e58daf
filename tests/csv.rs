//! The products CSV over HTTP on the engine under test: the export streams every product with its
//! variants and stock, page after page, to staff who may read the catalog.

use crate::support::browser::{browser, signed_in_as};
use crate::support::orders::count;
use crate::support::{TestApp, execute, settings};
use emporium::accounts::Role;
use emporium::manage::products::csv::{COLUMNS, CsvLine, ExportProducts};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn export(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    client
        .get(app.url(ExportProducts::PATH))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_export_streams_every_product_with_its_variants_and_stock() {
    let app = TestApp::spawn_unthrottled().await;
    // More products than one page of the export reads (500), so it goes on past the first.
    emporium::server::demo::generate_catalog(&app.db, &app.media_dir, &settings(), 1_100)
        .await
        .unwrap();
    execute(
        &app.db,
        "INSERT INTO products (slug, name, description, category_id, status, price_minor, currency, created_at, updated_at)
         VALUES ('bare-draft', 'Bare draft', 'Nothing to sell yet.', (SELECT MIN(id) FROM categories), 'draft', 0,
                 'EUR', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let response = export(&app, &manager).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("products.csv")
    );
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        &csv::StringRecord::from(COLUMNS.to_vec())
    );
    let lines: Vec<CsvLine> = reader.deserialize().map(Result::unwrap).collect();

    let products = count(&app, "SELECT COUNT(*) FROM products").await;
    let variants = count(&app, "SELECT COUNT(*) FROM product_variants").await;
    let handles: std::collections::BTreeSet<&str> =
        lines.iter().map(|line| line.handle.as_str()).collect();
    assert_eq!(handles.len() as i64, products);
    assert_eq!(
        lines.len() as i64,
        variants + 1,
        "a line per variant, one for the bare draft"
    );
    let bare = lines
        .iter()
        .find(|line| line.handle == "bare-draft")
        .unwrap();
    assert_eq!(
        (bare.status.as_str(), bare.sku.as_str(), bare.price.as_str()),
        ("draft", "", "")
    );

    // A line says what the database holds, its price in the currency's units.
    let (sku, price_minor, on_hand): (String, i64, i32) = emporium::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT v.sku, v.price_minor, i.on_hand FROM product_variants v JOIN inventory i ON i.variant_id = v.id
         ORDER BY v.id DESC LIMIT 1"
    ).fetch_one(pool).await)
    .unwrap();
    let line = lines.iter().find(|line| line.sku == sku).unwrap();
    assert_eq!(
        line.price,
        format!("{}.{:02}", price_minor / 100, price_minor % 100)
    );
    assert_eq!(line.on_hand, on_hand.to_string());
}

#[tokio::test]
async fn only_staff_who_read_the_catalog_export_it() {
    let app = TestApp::spawn_unthrottled().await;
    assert_eq!(
        export(&app, &browser()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let customer = signed_in_as(&app, "shopper@example.com", Role::Customer).await;
    assert_eq!(
        export(&app, &customer).await.status(),
        StatusCode::FORBIDDEN
    );
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    let response = export(&app, &support).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.unwrap(),
        format!("{}\n", COLUMNS.join(","))
    );
}
