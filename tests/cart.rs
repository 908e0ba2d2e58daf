//! The cart through its server functions, as the browser calls them, on the engine under test.

use crate::support::browser::page_text;
use crate::support::{Options, TestApp};
use emporium::cart::api::{AddToCart, RemoveCartLine, UpdateCartLine};
use emporium::on_db;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn shop() -> TestApp {
    TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await
}

/// A variant with at least `min` in stock, and how many.
async fn variant_with_stock(app: &TestApp, min: i64) -> (i64, i64) {
    on_db!(&app.db, pool => sqlx::query_as(
        "SELECT variant_id, CAST(on_hand - reserved AS BIGINT) FROM inventory WHERE on_hand - reserved >= $1 ORDER BY variant_id LIMIT 1"
    ).bind(min).fetch_one(pool).await).unwrap()
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, String)],
) -> (StatusCode, String) {
    let response = client.post(app.url(path)).form(form).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_guest_fills_changes_and_empties_a_cart() {
    let app = shop().await;
    let (variant, stock) = variant_with_stock(&app, 5).await;
    let id = variant.to_string();

    let first = app
        .client
        .post(app.url(AddToCart::PATH))
        .form(&[("variant_id", id.clone()), ("quantity", "2".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("emporium_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(first.text().await.unwrap(), "2", "the new item count");

    assert_eq!(
        call(
            &app,
            &app.client,
            AddToCart::PATH,
            &[("variant_id", id.clone()), ("quantity", "1".into())]
        )
        .await,
        (StatusCode::OK, "3".into())
    );
    let html = app.get("/cart").await.text().await.unwrap();
    assert!(html.contains("aria-label=\"3 items in cart\""));

    // Another visitor has a cart of their own.
    let stranger = new_client();
    assert!(
        page_text(&app, &stranger, "/")
            .await
            .contains("aria-label=\"0 items in cart\"")
    );
    let (status, refused) = call(
        &app,
        &stranger,
        RemoveCartLine::PATH,
        &[("variant_id", id.clone())],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a stranger cannot touch this cart: {refused}"
    );
    assert_eq!(
        call(
            &app,
            &app.client,
            UpdateCartLine::PATH,
            &[("variant_id", id.clone()), ("quantity", "4".into())]
        )
        .await,
        (StatusCode::OK, "4".into())
    );

    let (status, refused) = call(
        &app,
        &app.client,
        UpdateCartLine::PATH,
        &[
            ("variant_id", id.clone()),
            ("quantity", (stock + 1).min(99).to_string()),
        ],
    )
    .await;
    if stock < 99 {
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            refused.contains(&format!("Only {stock} left in stock")),
            "{refused}"
        );
    }
    let quantity: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT CAST(quantity AS BIGINT) FROM cart_items WHERE variant_id = $1")
        .bind(variant).fetch_one(pool).await).unwrap();
    assert_eq!(quantity, 4, "a refused change changes nothing");

    let (status, bad) = call(
        &app,
        &app.client,
        AddToCart::PATH,
        &[("variant_id", id.clone()), ("quantity", "lots".into())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad.contains("Quantity must be a whole number from 1 to 99"),
        "{bad}"
    );

    assert_eq!(
        call(
            &app,
            &app.client,
            RemoveCartLine::PATH,
            &[("variant_id", id.clone())]
        )
        .await,
        (StatusCode::OK, "0".into())
    );
    let lines: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM cart_items").fetch_one(pool).await).unwrap();
    assert_eq!(lines, 0);
}

#[tokio::test]
async fn the_cart_never_promises_more_than_exists() {
    let app = shop().await;
    let (variant, stock) = variant_with_stock(&app, 1).await;
    let id = variant.to_string();
    let (_, body) = call(
        &app,
        &app.client,
        AddToCart::PATH,
        &[
            ("variant_id", id.clone()),
            ("quantity", stock.min(99).to_string()),
        ],
    )
    .await;
    assert_eq!(body, stock.min(99).to_string());
    let (_, refused) = call(
        &app,
        &app.client,
        AddToCart::PATH,
        &[("variant_id", id.clone()), ("quantity", "1".into())],
    )
    .await;
    assert!(
        refused.contains("left in stock") && refused.contains("already in your cart"),
        "{refused}"
    );

    let sold_out: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT variant_id FROM inventory WHERE on_hand = 0 LIMIT 1")
        .fetch_one(pool).await).unwrap();
    let (_, refused) = call(
        &app,
        &app.client,
        AddToCart::PATH,
        &[
            ("variant_id", sold_out.to_string()),
            ("quantity", "1".into()),
        ],
    )
    .await;
    assert!(refused.contains("out of stock"), "{refused}");
    let (status, missing) = call(
        &app,
        &app.client,
        AddToCart::PATH,
        &[("variant_id", "999999".into()), ("quantity", "1".into())],
    )
    .await;
    assert_eq!(
        (status, missing.as_str()),
        (StatusCode::NOT_FOUND, r#"{"NotFound":"That product"}"#)
    );
}

#[tokio::test]
async fn without_javascript_a_form_post_redirects_back_with_its_error() {
    let app = shop().await;
    let (variant, _) = variant_with_stock(&app, 1).await;
    let referer = app.url("/p/some-product");
    let response = app
        .client
        .post(app.url(AddToCart::PATH))
        .header("accept", "text/html")
        .header("referer", &referer)
        .form(&[
            ("variant_id", variant.to_string()),
            ("quantity", "0".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&referer) && location.contains("__err="),
        "{location}"
    );
}

#[tokio::test]
async fn a_form_post_that_succeeds_says_so_once_on_the_page_it_returns_to() {
    let app = shop().await;
    let (variant, _) = variant_with_stock(&app, 2).await;
    let id = variant.to_string();
    let post_from_cart = |path: &'static str, quantity: &'static str| {
        app.client
            .post(app.url(path))
            .header("accept", "text/html")
            .header("referer", app.url("/cart"))
            .form(&[("variant_id", id.clone()), ("quantity", quantity.into())])
            .send()
    };

    let added = post_from_cart(AddToCart::PATH, "1").await.unwrap();
    assert_eq!(added.status(), StatusCode::FOUND);
    let cart = page_text(&app, &app.client, "/cart").await;
    assert!(
        !cart.contains("Cart updated."),
        "only its own form's message"
    );

    let updated = post_from_cart(UpdateCartLine::PATH, "2").await.unwrap();
    assert_eq!(updated.headers()["location"], app.url("/cart").as_str());
    let cart = page_text(&app, &app.client, "/cart").await;
    assert!(
        cart.contains("Cart updated."),
        "said on the page it came back to"
    );
    let again = app
        .client
        .get(app.url("/cart"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        again.headers().get("set-cookie").is_none(),
        "an ordinary page view leaves the session as it was"
    );
    let again = again.text().await.unwrap();
    assert!(!again.contains("Cart updated."), "said once");

    let refused = post_from_cart(UpdateCartLine::PATH, "100").await.unwrap();
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let back = location.strip_prefix(&app.url("")).unwrap();
    let cart = page_text(&app, &app.client, back).await;
    assert!(cart.contains("role=\"alert\"") && !cart.contains("Cart updated."));
}

#[tokio::test]
async fn additions_to_one_cart_at_once_all_count() {
    let app = shop().await;
    let (variant, _) = variant_with_stock(&app, 10).await;
    let client = new_client();
    let form = [
        ("variant_id", variant.to_string()),
        ("quantity", "1".to_owned()),
    ];
    // The first makes the cart; the next five arrive together, as from two tabs and a double click.
    assert_eq!(
        call(&app, &client, AddToCart::PATH, &form).await.0,
        StatusCode::OK
    );
    let mut adding = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (client, url) = (client.clone(), app.url(AddToCart::PATH));
        let form = form.clone();
        adding.spawn(async move { client.post(url).form(&form).send().await.unwrap().status() });
    }
    while let Some(status) = adding.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let quantity: i64 = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT CAST(SUM(quantity) AS BIGINT) FROM cart_items"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(quantity, 6);
}

#[tokio::test]
async fn adding_and_removing_one_line_at_once_never_fails() {
    let app = shop().await;
    let (variant, _) = variant_with_stock(&app, 10).await;
    let client = new_client();
    let add = [
        ("variant_id", variant.to_string()),
        ("quantity", "1".to_owned()),
    ];
    let remove = [("variant_id", variant.to_string())];
    for _ in 0..5 {
        call(&app, &client, AddToCart::PATH, &add).await;
        // Whichever goes first, the other sees its result: a refusal at worst, never an error.
        let (added, removed) = tokio::join!(
            call(&app, &client, AddToCart::PATH, &add),
            call(&app, &client, RemoveCartLine::PATH, &remove),
        );
        assert_eq!(added.0, StatusCode::OK, "{}", added.1);
        assert!(
            [StatusCode::OK, StatusCode::NOT_FOUND].contains(&removed.0),
            "{removed:?}"
        );
    }
}
