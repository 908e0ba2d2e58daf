//! The products table of the back office over HTTP: filters, order and paging on both engines, and
//! the actions on selected rows, all or nothing, each change audited and in the shop at once.

use crate::support::browser::{browser, signed_in_as};
use crate::support::orders::count;
use crate::support::{SimpleProduct, TestApp, add_product, execute};
use emporium::accounts::Role;
use emporium::manage::products::api::{FetchProductTable, UpdateProducts};
use emporium::manage::products::{ProductFilters, ProductStatus, ProductStock, ProductTable};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

/// Adds `name` in its own category `shelf`; answers the product's id.
async fn product(app: &TestApp, shelf: &str, name: &str, price_minor: i64, on_hand: i32) -> i64 {
    let slug = name.to_lowercase().replace(' ', "-");
    let variant = add_product(
        &app.db,
        &SimpleProduct {
            category_slug: shelf,
            slug: &slug,
            name,
            sku: &format!("SKU-{}", slug.to_uppercase()),
            price_minor,
            on_hand,
            low_stock_threshold: 3,
        },
    )
    .await;
    emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT product_id FROM product_variants WHERE id = $1"
    ).bind(variant).fetch_one(pool).await)
    .unwrap()
}

async fn table(
    app: &TestApp,
    client: &reqwest::Client,
    filters: ProductFilters,
) -> (StatusCode, Option<ProductTable>) {
    app.read(
        client,
        FetchProductTable::PATH,
        &FetchProductTable { filters },
    )
    .await
}

fn names(table: &ProductTable) -> Vec<&str> {
    table.rows.iter().map(|row| row.name.as_str()).collect()
}

async fn update(
    app: &TestApp,
    client: &reqwest::Client,
    action: &str,
    ids: &[i64],
    category: &str,
) -> (StatusCode, String) {
    let mut form: Vec<(&str, String)> =
        vec![("action", action.into()), ("category", category.into())];
    form.extend(ids.iter().map(|id| ("ids[]", id.to_string())));
    app.submit(client, UpdateProducts::PATH, &form).await
}

#[tokio::test]
async fn the_table_filters_by_name_sku_category_status_and_stock_in_each_order_a_page_at_a_time() {
    let app = TestApp::spawn_unthrottled().await;
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    let lamp = product(&app, "lamps", "Brass lamp", 4500, 20).await;
    product(&app, "mugs", "Clay mug", 1200, 2).await;
    product(&app, "bowls", "Ash bowl", 3000, 0).await;
    execute(
        &app.db,
        &format!("UPDATE products SET status = 'draft' WHERE id = {lamp}"),
    )
    .await;
    let filtered = async |filters: ProductFilters| table(&app, &support, filters).await.1.unwrap();

    let all = filtered(ProductFilters::default()).await;
    assert_eq!(names(&all), ["Ash bowl", "Brass lamp", "Clay mug"]);
    assert!(!all.can_edit, "support reads the catalog only");
    assert_eq!(
        all.rows.iter().map(|row| row.stock).collect::<Vec<_>>(),
        [ProductStock::Out, ProductStock::InStock, ProductStock::Low]
    );
    let by = |field: &str, value: &str| {
        let mut filters = ProductFilters::default();
        let value = Some(value.to_owned());
        match field {
            "q" => filters.q = value,
            "category" => filters.category = value,
            "status" => filters.status = value,
            "stock" => filters.stock = value,
            _ => filters.sort = value,
        }
        filters
    };
    assert_eq!(names(&filtered(by("q", "CLAY")).await), ["Clay mug"]);
    assert_eq!(names(&filtered(by("q", "sku-ash")).await), ["Ash bowl"]);
    assert_eq!(
        names(&filtered(by("category", "lamps")).await),
        ["Brass lamp"]
    );
    assert_eq!(
        names(&filtered(by("status", "draft")).await),
        ["Brass lamp"]
    );
    assert_eq!(names(&filtered(by("stock", "low")).await), ["Clay mug"]);
    assert_eq!(names(&filtered(by("stock", "out")).await), ["Ash bowl"]);
    assert_eq!(
        names(&filtered(by("sort", "price")).await),
        ["Clay mug", "Ash bowl", "Brass lamp"]
    );
    assert_eq!(
        names(&filtered(by("sort", "newest")).await),
        ["Ash bowl", "Clay mug", "Brass lamp"]
    );
    assert_eq!(
        table(&app, &support, by("status", "gone")).await.0,
        StatusCode::BAD_REQUEST
    );

    // Paging in every order sees each product once.
    for n in 0..emporium::manage::products::PRODUCT_PAGE {
        product(
            &app,
            &format!("shelf-{n}"),
            &format!("Jar {n:02}"),
            100 + n as i64,
            5,
        )
        .await;
    }
    for sort in ["name", "newest", "price"] {
        let first = filtered(by("sort", sort)).await;
        assert_eq!(first.rows.len(), emporium::manage::products::PRODUCT_PAGE);
        let rest = filtered(ProductFilters {
            after: first.next,
            ..by("sort", sort)
        })
        .await;
        assert_eq!(rest.next, None);
        let mut seen: Vec<i64> = first
            .rows
            .iter()
            .chain(&rest.rows)
            .map(|row| row.id)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            3 + emporium::manage::products::PRODUCT_PAGE,
            "{sort}"
        );
    }
}

