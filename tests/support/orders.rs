//! A shop with something to sell, and an order placed in it over HTTP as a browser places one.

use super::{SimpleProduct, TestApp, add_product};
use emporium::cart::api::AddToCart;
use emporium::checkout::api::PlaceOrder;
use emporium::on_db;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

/// €12.00 a lamp, `on_hand` of them, "only N left" from 2.
pub async fn shop_with_lamps(on_hand: i32) -> (TestApp, i64) {
    shop_with_lamps_and(on_hand, TestApp::spawn().await).await
}

pub async fn shop_with_lamps_and(on_hand: i32, app: TestApp) -> (TestApp, i64) {
    let variant = add_product(
        &app.db,
        &SimpleProduct {
            category_slug: "lamps",
            slug: "brass-lamp",
            name: "Brass lamp",
            sku: "LAMP-1",
            price_minor: 1200,
            on_hand,
            low_stock_threshold: 2,
        },
    )
    .await;
    (app, variant)
}

pub async fn add(app: &TestApp, client: &reqwest::Client, variant: i64, quantity: u32) {
    let response = client
        .post(app.url(AddToCart::PATH))
        .form(&[
            ("variant_id", variant.to_string()),
            ("quantity", quantity.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "added to the cart");
}

/// The checkout form as a guest in France fills it in, choosing standard delivery.
pub fn order_form(key: &str, seen_total: Option<i64>) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("checkout_key", key),
        ("email", "Shopper@Example.com"),
        ("country", "FR"),
        ("shipping", "standard"),
        ("promo", ""),
        ("billing_same", "on"),
        ("shipping_address][full_name", "Ada Lovelace"),
        ("shipping_address][line1", "1 rue de la Paix"),
        ("shipping_address][postal_code", "75002"),
        ("shipping_address][city", "Paris"),
    ]
    .into_iter()
    .map(|(name, value)| (format!("checkout[{name}]"), value.to_owned()))
    .collect();
    if let Some(total) = seen_total {
        form.push(("checkout[seen_total]".into(), total.to_string()));
    }
    form
}

pub fn with(form: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    let mut form = without(form, name);
    form.push((format!("checkout[{name}]"), value.to_owned()));
    form
}

pub fn without(mut form: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
    let name = format!("checkout[{name}]");
    form.retain(|(n, _)| *n != name);
    form
}

pub fn new_key() -> String {
    emporium::server::tokens::random_token()
}

/// Posts the checkout form as a script would: an order placed answers 200 with the order page's
/// address in `Location` (a browser's form post gets a 302 there), returned here instead of the body.
pub async fn place(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(String, String)],
) -> (StatusCode, String) {
    let response = client
        .post(app.url(PlaceOrder::PATH))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|to| to.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    (status, location.unwrap_or(body))
}

/// (on_hand, reserved) of a variant, and whether the ledger adds up to on_hand.
pub async fn stock(app: &TestApp, variant: i64) -> (i64, i64, bool) {
    let (on_hand, reserved, ledger): (i64, i64, i64) = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT CAST(i.on_hand AS BIGINT), CAST(i.reserved AS BIGINT),
                CAST((SELECT COALESCE(SUM(delta), 0) FROM stock_movements m WHERE m.variant_id = i.variant_id) AS BIGINT)
         FROM inventory i WHERE i.variant_id = $1"
    ).bind(variant).fetch_one(pool).await)
    .unwrap();
    (on_hand, reserved, ledger == on_hand)
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).unwrap()
}
