//! Likes through their server function and pages, as a browser uses them, on the engine under test.

use crate::support::browser::{PASSWORD, browser, customer, location, page_text, post, sign_in};
use crate::support::{Options, TestApp};
use emporium::accounts::api::SignIn;
use emporium::catalog::api::{FetchProduct, FetchProducts};
use emporium::catalog::likes::LikeProduct;
use emporium::catalog::listing::{Listing, ListingParams};
use emporium::catalog::{Likes, ProductDetail};
use emporium::{in_tx, on_db};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn shop() -> TestApp {
    TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await
}

/// Active products as (id, slug), in id order.
async fn products(app: &TestApp, count: i64) -> Vec<(i64, String)> {
    on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, slug FROM products WHERE status = 'active' ORDER BY id LIMIT $1"
    ).bind(count).fetch_all(pool).await)
    .unwrap()
}

/// Presses the heart on `product_id`, from the page at `from`, as JavaScript does.
pub async fn like(
    app: &TestApp,
    client: &reqwest::Client,
    product_id: i64,
    like: bool,
    from: &str,
) -> reqwest::Response {
    client
        .post(app.url(LikeProduct::PATH))
        .header("referer", app.url(from))
        .form(&[
            ("product_id", product_id.to_string()),
            ("like", like.to_string()),
        ])
        .send()
        .await
        .unwrap()
}