#[tokio::test]
async fn a_manager_publishes_withdraws_archives_and_moves_selected_products_all_or_nothing() {
    let app = TestApp::spawn_unthrottled().await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let lamp = product(&app, "lamps", "Brass lamp", 4500, 20).await;
    let mug = product(&app, "mugs", "Clay mug", 1200, 8).await;
    let in_shop = async |path: &str| app.get(path).await.text().await.unwrap();
    assert!(in_shop("/products").await.contains("Brass lamp"));

    let (status, body) = update(&app, &manager, "withdraw", &[lamp, mug], "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = in_shop("/products").await;
    assert!(
        !shown.contains("Brass lamp") && !shown.contains("Clay mug"),
        "out of the shop at once"
    );
    assert_eq!(
        app.get("/p/brass-lamp").await.status(),
        StatusCode::NOT_FOUND
    );

    let (status, _) = update(&app, &manager, "publish", &[lamp], "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(in_shop("/c/lamps").await.contains("Brass lamp"));
    let (status, _) = update(&app, &manager, "move", &[lamp], "mugs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        in_shop("/c/mugs").await.contains("Brass lamp"),
        "in its new category at once"
    );
    let (status, _) = update(&app, &manager, "archive", &[mug], "").await;
    assert_eq!(status, StatusCode::OK);

    let (_, listed) = table(&app, &manager, ProductFilters::default()).await;
    let listed = listed.unwrap();
    assert!(listed.can_edit);
    let statuses: Vec<_> = listed
        .rows
        .iter()
        .map(|row| (row.name.as_str(), row.status, row.category.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Brass lamp", ProductStatus::Active, "Mugs"),
            ("Clay mug", ProductStatus::Archived, "Mugs")
        ]
    );
    let audited: Vec<(String, String)> = emporium::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT action, entity_id FROM audit_log WHERE entity_type = 'product' ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    let (lamp_id, mug_id) = (lamp.to_string(), mug.to_string());
    assert_eq!(
        audited,
        [
            ("withdraw".to_owned(), lamp_id.clone()),
            ("withdraw".to_owned(), mug_id.clone()),
            ("publish".to_owned(), lamp_id.clone()),
            ("move".to_owned(), lamp_id),
            ("archive".to_owned(), mug_id),
        ]
    );

    // Refusals change nothing at all, even for the rows that could have changed.
    let bare: i64 = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "INSERT INTO products (slug, name, description, category_id, status, price_minor, currency)
         SELECT 'bare', 'Bare', '', category_id, 'draft', 0, 'EUR' FROM products WHERE id = $1 RETURNING id"
    ).bind(lamp).fetch_one(pool).await)
    .unwrap();
    let audit_rows = count(&app, "SELECT COUNT(*) FROM audit_log").await;
    for (action, ids, category, expected, says) in [
        (
            "publish",
            vec![mug, bare],
            "",
            StatusCode::BAD_REQUEST,
            "without variants",
        ),
        (
            "publish",
            vec![],
            "",
            StatusCode::BAD_REQUEST,
            "Select at least one",
        ),
        (
            "publish",
            vec![mug, 999_999],
            "",
            StatusCode::NOT_FOUND,
            "reload",
        ),
        (
            "move",
            vec![mug],
            "",
            StatusCode::BAD_REQUEST,
            "Choose the category",
        ),
        (
            "move",
            vec![mug],
            "no-such-shelf",
            StatusCode::NOT_FOUND,
            "That category",
        ),
        (
            "delete",
            vec![mug],
            "",
            StatusCode::BAD_REQUEST,
            "Choose what to do",
        ),
    ] {
        let (status, body) = update(&app, &manager, action, &ids, category).await;
        assert_eq!(status, expected, "{action} {ids:?}: {body}");
        assert!(body.contains(says), "{action} {ids:?}: {body}");
    }
    let too_many: Vec<i64> = (1..=201).collect();
    assert_eq!(
        update(&app, &manager, "publish", &too_many, "").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log").await,
        audit_rows
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM products WHERE id = {mug} AND status = 'archived'")
        )
        .await,
        1
    );
}

