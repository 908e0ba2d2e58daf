//! Categories in the back office over HTTP: created, placed, reordered, hidden from the shop and
//! deleted once their products have somewhere to go, each change audited.

use crate::support::browser::signed_in_as;
use crate::support::orders::count;
use crate::support::{BRASS_LAMP, SimpleProduct, TestApp, add_product};
use emporium::accounts::Role;
use emporium::manage::categories::api::{DeleteCategory, MoveCategory, SaveCategory};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    app.submit(client, path, &form).await
}

async fn category_id(app: &TestApp, slug: &str) -> i64 {
    count(
        app,
        &format!("SELECT id FROM categories WHERE slug = '{slug}'"),
    )
    .await
}

#[tokio::test]
async fn a_manager_arranges_hides_and_deletes_categories_and_the_shop_follows() {
    let app = TestApp::spawn_unthrottled().await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    add_product(
        &app.db,
        &SimpleProduct {
            category_slug: "lighting",
            ..BRASS_LAMP
        },
    )
    .await;

    // A subcategory under Lighting, and another top-level category.
    let (status, body) = post(
        &app,
        &manager,
        SaveCategory::PATH,
        &[
            ("category[name]", "Desk Lamps"),
            ("category[parent]", "lighting"),
            ("category[description]", "Lamps for desks."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = post(
        &app,
        &manager,
        SaveCategory::PATH,
        &[("category[name]", "Garden")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let desk = category_id(&app, "desk-lamps").await;
    let lighting = category_id(&app, "lighting").await;
    let shown = async |path: &str| app.get(path).await;
    assert_eq!(shown("/c/desk-lamps").await.status(), StatusCode::OK);
    assert!(shown("/").await.text().await.unwrap().contains("Garden"));

    // Two levels only, no loops, no taken addresses.
    for (fields, expected) in [
        (
            vec![
                ("category[name]", "Reading"),
                ("category[parent]", "desk-lamps"),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("category[name]", "Again"), ("category[slug]", "garden")],
            StatusCode::CONFLICT,
        ),
        (
            vec![
                ("category[name]", "Orphan"),
                ("category[parent]", "nowhere"),
            ],
            StatusCode::NOT_FOUND,
        ),
        (vec![("category[name]", "")], StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = post(&app, &manager, SaveCategory::PATH, &fields).await;
        assert_eq!(status, expected, "{fields:?}: {body}");
    }
    let id = lighting.to_string();
    let form = [
        ("id", id.as_str()),
        ("category[name]", "Lighting"),
        ("category[parent]", "garden"),
    ];
    let (status, body) = post(&app, &manager, SaveCategory::PATH, &form).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "it has a subcategory: {body}"
    );

    // Reorder the top level: Garden was last.
    let garden = category_id(&app, "garden").await.to_string();
    let (status, body) = post(
        &app,
        &manager,
        MoveCategory::PATH,
        &[("id", &garden), ("direction", "up")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tops: Vec<String> = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT slug FROM categories WHERE parent_id IS NULL ORDER BY position, name"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(tops, ["garden", "lighting"]);
    assert_eq!(
        post(
            &app,
            &manager,
            MoveCategory::PATH,
            &[("id", &garden), ("direction", "up")]
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // Hidden: out of the menus and its page (and its subcategories') gone; products stay findable.
    let (status, body) = post(
        &app,
        &manager,
        SaveCategory::PATH,
        &[
            ("id", &id),
            ("category[name]", "Lighting"),
            ("category[slug]", "lighting"),
            ("category[hidden]", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(shown("/c/lighting").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(shown("/c/desk-lamps").await.status(), StatusCode::NOT_FOUND);
    assert!(
        !shown("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("/c/lighting")
    );
    assert!(
        !shown("/sitemaps/pages.xml")
            .await
            .text()
            .await
            .unwrap()
            .contains("/c/lighting")
    );
    assert!(
        shown("/products?q=brass")
            .await
            .text()
            .await
            .unwrap()
            .contains("Brass lamp")
    );

    // Deleting: subcategories first, then its products need a home.
    let desk_id = desk.to_string();
    let (status, body) = post(&app, &manager, DeleteCategory::PATH, &[("id", &id)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("subcategories"), "{body}");
    assert_eq!(
        post(&app, &manager, DeleteCategory::PATH, &[("id", &desk_id)])
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = post(&app, &manager, DeleteCategory::PATH, &[("id", &id)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Choose where its 1 products go"), "{body}");
    assert_eq!(
        post(
            &app,
            &manager,
            DeleteCategory::PATH,
            &[("id", &id), ("move_to", "lighting")]
        )
        .await
        .0,
        StatusCode::NOT_FOUND,
        "not into itself"
    );
    let (status, body) = post(
        &app,
        &manager,
        DeleteCategory::PATH,
        &[("id", &id), ("move_to", "garden")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        shown("/c/garden")
            .await
            .text()
            .await
            .unwrap()
            .contains("Brass lamp")
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM categories").await, 1);
    let actions: Vec<String> = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity_type = 'category' ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    // A new address leaves the old one leading to it; nobody else may take the old one.
    let garden = category_id(&app, "garden").await.to_string();
    let (status, body) = post(
        &app,
        &manager,
        SaveCategory::PATH,
        &[
            ("id", &garden),
            ("category[name]", "Garden"),
            ("category[slug]", "outdoor-garden"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let moved = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/c/garden?sort=price_asc"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
    // The query as the shop writes its own addresses.
    assert_eq!(
        moved.headers()["location"],
        "/c/outdoor-garden?sort=price%5Fasc"
    );
    let (status, _) = post(
        &app,
        &manager,
        SaveCategory::PATH,
        &[("category[name]", "Garden"), ("category[slug]", "garden")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        actions,
        [
            "create_category",
            "create_category",
            "move_category",
            "update_category",
            "delete_category",
            "delete_category"
        ]
    );
}