async fn likes_answer(response: reqwest::Response) -> Likes {
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn product_page(app: &TestApp, client: &reqwest::Client, slug: &str) -> ProductDetail {
    let response = client
        .get(app.url(FetchProduct::PATH))
        .query(&[("slug", slug)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn listing(
    app: &TestApp,
    client: &reqwest::Client,
    params: &ListingParams,
) -> (StatusCode, Option<Listing>) {
    let response = client
        .get(format!(
            "{}?{}",
            app.url(FetchProducts::PATH),
            serde_qs::to_string(&FetchProducts {
                params: params.clone()
            })
            .unwrap()
        ))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).ok())
}

fn liked_only() -> ListingParams {
    ListingParams {
        liked: Some("true".into()),
        ..ListingParams::default()
    }
}

#[tokio::test]
async fn each_shopper_likes_once_and_everyone_sees_the_count() {
    let app = shop().await;
    let anonymous = browser();
    // The first product of the listing, which is then served from the catalog cache.
    let (_, newest) = listing(&app, &anonymous, &ListingParams::default()).await;
    let first = newest.unwrap().page.products[0].clone();
    let (mug, mug_slug) = (first.id, first.slug);
    let ada = customer(&app, "ada@example.com").await;
    let bob = customer(&app, "bob@example.com").await;
    let generation = catalog_generation(&app.db).await;

    assert_eq!(
        likes_answer(like(&app, &ada, mug, true, "/").await).await,
        Likes {
            count: 1,
            liked: true
        }
    );
    // Pressing again as JavaScript does after a double click changes nothing.
    assert_eq!(
        likes_answer(like(&app, &ada, mug, true, "/").await).await,
        Likes {
            count: 1,
            liked: true
        }
    );
    assert_eq!(
        likes_answer(like(&app, &bob, mug, true, "/").await).await,
        Likes {
            count: 2,
            liked: true
        }
    );
    assert_eq!(
        product_page(&app, &anonymous, &mug_slug).await.likes,
        Likes {
            count: 2,
            liked: false
        }
    );
    assert_eq!(
        likes_answer(like(&app, &ada, mug, false, "/").await).await,
        Likes {
            count: 1,
            liked: false
        }
    );
    assert_eq!(
        likes_answer(like(&app, &ada, mug, false, "/").await).await,
        Likes {
            count: 1,
            liked: false
        }
    );
    assert_eq!(
        product_page(&app, &bob, &mug_slug).await.likes,
        Likes {
            count: 1,
            liked: true
        }
    );
    assert_eq!(
        product_page(&app, &ada, &mug_slug).await.likes,
        Likes {
            count: 1,
            liked: false
        }
    );
    // The cached listing shows the counts of this moment too.
    let (_, newest) = listing(&app, &anonymous, &ListingParams::default()).await;
    assert_eq!(newest.unwrap().page.products[0].likes.count, 1);
    assert_eq!(
        catalog_generation(&app.db).await,
        generation,
        "a like is not a catalog change"
    );

    // Nonsense changes nothing and says why.
    assert_eq!(
        like(&app, &ada, i64::MAX, true, "/").await.status(),
        StatusCode::NOT_FOUND
    );
    let bad = ada
        .post(app.url(LikeProduct::PATH))
        .form(&[("product_id", mug.to_string()), ("like", "maybe".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let mut tx = app.db.begin().await.unwrap();
    let archived: (i64,) = in_tx!(&mut tx, conn => sqlx::query_as(
        "UPDATE products SET status = 'archived' WHERE id = (SELECT MAX(id) FROM products) RETURNING id"
    ).fetch_one(conn).await)
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        like(&app, &ada, archived.0, true, "/").await.status(),
        StatusCode::NOT_FOUND
    );
    let rows: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM likes")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(rows, 1);

    // Counts follow likes however they go, here by a shopper's whole history being removed.
    on_db!(&app.db, pool => sqlx::query(
        "DELETE FROM likes WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')"
    ).execute(pool).await.map(drop))
    .unwrap();
    assert_eq!(
        product_page(&app, &anonymous, &mug_slug).await.likes.count,
        0
    );
}

#[tokio::test]
async fn a_signed_out_heart_goes_to_sign_in_and_the_like_is_kept() {
    let app = shop().await;
    let [(_, _), (scarf, scarf_slug)] = <[_; 2]>::try_from(products(&app, 2).await).unwrap();
    customer(&app, "ada@example.com").await;
    let visitor = browser();
    let page = format!("/p/{scarf_slug}");

    let response = like(&app, &visitor, scarf, true, &page).await;
    let to = location(&response).expect("sent to sign in");
    let next = leptos_router::params::ParamsMap::from_iter([("next".to_owned(), page.clone())]);
    assert_eq!(to, format!("/account/login{}", next.to_query_string()));
    let rows: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM likes")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(rows, 0, "nothing is liked before signing in");

    // The sign-in page carries `next` into its form; signing in returns there with the like made.
    let signed_in = post(
        &app,
        &visitor,
        SignIn::PATH,
        &[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("next", &page),
        ],
    )
    .await;
    assert_eq!(location(&signed_in).as_deref(), Some(page.as_str()));
    assert_eq!(
        product_page(&app, &visitor, &scarf_slug).await.likes,
        Likes {
            count: 1,
            liked: true
        }
    );
    // The kept like is used once: signing in again later does not bring it back.
    like(&app, &visitor, scarf, false, &page).await;
    let again = browser();
    sign_in(&app, &again, "ada@example.com", PASSWORD).await;
    assert_eq!(product_page(&app, &again, &scarf_slug).await.likes.count, 0);
}

#[tokio::test]
async fn without_javascript_the_heart_posts_and_returns_to_its_page() {
    let app = shop().await;
    let [(mug, mug_slug)] = <[_; 1]>::try_from(products(&app, 1).await).unwrap();
    let ada = customer(&app, "ada@example.com").await;
    let page = "/products?sort=name&after=x~1".to_owned();
    let response = ada
        .post(app.url(LikeProduct::PATH))
        .header("accept", "text/html")
        .header("referer", app.url(&page))
        .form(&[("product_id", mug.to_string()), ("like", "true".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response).as_deref(), Some(page.as_str()));
    let html = page_text(&app, &ada, &format!("/p/{mug_slug}")).await;
    assert!(
        html.contains(r#"aria-pressed="true""#),
        "the heart is filled"
    );
}

#[tokio::test]
async fn the_liked_filter_lists_one_shoppers_likes_and_is_never_shared() {
    let app = shop().await;
    let all = products(&app, 5).await;
    let ada = customer(&app, "ada@example.com").await;
    let bob = customer(&app, "bob@example.com").await;
    for (id, _) in &all[..3] {
        like(&app, &ada, *id, true, "/").await;
    }
    like(&app, &bob, all[4].0, true, "/").await;

    let ids = |listing: Option<Listing>| {
        let mut ids: Vec<i64> = listing
            .unwrap()
            .page
            .products
            .iter()
            .map(|card| {
                assert!(card.likes.liked);
                card.id
            })
            .collect();
        ids.sort();
        ids
    };
    let (status, ada_likes) = listing(&app, &ada, &liked_only()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(ada_likes),
        all[..3].iter().map(|(id, _)| *id).collect::<Vec<_>>()
    );
    let (_, bob_likes) = listing(&app, &bob, &liked_only()).await;
    assert_eq!(ids(bob_likes), vec![all[4].0]);

    // A new like shows at once: this listing is not cached.
    like(&app, &ada, all[3].0, true, "/").await;
    let (_, ada_likes) = listing(&app, &ada, &liked_only()).await;
    assert_eq!(ids(ada_likes).len(), 4);

    // It combines with the other filters and orders.
    let (_, by_price) = listing(
        &app,
        &ada,
        &ListingParams {
            sort: Some("price_desc".into()),
            ..liked_only()
        },
    )
    .await;
    let prices: Vec<i64> = by_price
        .unwrap()
        .page
        .products
        .iter()
        .map(|card| card.price.minor)
        .collect();
    assert_eq!(prices.len(), 4);
    assert!(prices.windows(2).all(|pair| pair[0] >= pair[1]));

    // Signed out, the filter asks for an account; the page sends the visitor to sign in.
    let (status, _) = listing(&app, &browser(), &liked_only()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let page = browser()
        .get(app.url("/products?liked=true"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&page).as_deref(),
        Some("/account/login?next=%2Fproducts%3Fliked%3Dtrue")
    );
    let (status, _) = listing(
        &app,
        &ada,
        &ListingParams {
            liked: Some("sometimes".into()),
            ..ListingParams::default()
        },
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn catalog_generation(db: &emporium::server::db::Db) -> i64 {
    on_db!(db, pool => sqlx::query_scalar("SELECT generation FROM catalog_generation WHERE id = 1")
        .fetch_one(pool)
        .await)
    .unwrap()
}