async fn save(
    app: &TestApp,
    client: &reqwest::Client,
    id: Option<i64>,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    use emporium::manage::products::api::SaveProduct;
    let mut form: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| (format!("product[{name}]"), (*value).to_owned()))
        .collect();
    form.extend(id.map(|id| ("id".to_owned(), id.to_string())));
    app.submit(client, SaveProduct::PATH, &form).await
}

#[tokio::test]
async fn a_manager_creates_and_edits_a_product_whose_old_address_leads_to_the_new_one() {
    let app = TestApp::spawn_unthrottled().await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let lamp = product(&app, "lamps", "Brass lamp", 4500, 20).await;
    let fields = [
        ("name", "Crème Brûlée Set"),
        (
            "description",
            "Two **ramekins**.\n\n<script>alert(1)</script>",
        ),
        ("category", "lamps"),
        ("status", "draft"),
    ];
    let (status, body) = save(&app, &manager, None, &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created: i64 = body.parse().unwrap();
    let (slug, status): (String, String) = emporium::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT slug, status FROM products WHERE id = $1"
    ).bind(created).fetch_one(pool).await)
    .unwrap();
    assert_eq!(
        (slug.as_str(), status.as_str()),
        ("creme-brulee-set", "draft")
    );
    assert_eq!(
        app.get("/p/creme-brulee-set").await.status(),
        StatusCode::NOT_FOUND,
        "a draft is not in the shop"
    );

    // Published straight away it would have nothing to sell.
    let mut active = fields;
    active[3] = ("status", "active");
    let (status, body) = save(&app, &manager, Some(created), &active).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // The lamp's page, in Markdown, then under a new address with its own search title.
    let page = app.get("/p/brass-lamp").await.text().await.unwrap();
    assert!(page.contains("<title>Brass lamp"), "the name is the title");
    let edited = [
        ("name", "Brass desk lamp"),
        ("slug", "brass-desk-lamp"),
        (
            "description",
            "## Light\n\nA **warm** light. <img src=x onerror=alert(1)>",
        ),
        ("category", "lamps"),
        ("status", "active"),
        ("seo_title", "Brass desk lamp, hand made"),
        ("seo_description", "A warm brass lamp for the desk."),
    ];
    let (status, body) = save(&app, &manager, Some(lamp), &edited).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let moved = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/p/brass-lamp"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.headers()["location"], "/p/brass-desk-lamp");
    let page = app.get("/p/brass-desk-lamp").await.text().await.unwrap();
    assert!(
        page.contains("<h3>Light</h3>") && page.contains("<strong>warm</strong>"),
        "{page}"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "raw HTML is shown as text"
    );
    assert!(page.contains("<title>Brass desk lamp, hand made"));
    assert!(page.contains(r#"content="A warm brass lamp for the desk.""#));

    // Taken addresses: another product's, and one another product had before.
    let mut taking = fields;
    taking[0] = ("name", "Brass desk lamp");
    assert_eq!(
        save(&app, &manager, Some(created), &taking).await.0,
        StatusCode::CONFLICT
    );
    let mut old = fields.to_vec();
    old.push(("slug", "brass-lamp"));
    let (status, body) = save(&app, &manager, Some(created), &old).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("/p/brass-lamp is taken"), "{body}");
    // The lamp may take its old address back, and the redirect goes.
    let mut back = edited.to_vec();
    back[1] = ("slug", "brass-lamp");
    assert_eq!(
        save(&app, &manager, Some(lamp), &back).await.0,
        StatusCode::OK
    );
    assert_eq!(app.get("/p/brass-lamp").await.status(), StatusCode::OK);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM product_slug_redirects WHERE old_slug = 'brass-lamp'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'product'"
        )
        .await,
        3,
        "created, edited, edited back"
    );

    // Bad fields change nothing.
    for (field, value) in [
        ("name", ""),
        ("slug", "Brass Lamp"),
        ("category", "no-such-shelf"),
        ("status", "live"),
    ] {
        let mut bad = edited.to_vec();
        bad.retain(|(name, _)| *name != field);
        bad.push((field, value));
        let (status, body) = save(&app, &manager, Some(lamp), &bad).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{field}: {status} {body}"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'product'"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn a_product_never_ordered_can_be_deleted_and_an_ordered_one_only_archived() {
    use emporium::manage::products::api::DeleteProduct;
    let app = TestApp::spawn_unthrottled().await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let lamp = product(&app, "lamps", "Brass lamp", 4500, 20).await;
    let mug = product(&app, "mugs", "Clay mug", 1200, 8).await;
    // The mug is in a shopper's order.
    let shopper = browser();
    let variant: i64 = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE product_id = $1"
    ).bind(mug).fetch_one(pool).await)
    .unwrap();
    crate::support::orders::add(&app, &shopper, variant, 1).await;
    let (status, _) = crate::support::orders::place(
        &app,
        &shopper,
        &crate::support::orders::order_form(&crate::support::orders::new_key(), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let delete = async |id: i64| {
        let response = manager
            .post(app.url(DeleteProduct::PATH))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let (status, body) = delete(mug).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("archive it instead"), "{body}");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM products WHERE id = {mug}")
        )
        .await,
        1
    );

    assert_eq!(delete(lamp).await.0, StatusCode::OK);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM products WHERE id = {lamp}")
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM stock_movements m JOIN product_variants v ON v.id = m.variant_id"
        )
        .await,
        1
    );
    assert_eq!(
        app.get("/p/brass-lamp").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(delete(lamp).await.0, StatusCode::NOT_FOUND);
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, String)],
) -> (StatusCode, String) {
    app.submit(client, path, &form).await
}

