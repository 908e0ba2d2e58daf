//! The catalog cache over HTTP: pages come from memory while nothing changed, and show a new price,
//! stock level or category name on the very next request after a change, whichever way it was made.

use crate::support::{BRASS_LAMP, SimpleProduct, TestApp, add_product};
use emporium::catalog::api::FetchProducts;
use emporium::catalog::listing::ListingParams;
use emporium::catalog::repo;
use emporium::money::{Currency, Money};
use emporium::{in_tx, on_db};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

/// Counts `delta` into a variant's stock as staff do (a stock count), answering the new on-hand.
async fn adjust(tx: &mut emporium::server::db::Tx, variant: i64, delta: i32) -> Option<i32> {
    use emporium::manage::stock::{Adjustment, AdjustmentReason, repo};
    let change = Adjustment {
        delta,
        reason: AdjustmentReason::Count,
        note: String::new(),
    };
    repo::adjust(tx, variant, &change, None).await.unwrap()
}

/// An empty shop with one category and one product of one variant: €12.50, 20 in stock.
async fn shop_with_one_product() -> (TestApp, i64) {
    with_one_product(TestApp::spawn().await).await
}

/// `app` with that one product.
async fn with_one_product(app: TestApp) -> (TestApp, i64) {
    let variant = add_product(&app.db, &BRASS_LAMP).await;
    (app, variant)
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// Runs `sql` in one transaction, written by hand rather than by the catalog's repository.
async fn run_sql(app: &TestApp, statements: &[&str]) {
    let mut tx = app.db.begin().await.unwrap();
    for sql in statements {
        in_tx!(&mut tx, conn => sqlx::query(sql).execute(conn).await.map(drop)).unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn pages_show_a_new_price_and_stock_right_after_the_repository_changes_them() {
    let (app, variant) = shop_with_one_product().await;
    for path in ["/", "/products", "/c/lamps", "/p/brass-lamp"] {
        let html = page(&app, path).await;
        assert!(html.contains("€12.50"), "{path} shows the price");
        assert!(!html.contains("Only 3 left"), "{path}");
    }

    let mut tx = app.db.begin().await.unwrap();
    assert!(
        repo::set_variant_price(&mut tx, variant, Money::new(990, Currency::EUR))
            .await
            .unwrap()
    );
    assert_eq!(adjust(&mut tx, variant, -17).await, Some(3));
    tx.commit().await.unwrap();

    for path in ["/", "/products", "/c/lamps"] {
        let html = page(&app, path).await;
        assert!(html.contains("€9.90"), "{path} shows the new price");
        assert!(
            !html.contains("€12.50"),
            "{path} no longer shows the old one"
        );
        assert!(html.contains("Only 3 left"), "{path} shows the new stock");
    }
    let product = page(&app, "/p/brass-lamp").await;
    assert!(product.contains("€9.90") && !product.contains("€12.50"));

    let mut tx = app.db.begin().await.unwrap();
    assert_eq!(adjust(&mut tx, variant, -3).await, Some(0));
    tx.commit().await.unwrap();
    let product = page(&app, "/p/brass-lamp").await;
    assert!(product.contains("https://schema.org/OutOfStock"));
    assert!(page(&app, "/products").await.contains("Out of stock"));
}

#[tokio::test]
async fn a_change_made_outside_the_shops_code_shows_on_the_next_page() {
    let (app, _) = shop_with_one_product().await;
    assert!(page(&app, "/p/brass-lamp").await.contains("€12.50"));
    assert!(page(&app, "/").await.contains("Lamps"));

    run_sql(
        &app,
        &[
            "UPDATE product_variants SET price_minor = 4200",
            "UPDATE products SET price_minor = 4200",
            "UPDATE inventory SET on_hand = 2",
            "UPDATE categories SET name = 'Lights'",
        ],
    )
    .await;

    let product = page(&app, "/p/brass-lamp").await;
    assert!(product.contains("€42.00") && !product.contains("€12.50"));
    let home = page(&app, "/").await;
    assert!(home.contains("Lights") && !home.contains("Lamps"));
    assert!(home.contains("Only 2 left"));

    run_sql(&app, &["UPDATE products SET status = 'archived'"]).await;
    assert_eq!(
        app.get("/p/brass-lamp").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unchanged_pages_come_from_memory_until_the_generation_moves() {
    let (app, _) = shop_with_one_product().await;
    assert!(page(&app, "/p/brass-lamp").await.contains("Brass lamp"));

    // Rename the product but put the generation back, as if the change had never been announced:
    // the page still shows the old name, so it did not come from the database.
    run_sql(
        &app,
        &[
            "UPDATE products SET name = 'Copper lamp'",
            "UPDATE catalog_generation SET generation = generation - 1",
        ],
    )
    .await;
    let cached = page(&app, "/p/brass-lamp").await;
    assert!(cached.contains("Brass lamp") && !cached.contains("Copper lamp"));

    run_sql(
        &app,
        &["UPDATE catalog_generation SET generation = generation + 1"],
    )
    .await;
    assert!(page(&app, "/p/brass-lamp").await.contains("Copper lamp"));
}

/// A page as a browser without a session gets it: asking for gzip, which is decoded here.
async fn shared_page(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    use std::io::Read;
    let response = reqwest::Client::new()
        .get(app.url(path))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut html)
        .unwrap();
    (headers, html)
}

#[tokio::test]
async fn visitors_without_a_session_share_one_rendering_with_hashed_scripts() {
    use base64::Engine;
    use sha2::Digest;
    let (app, variant) = shop_with_one_product().await;
    let (headers, html) = shared_page(&app, "/p/brass-lamp").await;
    assert!(html.contains("€12.50"));

    // A shared page cannot share a nonce: its policy lists the hash of each inline script instead.
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        !csp.contains("'nonce-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!html.contains(" nonce="));
    let scripts: Vec<&str> = html
        .split("<script")
        .skip(1)
        .filter(|rest| !rest.starts_with(" type=\"application/ld+json\""))
        .map(|rest| {
            rest.split_once('>')
                .unwrap()
                .1
                .split("</script>")
                .next()
                .unwrap()
        })
        .collect();
    assert!(!scripts.is_empty());
    for script in scripts {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{script}");
    }
    assert_eq!(headers["vary"], "accept-encoding, cookie");

    // A shopper's like drops the pages showing its product (migration 0023): the next request
    // renders them with the new count.
    run_sql(
        &app,
        &[
            "INSERT INTO users (email, display_name, password_hash, role_id)
             SELECT 'a@example.com', 'A', 'x', id FROM roles WHERE name = 'customer'",
            "INSERT INTO likes (user_id, product_id) SELECT u.id, p.id FROM users u, products p",
        ],
    )
    .await;
    let (_, again) = shared_page(&app, "/p/brass-lamp").await;
    assert!(
        again.contains(" like<") && !again.contains(" likes<"),
        "1 like"
    );

    // A price is never late: the catalog generation moves, and the page is rendered again.
    let mut tx = app.db.begin().await.unwrap();
    repo::set_variant_price(&mut tx, variant, Money::new(1400, Currency::EUR))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, changed) = shared_page(&app, "/p/brass-lamp").await;
    assert!(changed.contains("€14.00") && !changed.contains("€12.50"));
}

/// Renames every product to `name` (an SQL expression) without the catalog's version moving, so
/// that only the pages loaded again afterwards show the new names: a mark of what was kept.
async fn rename_unseen(app: &TestApp, name: &str) {
    let (generation, stock): (i64, i64) = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT generation, stock_version FROM catalog_generation"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    // PostgreSQL's triggers wait for the commit unless told to run now.
    let now = match app.db.engine() {
        emporium::server::db::Engine::Postgres => "SET CONSTRAINTS ALL IMMEDIATE",
        emporium::server::db::Engine::Sqlite => "SELECT 1",
    };
    run_sql(
        app,
        &[
            &format!("UPDATE products SET name = {name}"),
            now,
            &format!(
                "UPDATE catalog_generation SET generation = {generation}, stock_version = {stock}"
            ),
            &format!("DELETE FROM stock_changes WHERE version > {stock}"),
        ],
    )
    .await;
}

/// The brass lamp (its variant's id answered) and a wool rug, in categories of their own.
async fn shop_with_lamp_and_rug() -> (TestApp, i64) {
    let (app, lamp) = shop_with_one_product().await;
    add_product(
        &app.db,
        &SimpleProduct {
            category_slug: "rugs",
            slug: "wool-rug",
            name: "Wool rug",
            sku: "RUG-1",
            price_minor: 9900,
            on_hand: 20,
            low_stock_threshold: 5,
        },
    )
    .await;
    (app, lamp)
}

#[tokio::test]
async fn a_stock_change_drops_only_the_pages_showing_that_product() {
    let (app, lamp) = shop_with_lamp_and_rug().await;
    let paths = [
        "/p/brass-lamp",
        "/p/wool-rug",
        "/c/rugs",
        "/products",
        "/products?in_stock=true",
    ];
    // Kept both ways: as shared pages (no session) and as catalog entries (with one).
    for path in paths {
        shared_page(&app, path).await;
        page(&app, path).await;
    }

    // Rename both products without announcing it, then let the lamp run short: only what shows
    // the lamp, or lists what is in stock, is loaded again and so shows the new names.
    rename_unseen(&app, "name || ' (renamed)'").await;
    run_sql(
        &app,
        &[&format!(
            "UPDATE inventory SET on_hand = 2 WHERE variant_id = {lamp}"
        )],
    )
    .await;
    for path in paths {
        let (_, shared) = shared_page(&app, path).await;
        let own = page(&app, path).await;
        for html in [shared, own] {
            let renamed = html.contains("(renamed)");
            match path {
                "/p/wool-rug" | "/c/rugs" => assert!(!renamed, "{path} was kept"),
                _ => {
                    assert!(renamed, "{path} was loaded again");
                    let running_short = match path {
                        "/p/brass-lamp" => "https://schema.org/LimitedAvailability",
                        _ => "Only 2 left",
                    };
                    assert!(html.contains(running_short), "{path}");
                }
            }
        }
    }
}

#[tokio::test]
async fn an_edit_to_a_products_images_words_price_or_name_drops_only_the_pages_it_touches() {
    let (app, lamp) = shop_with_lamp_and_rug().await;
    let paths = [
        "/p/brass-lamp",
        "/p/wool-rug",
        "/c/lamps",
        "/c/rugs",
        "/c/rugs?sort=price_asc",
        "/c/rugs?sort=name",
        "/products",
        "/products?q=wool",
    ];
    let keep_all = async || {
        for path in paths {
            shared_page(&app, path).await;
            page(&app, path).await;
        }
    };
    let rename_unseen =
        async |round: u32| rename_unseen(&app, &format!("'Renamed {round} ' || slug")).await;
    let loaded_again = async |round: u32| {
        let mut loaded = Vec::new();
        for path in paths {
            let (_, shared) = shared_page(&app, path).await;
            let own = page(&app, path).await;
            let marked = format!("Renamed {round} ");
            assert_eq!(shared.contains(&marked), own.contains(&marked), "{path}");
            if shared.contains(&marked) {
                loaded.push(path);
            }
        }
        loaded
    };

    // The lamp's search description: only the pages showing the lamp.
    keep_all().await;
    rename_unseen(1).await;
    run_sql(
        &app,
        &["UPDATE products SET seo_description = 'A lamp of brass.' WHERE slug = 'brass-lamp'"],
    )
    .await;
    assert_eq!(
        loaded_again(1).await,
        ["/p/brass-lamp", "/c/lamps", "/products"]
    );

    // An image of the rug: only the pages showing the rug.
    keep_all().await;
    rename_unseen(2).await;
    run_sql(
        &app,
        &["INSERT INTO product_images (product_id, position, path, alt, width, height)
           SELECT id, 0, 'ab/cd.jpg', 'A rolled rug', 640, 480 FROM products WHERE slug = 'wool-rug'"],
    )
    .await;
    assert_eq!(
        loaded_again(2).await,
        [
            "/p/wool-rug",
            "/c/rugs",
            "/c/rugs?sort=price_asc",
            "/c/rugs?sort=name",
            "/products",
            "/products?q=wool"
        ]
    );

    // The lamp's description holds words a search finds: the pages showing it, and every search.
    keep_all().await;
    rename_unseen(3).await;
    run_sql(
        &app,
        &["UPDATE products SET description = 'Brass, and wool felt underneath.' WHERE slug = 'brass-lamp'"],
    )
    .await;
    assert_eq!(
        loaded_again(3).await,
        ["/p/brass-lamp", "/c/lamps", "/products", "/products?q=wool"]
    );
    let (_, found) = shared_page(&app, "/products?q=wool").await;
    assert!(
        found.contains("/p/brass-lamp"),
        "the search finds the new words"
    );

    // The lamp's price: the pages showing it, and those that prices order or count.
    keep_all().await;
    rename_unseen(4).await;
    let mut tx = app.db.begin().await.unwrap();
    repo::set_variant_price(&mut tx, lamp, Money::new(1990, Currency::EUR))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        loaded_again(4).await,
        [
            "/p/brass-lamp",
            "/c/lamps",
            "/c/rugs?sort=price_asc",
            "/products",
            "/products?q=wool"
        ]
    );
    assert!(page(&app, "/p/brass-lamp").await.contains("€19.90"));

    // The lamp's name: the pages showing it, every search, and the listings ordered by name.
    keep_all().await;
    rename_unseen(5).await;
    run_sql(
        &app,
        &["UPDATE products SET name = 'Renamed 5 Brass lamp' WHERE slug = 'brass-lamp'"],
    )
    .await;
    assert_eq!(
        loaded_again(5).await,
        [
            "/p/brass-lamp",
            "/c/lamps",
            "/c/rugs?sort=name",
            "/products",
            "/products?q=wool"
        ]
    );
}

/// Pages the shared page cache answers cost nothing; each one rendered for a client, and each call
/// of a reading server function, counts against its render limit, so made-up searches run out
/// while the shared pages stay open to it.
#[tokio::test]
async fn pages_rendered_for_a_client_are_limited_and_shared_pages_are_not() {
    let (app, _) = with_one_product(
        TestApp::spawn_with_settings(|settings| settings.limits.render_requests = 4).await,
    )
    .await;
    let get = async |path: &str| {
        app.client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap()
    };
    // A server function that reads is a GET and costs what a page does; it cannot be posted.
    let read = |q: &str| {
        let arguments = FetchProducts {
            params: ListingParams {
                q: Some(q.to_owned()),
                ..ListingParams::default()
            },
        };
        format!(
            "{}?{}",
            FetchProducts::PATH,
            serde_qs::to_string(&arguments).unwrap()
        )
    };
    let posted = app
        .client
        .post(app.url(&read("brass")))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get("/products").await.status(), StatusCode::OK);
    for n in 0..2 {
        let search = format!("/products?q=brass{n}");
        assert_eq!(get(&search).await.status(), StatusCode::OK, "{search}");
    }
    assert_eq!(get(&read("brass")).await.status(), StatusCode::OK);
    let refused = get("/products?q=one+too+many").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        get(&read("brass")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        get("/no/such/page").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a made-up address is rendered too, so it counts"
    );
    for _ in 0..20 {
        assert_eq!(
            get("/products").await.status(),
            StatusCode::OK,
            "answered from the shared pages, so not counted"
        );
    }
}

/// A client asking for `path` with this `Accept-Encoding` (none at all for `None`): the status, the
/// `Content-Encoding` it got and the bytes as they came.
async fn fetch_encoded(
    app: &TestApp,
    path: &str,
    accept: Option<&str>,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let mut request = client.get(app.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.unwrap();
    let encoding = response
        .headers()
        .get("content-encoding")
        .map(|value| value.to_str().unwrap().to_owned());
    (
        response.status(),
        encoding,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn a_shared_page_is_served_to_every_client_with_the_database_gone() {
    // No periodic read of the version during the test: only a noticed change would cause one.
    let (app, _) = with_one_product(
        TestApp::spawn_with_settings(|settings| settings.catalog.version_recheck_secs = 3600).await,
    )
    .await;
    let accepts = [Some("gzip, deflate, br, zstd"), Some("gzip"), None];
    let mut kept = Vec::new();
    for accept in accepts {
        // The first request renders the page; the second is answered from memory.
        fetch_encoded(&app, "/products", accept).await;
        let (status, encoding, body) = fetch_encoded(&app, "/products", accept).await;
        assert_eq!(status, StatusCode::OK);
        kept.push((encoding, body));
    }
    assert_eq!(kept[0].0.as_deref(), Some("br"));
    assert_eq!(kept[1].0.as_deref(), Some("gzip"));
    assert_eq!(kept[2].0, None, "a client that accepts no compression");
    let plain = String::from_utf8(kept[2].1.clone()).unwrap();
    assert!(plain.contains("Brass lamp") && plain.contains("€12.50"));

    app.db.close().await;
    for (accept, (encoding, body)) in accepts.into_iter().zip(&kept) {
        let (status, now_encoding, now) = fetch_encoded(&app, "/products", accept).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}: served without a query");
        assert_eq!((&now_encoding, &now), (encoding, body), "{accept:?}");
    }
    let (status, _, _) = fetch_encoded(&app, "/p/brass-lamp", None).await;
    assert_ne!(
        status,
        StatusCode::OK,
        "a page not kept yet needs the database, which is gone"
    );
}

#[tokio::test]
async fn a_change_made_through_one_shop_process_shows_on_the_pages_of_another() {
    let recheck_never = |settings: &mut emporium::server::config::Settings| {
        settings.catalog.version_recheck_secs = 3600
    };
    let (first, variant) =
        with_one_product(TestApp::spawn_with_settings(recheck_never).await).await;
    if first.db.engine() == emporium::server::db::Engine::Sqlite {
        // Several shop processes share a database only on PostgreSQL; on SQLite a change made
        // around the shop shows within `version_recheck_secs`.
        return;
    }
    let mut settings = crate::support::settings();
    recheck_never(&mut settings);
    let second = TestApp::spawn_with(crate::support::Options {
        database_url: Some(first.database_url.clone()),
        settings: Some(settings),
        ..Default::default()
    })
    .await;
    let mut announced = second.db.announcements();
    for app in [&first, &second] {
        let (_, html) = shared_page(app, "/products").await;
        assert!(html.contains("€12.50"));
        assert!(page(app, "/p/brass-lamp").await.contains("€12.50"));
    }

    let mut tx = first.db.begin().await.unwrap();
    repo::set_variant_price(&mut tx, variant, Money::new(1875, Currency::EUR))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(shared_page(&first, "/products").await.1.contains("€18.75"));

    // The second process learns of it from the database's announcement, without a read of its own
    // in between: each time one arrives, its pages are looked at again.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (_, shared) = shared_page(&second, "/products").await;
        let own = page(&second, "/p/brass-lamp").await;
        if shared.contains("€18.75") && own.contains("€18.75") {
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, announced.changed())
                .await
                .is_ok_and(|changed| changed.is_ok()),
            "the second process still shows the old price after 60 s"
        );
    }
}
