//! Demo data: loaded once into an empty shop, real enough to browse, and a large-catalog generator.

use crate::support::{Options, TestApp, settings};
use emporium::catalog::repo;
use emporium::on_db;
use emporium::server::demo;

#[tokio::test]
async fn an_empty_shop_starts_with_a_browsable_demo_catalog() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let db = &app.db;

    let products = repo::count_products(db).await.unwrap();
    assert!(products >= 60, "{products} products");

    let tree = repo::category_tree(db).await.unwrap();
    assert!(tree.len() >= 4, "top-level categories: {}", tree.len());
    assert!(
        tree.iter()
            .all(|top| !top.children.is_empty()
                && top.children.iter().all(|c| c.children.is_empty())),
        "two levels"
    );

    let (described, with_stock, sold_out, variants_per_product): (i64, i64, i64, i64) = on_db!(db, pool => sqlx::query_as(
        "SELECT
            (SELECT COUNT(*) FROM products WHERE length(description) > 80),
            (SELECT COUNT(*) FROM inventory WHERE on_hand > 0),
            (SELECT COUNT(*) FROM inventory WHERE on_hand = 0),
            (SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM product_variants GROUP BY product_id) counts)"
    ).fetch_one(pool).await).unwrap();
    assert_eq!(described, products, "every product has a description");
    assert!(
        with_stock > 0 && sold_out > 0,
        "some in stock, some sold out"
    );
    assert!(variants_per_product >= 3, "some products come in sizes");

    let paths: Vec<String> = on_db!(db, pool => sqlx::query_scalar("SELECT path FROM product_images").fetch_all(pool).await).unwrap();
    let imaged: i64 = on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(DISTINCT product_id) FROM product_images").fetch_one(pool).await).unwrap();
    assert_eq!(imaged, products, "every product has images");
    for path in &paths {
        let svg = std::fs::read_to_string(app.media_dir.join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            svg.starts_with("<svg") && svg.ends_with("</svg>"),
            "{path} is an SVG"
        );
    }

    let hash: String = on_db!(db, pool => sqlx::query_scalar(
        "SELECT u.password_hash FROM users u JOIN roles r ON r.id = u.role_id WHERE u.email = $1 AND r.name = 'manager'"
    ).bind(demo::MANAGER_EMAIL).fetch_one(pool).await).unwrap();
    assert!(
        hash.starts_with("$argon2id$"),
        "the manager's password is hashed with argon2id"
    );
}

#[tokio::test]
async fn demo_data_is_loaded_only_into_an_empty_shop() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let before = repo::count_products(&app.db).await.unwrap();
    let again = demo::load_if_empty(&app.db, &app.media_dir, &settings())
        .await
        .unwrap();
    assert!(again.is_none(), "a second start prints no new password");
    assert_eq!(repo::count_products(&app.db).await.unwrap(), before);
}

#[tokio::test]
async fn demo_data_can_be_switched_off() {
    let app = TestApp::spawn_with(Options {
        demo_data: false,
        ..Options::default()
    })
    .await;
    assert_eq!(repo::count_products(&app.db).await.unwrap(), 0);
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("Featured"), "an empty shop still renders");
}

#[tokio::test]
async fn the_generator_adds_large_catalogs_in_batches() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let before = repo::count_products(&app.db).await.unwrap();
    let added = demo::generate_catalog(&app.db, &app.media_dir, &settings(), 1_234)
        .await
        .unwrap();
    assert_eq!(added, 1_234);
    assert_eq!(repo::count_products(&app.db).await.unwrap(), before + 1_234);
    let distinct_slugs: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(DISTINCT slug) FROM products").fetch_one(pool).await).unwrap();
    assert_eq!(distinct_slugs, before + 1_234);
}