fn variant_form(
    product: i64,
    variant: Option<i64>,
    fields: &[(&str, &str)],
) -> Vec<(&'static str, String)> {
    let mut form = vec![("product_id", product.to_string())];
    form.extend(variant.map(|id| ("variant_id", id.to_string())));
    for (name, value) in fields {
        let key: &'static str = match *name {
            "sku" => "variant[sku]",
            "title" => "variant[title]",
            "price" => "variant[price]",
            "compare_at" => "variant[compare_at]",
            _ => "variant[low_stock_threshold]",
        };
        form.push((key, (*value).to_owned()));
    }
    form
}

#[tokio::test]
async fn a_manager_adds_orders_reprices_and_removes_variants_and_the_shop_follows() {
    use emporium::manage::products::api::{MoveVariant, RemoveVariant, SaveVariant};
    let app = TestApp::spawn_unthrottled().await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let lamp = product(&app, "lamps", "Brass lamp", 4500, 20).await;
    let original: i64 = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE product_id = $1"
    ).bind(lamp).fetch_one(pool).await)
    .unwrap();
    let page = async || app.get("/p/brass-lamp").await.text().await.unwrap();
    assert!(page().await.contains("€45.00"));

    let large = [
        ("sku", "lamp-large"),
        ("title", "Large"),
        ("price", "39.50"),
        ("compare_at", "49"),
        ("low", "2"),
    ];
    let (status, body) = post(
        &app,
        &manager,
        SaveVariant::PATH,
        &variant_form(lamp, None, &large),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let variants = || async {
        emporium::on_db!(&app.db, pool => sqlx::query_as::<_, (i64, String, i64, Option<i64>, i32)>(
            "SELECT v.id, v.sku, v.price_minor, v.compare_at_minor, i.low_stock_threshold
             FROM product_variants v JOIN inventory i ON i.variant_id = v.id
             WHERE v.product_id = $1 ORDER BY v.position, v.id"
        ).bind(lamp).fetch_all(pool).await)
        .unwrap()
    };
    let listed = variants().await;
    assert_eq!(listed.len(), 2);
    let added = listed[1].0;
    assert_eq!(listed[1].1, "LAMP-LARGE");
    assert_eq!(
        (listed[1].2, listed[1].3, listed[1].4),
        (3950, Some(4900), 2)
    );
    let html = page().await;
    assert!(
        html.contains("From €39.50"),
        "the cheapest variant leads, at once"
    );
    let listing_price: i64 = count(
        &app,
        &format!("SELECT price_minor FROM products WHERE id = {lamp}"),
    )
    .await;
    assert_eq!(listing_price, 3950);

    // Reorder: the new one first.
    let (status, body) = post(
        &app,
        &manager,
        MoveVariant::PATH,
        &[
            ("product_id", lamp.to_string()),
            ("variant_id", added.to_string()),
            ("direction", "up".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        variants().await.iter().map(|v| v.0).collect::<Vec<_>>(),
        [added, original]
    );
    let (status, _) = post(
        &app,
        &manager,
        MoveVariant::PATH,
        &[
            ("product_id", lamp.to_string()),
            ("variant_id", added.to_string()),
            ("direction", "up".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "already first");

    // Reprice the original; a taken SKU and bad fields change nothing.
    let cheaper = [
        ("sku", "SKU-BRASS-LAMP"),
        ("title", "Small"),
        ("price", "29"),
        ("compare_at", ""),
        ("low", ""),
    ];
    let (status, body) = post(
        &app,
        &manager,
        SaveVariant::PATH,
        &variant_form(lamp, Some(original), &cheaper),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(page().await.contains("From €29.00"));
    let audit_rows = count(&app, "SELECT COUNT(*) FROM audit_log").await;
    for (fields, expected) in [
        (
            [
                ("sku", "LAMP-LARGE"),
                ("title", "Small"),
                ("price", "29"),
                ("compare_at", ""),
                ("low", ""),
            ],
            StatusCode::CONFLICT,
        ),
        (
            [
                ("sku", "SKU-BRASS-LAMP"),
                ("title", "Small"),
                ("price", "2.999"),
                ("compare_at", ""),
                ("low", ""),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            [
                ("sku", "SKU-BRASS-LAMP"),
                ("title", "Small"),
                ("price", "29"),
                ("compare_at", "20"),
                ("low", ""),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            [
                ("sku", "SKU BRASS"),
                ("title", "Small"),
                ("price", "29"),
                ("compare_at", ""),
                ("low", ""),
            ],
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = post(
            &app,
            &manager,
            SaveVariant::PATH,
            &variant_form(lamp, Some(original), &fields),
        )
        .await;
        assert_eq!(status, expected, "{fields:?}: {body}");
    }
    // Another product's variant is not reached through this one.
    let mug = product(&app, "mugs", "Clay mug", 1200, 8).await;
    let (status, _) = post(
        &app,
        &manager,
        SaveVariant::PATH,
        &variant_form(mug, Some(original), &cheaper),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log").await,
        audit_rows
    );

    // Removing: the added one goes; the last one of a published product stays.
    let remove = |variant: i64| {
        [
            ("product_id", lamp.to_string()),
            ("variant_id", variant.to_string()),
        ]
    };
    let (status, body) = post(&app, &manager, RemoveVariant::PATH, &remove(added)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(page().await.contains("€29.00") && !page().await.contains("From €"));
    let (status, body) = post(&app, &manager, RemoveVariant::PATH, &remove(original)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(variants().await.len(), 1);
    let actions: Vec<String> = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity_type = 'variant' ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(
        actions,
        [
            "add_variant",
            "move_variant",
            "update_variant",
            "remove_variant"
        ]
    );
}
