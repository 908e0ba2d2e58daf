//! Stock in the back office over HTTP: adjustments with a reason land in the ledger and the audit
//! log with who made them, show in the shop at once, add up exactly when made at once, and are
//! refused with a clear message and nothing written when they cannot be made.

use crate::support::browser::signed_in_as;
use crate::support::orders::{count, stock};
use crate::support::{BRASS_LAMP, SimpleProduct, TestApp, add_product, execute};
use emporium::accounts::Role;
use emporium::manage::stock::api::{AdjustStock, FetchVariantStock, ListStock};
use emporium::manage::stock::{StockList, VariantStock};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn shop() -> (TestApp, i64) {
    let app = TestApp::spawn_unthrottled().await;
    let variant = add_product(&app.db, &BRASS_LAMP).await;
    (app, variant)
}

async fn adjust(
    app: &TestApp,
    client: &reqwest::Client,
    variant: i64,
    delta: &str,
    reason: &str,
    note: &str,
) -> (StatusCode, String) {
    let variant = variant.to_string();
    let form = [
        ("variant_id", variant.as_str()),
        ("delta", delta),
        ("reason", reason),
        ("note", note),
    ];
    app.submit(client, AdjustStock::PATH, &form).await
}

async fn read<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    arguments: &impl serde::Serialize,
) -> T {
    let (status, answer) = app.read(client, path, arguments).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    answer.expect("the answer reads")
}

