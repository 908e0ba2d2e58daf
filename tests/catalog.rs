//! The product listing: keyset pagination, sorts and filters, on the engine under test.

use crate::support::{Options, TestApp, settings};
use emporium::catalog::ProductCard;
use emporium::catalog::listing::{ListingParams, ListingQuery, PAGE_SIZE, Sort};
use emporium::catalog::repo;
use emporium::money::Currency;
use emporium::on_db;
use emporium::server::demo;
use reqwest::StatusCode;
use std::collections::HashSet;

async fn shop_with_products(extra: usize) -> TestApp {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    demo::generate_catalog(&app.db, &app.media_dir, &settings(), extra)
        .await
        .unwrap();
    app
}

pub fn query(params: ListingParams) -> ListingQuery {
    ListingQuery::parse(&params, Currency::EUR).expect("valid listing parameters")
}

/// Follows `next` from the first page to the last.
pub async fn walk(app: &TestApp, params: ListingParams) -> Vec<ProductCard> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = repo::list_products(&app.db, &query(params.with_after(after)))
            .await
            .unwrap();
        assert!(page.products.len() <= PAGE_SIZE);
        seen.extend(page.products);
        match page.next {
            Some(next) => after = Some(next),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn every_sort_pages_through_each_product_once_in_order() {
    let app = shop_with_products(150).await;
    let total = repo::count_products(&app.db).await.unwrap() as usize;
    let created: Vec<(i64, String)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, CAST(created_at AS TEXT) FROM products"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(created.len(), total);

    // Best match needs search text; tests/search.rs pages through it.
    for sort in Sort::ALL.into_iter().filter(|sort| !sort.needs_search()) {
        let listed = walk(
            &app,
            ListingParams {
                sort: Some(sort.param().into()),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(listed.len(), total, "{sort:?} lists every product");
        let ids: HashSet<i64> = listed.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), total, "{sort:?} lists none twice");
        for pair in listed.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let in_order = match sort {
                Sort::PriceAsc => (a.price.minor, a.id) < (b.price.minor, b.id),
                Sort::PriceDesc => (a.price.minor, a.id) > (b.price.minor, b.id),
                Sort::Name => (a.name.as_bytes(), a.id) < (b.name.as_bytes(), b.id),
                Sort::Newest | Sort::Relevance => true,
            };
            assert!(in_order, "{sort:?}: {} before {}", a.name, b.name);
        }
    }
}

#[tokio::test]
async fn newest_first_is_stable_while_products_are_added() {
    let app = shop_with_products(30).await;
    let first = repo::list_products(&app.db, &query(ListingParams::default()))
        .await
        .unwrap();
    assert_eq!(first.products.len(), PAGE_SIZE);
    // A product added now is newer than everything on the first page...
    demo::generate_catalog(&app.db, &app.media_dir, &settings(), 5)
        .await
        .unwrap();
    let second = repo::list_products(
        &app.db,
        &query(ListingParams {
            after: first.next.clone(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    // ...so the second page neither repeats the first nor skips what followed it.
    let first_ids: HashSet<i64> = first.products.iter().map(|p| p.id).collect();
    assert!(second.products.iter().all(|p| !first_ids.contains(&p.id)));
    let everything: Vec<i64> = walk(&app, ListingParams::default())
        .await
        .iter()
        .map(|p| p.id)
        .collect();
    let last_of_first = first.products.last().map(|p| p.id).unwrap();
    let position = everything
        .iter()
        .position(|id| *id == last_of_first)
        .unwrap();
    let expected = &everything[position + 1..position + 1 + second.products.len()];
    assert_eq!(
        second.products.iter().map(|p| p.id).collect::<Vec<_>>(),
        expected
    );
}

#[tokio::test]
async fn filters_narrow_the_listing() {
    let app = shop_with_products(0).await;
    let everything = walk(&app, ListingParams::default()).await;

    let kitchen = walk(
        &app,
        ListingParams {
            category: vec!["kitchen".into()],
            ..Default::default()
        },
    )
    .await;
    let cookware = walk(
        &app,
        ListingParams {
            category: vec!["cookware".into()],
            ..Default::default()
        },
    )
    .await;
    assert!(
        !cookware.is_empty() && kitchen.len() > cookware.len(),
        "a category includes its subcategories"
    );
    let kitchen_ids: HashSet<i64> = kitchen.iter().map(|p| p.id).collect();
    assert!(cookware.iter().all(|p| kitchen_ids.contains(&p.id)));

    let priced = walk(
        &app,
        ListingParams {
            min_price: Some("20".into()),
            max_price: Some("50.50".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(!priced.is_empty() && priced.len() < everything.len());
    assert!(
        priced
            .iter()
            .all(|p| (2000..=5050).contains(&p.price.minor))
    );
    let expected = everything
        .iter()
        .filter(|p| (2000..=5050).contains(&p.price.minor))
        .count();
    assert_eq!(priced.len(), expected);

    let in_stock = walk(
        &app,
        ListingParams {
            in_stock: Some("true".into()),
            ..Default::default()
        },
    )
    .await;
    let sold_out: HashSet<i64> = everything
        .iter()
        .filter(|p| p.availability == emporium::catalog::Availability::SoldOut)
        .map(|p| p.id)
        .collect();
    assert!(!sold_out.is_empty());
    assert_eq!(in_stock.len(), everything.len() - sold_out.len());
    assert!(in_stock.iter().all(|p| !sold_out.contains(&p.id)));

    let mugs = walk(
        &app,
        ListingParams {
            q: Some("MUG".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(!mugs.is_empty());
    assert!(mugs.iter().all(|p| p.name.to_lowercase().contains("mug")));
    assert!(
        walk(
            &app,
            ListingParams {
                q: Some("%".into()),
                ..Default::default()
            }
        )
        .await
        .is_empty(),
        "wildcards are literal"
    );
    assert!(
        walk(
            &app,
            ListingParams {
                category: vec!["no-such-category".into()],
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn listing_pages_work_over_http_and_refuse_bad_input_clearly() {
    let app = shop_with_products(0).await;
    let html = app
        .get("/products?sort=price_asc")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("data-testid=\"product-card\"").count(),
        PAGE_SIZE
    );
    assert!(html.contains("rel=\"next\""), "a next-page link");

    let bad = app.get("/products?sort=cheapest").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("is not a way to sort"));
    let bad = app.get("/products?min_price=lots").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let category = app.get("/c/kitchen").await;
    assert_eq!(category.status(), StatusCode::OK);
    let html = category.text().await.unwrap();
    assert!(html.contains("aria-label=\"Breadcrumb\"") && html.contains("href=\"/c/cookware\""));
    assert_eq!(
        app.get("/c/no-such-category").await.status(),
        StatusCode::NOT_FOUND
    );
}