#[tokio::test]
async fn an_adjustment_lands_in_the_ledger_and_audit_log_and_shows_in_the_shop_at_once() {
    let (app, lamp) = shop().await;
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    // The shop's pages are kept while nothing changes.
    let shown = async |path: &str| app.get(path).await.text().await.unwrap();
    assert!(
        shown("/p/brass-lamp")
            .await
            .contains("https://schema.org/InStock")
    );
    assert!(!shown("/products").await.contains("Only 4 left"));

    let (status, body) = adjust(
        &app,
        &support,
        lamp,
        "-16",
        "damaged",
        "water in the stockroom",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stock(&app, lamp).await, (4, 0, true));
    assert!(
        shown("/products").await.contains("Only 4 left"),
        "the next page shows it"
    );
    assert!(
        shown("/p/brass-lamp")
            .await
            .contains("https://schema.org/LimitedAvailability")
    );

    let (status, _) = adjust(&app, &support, lamp, "+30", "received", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stock(&app, lamp).await, (34, 0, true));

    let view: VariantStock = read(
        &app,
        &support,
        FetchVariantStock::PATH,
        &FetchVariantStock { variant_id: lamp },
    )
    .await;
    assert_eq!(view.row.on_hand, 34);
    assert!(view.can_adjust);
    let ledger: Vec<_> = view
        .ledger
        .iter()
        .map(|entry| {
            (
                entry.delta,
                entry.reason.as_str(),
                entry.note.as_str(),
                entry.actor.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        ledger,
        [
            (30, "Goods received", "", Some("Someone")),
            (
                -16,
                "Damaged or lost",
                "water in the stockroom",
                Some("Someone")
            ),
            (20, "Opening stock", "opening stock", None),
        ]
    );
    let audited: Vec<(String, String, String)> = emporium::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT action, entity_type, after_data FROM audit_log ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(audited.len(), 2);
    assert!(
        audited
            .iter()
            .all(|(action, entity, _)| action == "adjust_stock" && entity == "variant")
    );
    assert!(audited[1].2.contains(r#""on_hand":34"#), "{:?}", audited[1]);
}

#[tokio::test]
async fn a_bad_adjustment_gets_a_clear_message_and_changes_nothing() {
    let (app, lamp) = shop().await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    // Four are held by unpaid orders.
    execute(
        &app.db,
        &format!("UPDATE inventory SET reserved = 4 WHERE variant_id = {lamp}"),
    )
    .await;
    let cases = [
        (
            lamp,
            "0",
            "count",
            "",
            StatusCode::BAD_REQUEST,
            "changes nothing",
        ),
        (
            lamp,
            "ten",
            "count",
            "",
            StatusCode::BAD_REQUEST,
            "whole number",
        ),
        (
            lamp,
            "2.5",
            "count",
            "",
            StatusCode::BAD_REQUEST,
            "whole number",
        ),
        (
            lamp,
            "5000000",
            "received",
            "",
            StatusCode::BAD_REQUEST,
            "at most",
        ),
        (lamp, "5", "sale", "", StatusCode::BAD_REQUEST, "reason"),
        (lamp, "5", "", "", StatusCode::BAD_REQUEST, "reason"),
        (
            lamp,
            "5",
            "received",
            "two\nlines",
            StatusCode::BAD_REQUEST,
            "one line",
        ),
        (
            lamp,
            "-17",
            "damaged",
            "",
            StatusCode::CONFLICT,
            "4 of LAMP-1 are reserved for unpaid orders, so at most 16 can be taken away",
        ),
        (
            lamp,
            "-400",
            "count",
            "",
            StatusCode::CONFLICT,
            "at most 16",
        ),
        (
            999_999,
            "5",
            "received",
            "",
            StatusCode::NOT_FOUND,
            "That variant",
        ),
    ];
    for (variant, delta, reason, note, expected, says) in cases {
        let (status, body) = adjust(&app, &manager, variant, delta, reason, note).await;
        assert_eq!(status, expected, "{delta} {reason}: {body}");
        assert!(body.contains(says), "{delta} {reason}: {body}");
    }
    assert_eq!(stock(&app, lamp).await, (20, 4, true));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stock_movements").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, 0);

    // Taking away exactly what is not reserved is allowed.
    let (status, body) = adjust(&app, &manager, lamp, "-16", "count", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stock(&app, lamp).await, (4, 4, true));
    execute(
        &app.db,
        &format!("UPDATE inventory SET reserved = 0 WHERE variant_id = {lamp}"),
    )
    .await;
    let (status, body) = adjust(&app, &manager, lamp, "-5", "count", "").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("Only 4 of LAMP-1 are on hand, so at most 4 can be taken away"),
        "{body}"
    );
}

#[tokio::test]
async fn twenty_adjustments_at_once_add_up_exactly() {
    let (app, lamp) = shop().await;
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    let deltas: Vec<i32> = (0..20).map(|n| if n % 4 == 0 { -3 } else { n }).collect();
    let mut adjusting = tokio::task::JoinSet::new();
    for delta in &deltas {
        let request = support.post(app.url(AdjustStock::PATH)).form(&[
            ("variant_id", lamp.to_string()),
            ("delta", delta.to_string()),
            ("reason", "correction".to_owned()),
        ]);
        adjusting.spawn(async move { request.send().await.unwrap().status() });
    }
    assert!(
        adjusting
            .join_all()
            .await
            .iter()
            .all(|status| *status == StatusCode::OK)
    );
    let expected = 20 + i64::from(deltas.iter().sum::<i32>());
    assert_eq!(stock(&app, lamp).await, (expected, 0, true));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM stock_movements").await,
        21
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, 20);
}

#[tokio::test]
async fn the_stock_list_finds_by_name_or_sku_shows_what_runs_low_and_pages() {
    let (app, lamp) = shop().await;
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    for n in 0..55 {
        add_product(
            &app.db,
            &SimpleProduct {
                category_slug: &format!("shelf-{n}"),
                slug: &format!("mug-{n:02}"),
                name: &format!("Mug {n:02}"),
                sku: &format!("MUG_{n:02}"),
                price_minor: 900,
                on_hand: n,
                low_stock_threshold: 3,
            },
        )
        .await;
    }
    let list = |q: Option<&str>, show: &str, after: Option<i64>| {
        let arguments = ListStock {
            q: q.map(str::to_owned),
            show: Some(show.to_owned()),
            after,
        };
        let (app, support) = (&app, &support);
        async move { read::<StockList>(app, support, ListStock::PATH, &arguments).await }
    };
    let skus = |list: &StockList| {
        list.rows
            .iter()
            .map(|row| row.sku.clone())
            .collect::<Vec<_>>()
    };

    let first = list(None, "all", None).await;
    assert_eq!(first.rows.len(), emporium::manage::stock::STOCK_PAGE);
    assert_eq!(
        first.rows[0].sku, "LAMP-1",
        "by product name: Brass lamp first"
    );
    let second = list(None, "all", first.next).await;
    assert_eq!(second.rows.len(), 56 - emporium::manage::stock::STOCK_PAGE);
    assert_eq!(second.next, None);
    assert_eq!(second.rows.last().unwrap().sku, "MUG_54");

    assert_eq!(skus(&list(Some("LAMP"), "all", None).await), ["LAMP-1"]);
    assert_eq!(skus(&list(Some("brass"), "all", None).await), ["LAMP-1"]);
    // A wildcard is searched for as itself: every mug's SKU has an underscore, the lamp's not.
    assert_eq!(list(Some("_"), "all", None).await.rows.len(), 50);
    assert_eq!(
        skus(&list(Some("mug_0"), "low", None).await),
        ["MUG_00", "MUG_01", "MUG_02", "MUG_03"]
    );
    assert_eq!(skus(&list(None, "out", None).await), ["MUG_00"]);

    execute(
        &app.db,
        &format!("UPDATE inventory SET reserved = 20 WHERE variant_id = {lamp}"),
    )
    .await;
    let out = list(None, "out", None).await;
    assert_eq!(skus(&out), ["LAMP-1", "MUG_00"], "nothing left to sell");
    assert_eq!(out.rows[0].available(), 0);
}

#[tokio::test]
async fn staff_writes_are_counted_apart_from_the_shoppers_and_against_a_limit_of_their_own() {
    use emporium::cart::api::AddToCart;
    let app = TestApp::spawn_with_settings(|settings| {
        settings.limits.write_requests = 3;
        settings.limits.staff_write_requests = 5;
    })
    .await;
    let lamp = add_product(&app.db, &BRASS_LAMP).await;
    // Signing in is an authentication request, counted apart from both.
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    for n in 0..5 {
        let (status, body) = adjust(&app, &support, lamp, "1", "count", "").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "adjustment {n}, past the shoppers' 3: {body}"
        );
    }
    let (status, _) = adjust(&app, &support, lamp, "1", "count", "").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the staff's own limit"
    );
    // A shopper behind the same address still has the shoppers' whole allowance.
    let shopper = reqwest::Client::new();
    for n in 0..3 {
        let status = shopper
            .post(app.url(AddToCart::PATH))
            .form(&[("variant_id", lamp.to_string()), ("quantity", "1".into())])
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK, "shopper's write {n}");
    }
}
