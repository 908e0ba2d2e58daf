//! Checkout over HTTP on the engine under test: totals computed on the server, orders placed with
//! their stock reserved all or nothing, refusals that write nothing, promo codes, reservations that
//! expire, and a thousand shoppers racing for ten units.

use crate::support::browser::{browser, page_text};
use crate::support::orders::{
    add, count, new_key, order_form, place, shop_with_lamps, shop_with_lamps_and, stock, with,
    without,
};
use crate::support::{Options, SimpleProduct, TestApp, add_product, execute};
use chrono::{Duration, Utc};
use emporium::checkout::pricing::Discount;
use emporium::checkout::repo::{NewPromo, insert_promo};
use emporium::money::Currency;
use emporium::on_db;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

fn attribute_after<'a>(html: &'a str, marker: &str, attribute: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in the page"));
    let rest = &html[at..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    let end = rest[start..].find('"').unwrap();
    &rest[start..start + end]
}

#[tokio::test]
async fn a_guest_places_an_order_that_holds_its_stock_until_paid() {
    let (app, lamp) = shop_with_lamps(10).await;
    let shopper = browser();
    add(&app, &shopper, lamp, 2).await;

    let page = page_text(&app, &shopper, "/checkout").await;
    // 2 × €12.00, €4.95 delivery, prices including 20 % tax: 2895 / 1.2 = 2412.5, so €4.83 is tax.
    assert!(page.contains("€28.95"), "the total");
    assert!(page.contains("Including tax (20 %)") && page.contains("€4.83"));
    let key = attribute_after(&page, "name=\"checkout[checkout_key]\"", "value").to_owned();
    let seen: i64 = attribute_after(&page, "name=\"checkout[seen_total]\"", "value")
        .parse()
        .unwrap();
    assert_eq!(seen, 2895);

    let (status, location) = place(&app, &shopper, &order_form(&key, Some(seen))).await;
    assert_eq!(status, StatusCode::OK, "{location}");
    let year = Utc::now().format("%Y");
    let prefix = format!("/orders/EM-{year}-000001?key={key}");
    assert_eq!(location, prefix);

    assert_eq!(
        stock(&app, lamp).await,
        (10, 2, true),
        "two reserved, none sold"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE status = 'pending_payment' AND total_minor = 2895 AND tax_minor = 483 AND email = 'shopper@example.com'").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM order_lines WHERE sku = 'LAMP-1' AND quantity = 2 AND unit_price_minor = 1200 AND tax_rate_bp = 2000").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM order_status_history").await,
        1
    );

    let order = shopper.get(app.url(&location)).send().await.unwrap();
    assert_eq!(order.status(), StatusCode::OK);
    let order = order.text().await.unwrap();
    for text in [
        &format!("Order EM-{year}-000001"),
        "Awaiting payment",
        "Brass lamp",
        "€28.95",
        "1 rue de la Paix",
        "Standard delivery",
    ] {
        assert!(order.contains(text), "the order page shows {text}");
    }
    // The cart is emptied when the order is paid, not before.
    let cart = page_text(&app, &shopper, "/cart").await;
    assert!(cart.contains("Brass lamp"));

    // Without the key, or with another, nobody else sees it; no hint that it exists.
    let number = format!("/orders/EM-{year}-000001");
    for path in [number.clone(), format!("{number}?key={}", new_key())] {
        let response = browser().get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn amounts_the_browser_did_not_see_are_refused_and_nothing_is_written() {
    let (app, lamp) = shop_with_lamps(10).await;
    let shopper = browser();
    add(&app, &shopper, lamp, 1).await;

    // A total of one cent: the server prices the order itself and refuses to go on.
    let (status, body) = place(&app, &shopper, &order_form(&new_key(), Some(1))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("the total is now €16.95"), "{body}");
    // A price field the form never had changes nothing either.
    let tampered = with(order_form(&new_key(), Some(1695)), "unit_price", "1");
    let (status, _) = place(&app, &shopper, &tampered).await;
    assert_eq!(status, StatusCode::OK, "unknown fields are ignored");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE total_minor = 1695").await,
        1
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(stock(&app, lamp).await, (10, 1, true));
}

#[tokio::test]
async fn bad_input_gets_a_clear_message_and_writes_nothing() {
    let (app, lamp) = shop_with_lamps(10).await;
    let empty_handed = browser();
    let (status, body) = place(&app, &empty_handed, &order_form(&new_key(), None)).await;
    assert_eq!(
        (status, body.contains("Your cart is empty.")),
        (StatusCode::BAD_REQUEST, true)
    );

    let shopper = browser();
    add(&app, &shopper, lamp, 1).await;
    let key = new_key();
    for (form, message) in [
        (
            with(order_form(&key, None), "email", "not an email"),
            "Enter an email address",
        ),
        (
            with(order_form(&key, None), "country", "US"),
            "Choose a country we deliver to.",
        ),
        (
            with(order_form(&key, None), "shipping", "teleport"),
            "Choose a delivery method.",
        ),
        (
            with(order_form(&key, None), "shipping_address][city", " "),
            "Enter the city.",
        ),
        (
            with(order_form(&key, None), "checkout_key", "short"),
            "out of date",
        ),
        (
            with(order_form(&key, None), "promo", "NOSUCHCODE"),
            "does not exist",
        ),
        (
            with(order_form(&key, None), "seen_total", "a lot"),
            "out of date",
        ),
        (
            with(
                without(order_form(&key, None), "billing_same"),
                "billing_country",
                "France",
            ),
            "two-letter code",
        ),
    ] {
        let (status, body) = place(&app, &shopper, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{message}: {body}");
        assert!(body.contains(message), "{message}: {body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(stock(&app, lamp).await, (10, 0, true));

    execute(&app.db, "UPDATE products SET status = 'archived'").await;
    let (status, body) = place(&app, &shopper, &order_form(&key, None)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("Brass lamp is no longer sold"), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
}

#[tokio::test]
async fn a_line_that_cannot_be_reserved_says_how_many_are_left_and_writes_nothing() {
    let (app, lamp) = shop_with_lamps(10).await;
    let first = browser();
    let second = browser();
    add(&app, &first, lamp, 6).await;
    add(&app, &second, lamp, 6).await;
    let (status, _) = place(&app, &first, &order_form(&new_key(), None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = place(&app, &second, &order_form(&new_key(), None)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("Only 4 left of Brass lamp."), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(stock(&app, lamp).await, (10, 6, true));
}

#[tokio::test]
async fn the_same_form_sent_twice_places_one_order_and_a_newer_checkout_replaces_it() {
    let (app, lamp) = shop_with_lamps(10).await;
    let shopper = browser();
    add(&app, &shopper, lamp, 10).await;
    let key = new_key();
    let first = place(&app, &shopper, &order_form(&key, None)).await;
    let again = place(&app, &shopper, &order_form(&key, None)).await;
    assert_eq!(first.0, StatusCode::OK);
    assert_eq!(first, again, "a double click lands on the same order");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(stock(&app, lamp).await, (10, 10, true));

    // A second tab's checkout of the same cart: the stock held by the first counts as the
    // shopper's own, the first order is cancelled and the stock is held once.
    let (status, second) = place(&app, &shopper, &order_form(&new_key(), None)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second, first.1);
    assert_eq!(stock(&app, lamp).await, (10, 10, true));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM orders WHERE status = 'pending_payment'"
        )
        .await,
        1
    );
    let cancelled = page_text(&app, &shopper, &first.1).await;
    assert!(cancelled.contains("Replaced by a newer checkout"));
}

#[tokio::test]
async fn reservations_that_run_out_release_their_stock_and_cancel_the_order() {
    let (app, lamp) = shop_with_lamps(10).await;
    let shopper = browser();
    add(&app, &shopper, lamp, 3).await;
    let (status, location) = place(&app, &shopper, &order_form(&new_key(), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stock(&app, lamp).await, (10, 3, true));

    app.advance(Duration::minutes(29)).await;
    assert_eq!(
        stock(&app, lamp).await,
        (10, 3, true),
        "held for 30 minutes"
    );
    app.advance(Duration::minutes(2)).await;
    assert_eq!(stock(&app, lamp).await, (10, 0, true));
    let page = page_text(&app, &shopper, &location).await;
    assert!(page.contains("Cancelled") && page.contains("Not paid in time"));
    assert!(!page.contains("Your items are held"));
    // Released once: later runs find nothing more to do.
    app.advance(Duration::hours(1)).await;
    assert_eq!(stock(&app, lamp).await, (10, 0, true));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM order_status_history WHERE to_status = 'cancelled'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn promo_codes_apply_within_their_limits_and_a_cancelled_order_gives_its_use_back() {
    let (app, lamp) = shop_with_lamps(50).await;
    let promo = |code: &str, discount, min, expires, limit| NewPromo {
        code: code.into(),
        discount,
        currency: Currency::EUR,
        min_subtotal_minor: min,
        expires_at: expires,
        usage_limit: limit,
    };
    let yesterday = Some(Utc::now() - Duration::days(1));
    for new in [
        promo("TENOFF", Discount::Percent(10), 0, None, Some(1)),
        promo("FIVER", Discount::Fixed(500), 3000, None, None),
        promo("OLDNEWS", Discount::Percent(50), 0, yesterday, None),
    ] {
        assert!(insert_promo(&app.db, &new).await.unwrap().is_some());
    }
    assert!(
        insert_promo(
            &app.db,
            &promo("TENOFF", Discount::Percent(5), 0, None, None)
        )
        .await
        .unwrap()
        .is_none(),
        "codes are unique"
    );

    let first = browser();
    add(&app, &first, lamp, 2).await;
    let page = page_text(&app, &first, "/checkout?promo=tenoff").await;
    // 2400 less 10 % is 2160, plus 495 delivery.
    assert!(
        page.contains("Code TENOFF applied.") && page.contains("€26.55"),
        "applied"
    );
    let (status, _) = place(
        &app,
        &first,
        &with(order_form(&new_key(), Some(2655)), "promo", "tenoff"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let second = browser();
    add(&app, &second, lamp, 2).await;
    let page = page_text(&app, &second, "/checkout?promo=TENOFF").await;
    assert!(page.contains("The code TENOFF has been used up."));
    assert_eq!(
        attribute_after(&page, "id=\"checkout-promo\"", "value"),
        "TENOFF",
        "kept in the field, to be corrected"
    );
    for (code, refusal) in [
        ("TENOFF", "used up"),
        ("OLDNEWS", "has expired"),
        ("FIVER", "at least €30.00"),
    ] {
        let form = with(order_form(&new_key(), None), "promo", code);
        let (status, body) = place(&app, &second, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {body}");
        assert!(body.contains(refusal), "{code}: {body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);

    app.advance(Duration::hours(1)).await;
    let (status, _) = place(
        &app,
        &second,
        &with(order_form(&new_key(), None), "promo", "TENOFF"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the cancelled order gave its use back"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM orders WHERE promo_code = 'TENOFF' AND discount_minor = 240"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_thousand_shoppers_racing_for_ten_lamps_get_ten_orders_and_nine_hundred_and_ninety_refusals()
 {
    const SHOPPERS: usize = 1000;
    let app =
        TestApp::spawn_with_settings(|settings| settings.limits.write_requests = 100_000).await;
    let (app, lamp) = shop_with_lamps_and(10, app).await;
    let app = std::sync::Arc::new(app);

    // Fill the carts a few at a time: the race is the checkout, not this.
    let filling = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let mut carts = tokio::task::JoinSet::new();
    for _ in 0..SHOPPERS {
        let (app, filling) = (app.clone(), filling.clone());
        carts.spawn(async move {
            let _turn = filling.acquire().await.unwrap();
            let shopper = browser();
            add(&app, &shopper, lamp, 1).await;
            shopper
        });
    }
    let shoppers = carts.join_all().await;

    // Then every one of them places an order at once.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(SHOPPERS));
    let mut checkouts = tokio::task::JoinSet::new();
    for shopper in shoppers {
        let (app, start) = (app.clone(), start.clone());
        checkouts.spawn(async move {
            start.wait().await;
            place(&app, &shopper, &order_form(&new_key(), None)).await
        });
    }
    let outcomes = checkouts.join_all().await;
    let placed = outcomes
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    let sold_out = outcomes
        .iter()
        .filter(|(status, body)| {
            *status == StatusCode::CONFLICT && body.contains("Brass lamp is sold out.")
        })
        .count();
    let other: Vec<_> = outcomes
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK && *status != StatusCode::CONFLICT)
        .take(3)
        .collect();
    assert!(other.is_empty(), "{other:?}");
    assert_eq!((placed, sold_out), (10, SHOPPERS - 10));
    assert_eq!(
        stock(&app, lamp).await,
        (10, 10, true),
        "never more held than there is"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM orders WHERE status = 'pending_payment'"
        )
        .await,
        10
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders").await,
        10,
        "refusals wrote nothing"
    );
}

#[tokio::test]
async fn holding_stock_notes_a_stock_change_only_when_shoppers_would_see_a_difference() {
    let (app, lamp) = shop_with_lamps(10).await;
    let generation = "SELECT generation FROM catalog_generation";
    let stock_version = "SELECT stock_version FROM catalog_generation";
    let (generation_before, before) = (
        count(&app, generation).await,
        count(&app, stock_version).await,
    );
    let listing = || async {
        browser()
            .get(app.url("/products"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(!listing().await.contains("Only"));

    // Three of ten held, then released: seven and ten left are both simply "in stock".
    let shopper = browser();
    add(&app, &shopper, lamp, 3).await;
    assert_eq!(
        place(&app, &shopper, &order_form(&new_key(), None)).await.0,
        StatusCode::OK
    );
    app.advance(Duration::hours(1)).await;
    assert_eq!(stock(&app, lamp).await, (10, 0, true));
    assert_eq!(
        count(&app, stock_version).await,
        before,
        "cached pages stay"
    );

    // Eight held leaves two: the pages must say so at once.
    let other = browser();
    add(&app, &other, lamp, 8).await;
    assert_eq!(
        place(&app, &other, &order_form(&new_key(), None)).await.0,
        StatusCode::OK
    );
    assert!(count(&app, stock_version).await > before);
    assert!(listing().await.contains("Only 2 left"));
    assert_eq!(
        count(&app, generation).await,
        generation_before,
        "stock alone never empties the whole cache"
    );
}

#[tokio::test]
async fn create_promo_makes_codes_the_checkout_takes() {
    let database_url = crate::support::fresh_database_url("promo").await;
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_emporium"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", &database_url)
            .env("DEMO_DATA", "false")
            .arg("create-promo")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, said) = run(&[
        "summer",
        "15%",
        "--min",
        "30",
        "--expires",
        "2099-08-31",
        "--limit",
        "100",
    ]);
    assert!(ok, "{said}");
    assert!(said.contains("promo code SUMMER created"));
    let (ok, said) = run(&["SUMMER", "5.00"]);
    assert!(!ok && said.contains("exists already"), "{said}");
    for bad in [
        &["X", "10%"][..],
        &["WINTER", "150%"],
        &["WINTER", "ten"],
        &["WINTER", "10%", "--limit", "0"],
        &["WINTER", "10%", "--expires", "soon"],
    ] {
        let (ok, said) = run(bad);
        assert!(!ok, "{bad:?} was accepted: {said}");
    }

    let app = TestApp::spawn_with(Options {
        database_url: Some(database_url.clone()),
        ..Options::default()
    })
    .await;
    let promo = emporium::checkout::repo::find_promo(&app.db, "SUMMER")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            promo.kind.as_str(),
            promo.amount,
            promo.min_subtotal_minor,
            promo.usage_limit
        ),
        ("percent", 15, 3000, Some(100))
    );
    assert!(count(&app, "SELECT COUNT(*) FROM promo_codes").await == 1);
}

#[tokio::test]
async fn a_shopper_lists_their_own_orders_newest_first_a_page_at_a_time() {
    use emporium::orders::api::ListOrders;
    let (app, lamp) = shop_with_lamps(100).await;
    for email in ["ada@example.com", "bob@example.com"] {
        crate::support::browser::verified_user(&app, email, emporium::accounts::Role::Customer)
            .await;
    }
    let ada = browser();
    crate::support::browser::sign_in(
        &app,
        &ada,
        "ada@example.com",
        crate::support::browser::PASSWORD,
    )
    .await;
    add(&app, &ada, lamp, 1).await;
    let mut placed = Vec::new();
    for _ in 0..=emporium::orders::ORDERS_PER_PAGE {
        let (status, location) = place(&app, &ada, &order_form(&new_key(), None)).await;
        assert_eq!(status, StatusCode::OK, "{location}");
        placed.push(
            location
                .trim_start_matches("/orders/")
                .split('?')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    let list = |client: &reqwest::Client, after: Option<String>| {
        let query = serde_qs::to_string(&ListOrders { after }).unwrap();
        let request = client.get(format!("{}?{query}", app.url(ListOrders::PATH)));
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, first) = list(&ada, None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let first: emporium::orders::OrdersPage = serde_json::from_str(&first).unwrap();
    let (_, second) = list(&ada, first.next.clone()).await;
    let second: emporium::orders::OrdersPage = serde_json::from_str(&second).unwrap();
    let shown: Vec<String> = first
        .orders
        .iter()
        .chain(&second.orders)
        .map(|o| o.number.clone())
        .collect();
    placed.reverse();
    assert_eq!(shown, placed, "every order once, newest first");
    assert_eq!(first.orders.len(), emporium::orders::ORDERS_PER_PAGE);
    assert!(second.next.is_none());
    assert_eq!(
        first.orders[0].status,
        emporium::orders::OrderStatus::PendingPayment
    );
    assert_eq!(
        first.orders[1].status,
        emporium::orders::OrderStatus::Cancelled,
        "replaced"
    );

    let page = page_text(&app, &ada, "/account/orders").await;
    assert!(page.contains(&placed[0]) && page.contains("Older orders"));
    let bob = browser();
    crate::support::browser::sign_in(
        &app,
        &bob,
        "bob@example.com",
        crate::support::browser::PASSWORD,
    )
    .await;
    let (_, theirs) = list(&bob, None).await;
    assert!(!theirs.contains("EM-"), "{theirs}");
    let (status, _) = list(&browser(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = list(&ada, Some("nonsense".into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_latest_shopper_to_like_a_product_that_runs_short_hears_about_it_once() {
    let (app, lamp) = shop_with_lamps(5).await;
    let mut likers = Vec::new();
    for email in ["early@example.com", "late@example.com"] {
        likers.push(
            crate::support::browser::verified_user(&app, email, emporium::accounts::Role::Customer)
                .await,
        );
    }
    for (n, user) in likers.iter().enumerate() {
        on_db!(&app.db, pool => sqlx::query(
            "INSERT INTO likes (user_id, product_id, created_at)
             SELECT $1, product_id, $2 FROM product_variants WHERE id = $3"
        ).bind(user).bind(Utc::now() - Duration::hours(2 - n as i64)).bind(lamp).execute(pool).await.map(drop))
        .unwrap();
    }
    let told = |to: &'static str| {
        let app = &app;
        async move {
            count(app, &format!("SELECT COUNT(*) FROM email_outbox WHERE template = 'low_stock' AND to_address = '{to}'")).await
        }
    };

    // 5 → 4: still plenty.
    let buyer = browser();
    add(&app, &buyer, lamp, 1).await;
    assert_eq!(
        place(&app, &buyer, &order_form(&new_key(), None)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        (
            told("late@example.com").await,
            told("early@example.com").await
        ),
        (0, 0)
    );

    // 4 → 2: running short, and the latest to like it is told.
    let second = browser();
    add(&app, &second, lamp, 2).await;
    assert_eq!(
        place(&app, &second, &order_form(&new_key(), None)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        (
            told("late@example.com").await,
            told("early@example.com").await
        ),
        (1, 0)
    );
    let subject: String = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT subject FROM email_outbox WHERE template = 'low_stock'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(subject, "Only 2 left of Brass lamp");

    // Restocked and running short again: the same shopper is not told twice; the next one is.
    let (on_hand, _, _) = stock(&app, lamp).await;
    let received = emporium::manage::stock::Adjustment {
        delta: 13 - i32::try_from(on_hand).unwrap(),
        reason: emporium::manage::stock::AdjustmentReason::Received,
        note: String::new(),
    };
    let mut tx = app.db.begin().await.unwrap();
    emporium::manage::stock::repo::adjust(&mut tx, lamp, &received, None)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    let third = browser();
    add(&app, &third, lamp, 9).await;
    assert_eq!(
        place(&app, &third, &order_form(&new_key(), None)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        (
            told("late@example.com").await,
            told("early@example.com").await
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn an_order_too_small_to_pay_by_card_is_refused_before_anything_is_held() {
    let app =
        TestApp::spawn_with_settings(|settings| settings.checkout.shipping[0].price_minor = 0)
            .await;
    let variant = add_product(
        &app.db,
        &SimpleProduct {
            category_slug: "stickers",
            slug: "tiny-sticker",
            name: "Tiny sticker",
            sku: "STICK-1",
            price_minor: 10,
            on_hand: 100,
            low_stock_threshold: 2,
        },
    )
    .await;
    let shopper = browser();
    add(&app, &shopper, variant, 2).await;
    let (status, body) = place(&app, &shopper, &order_form(&new_key(), None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("at least €0.50"), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(stock(&app, variant).await, (100, 0, true));
}

#[tokio::test]
async fn what_a_shoppers_own_unpaid_order_holds_still_counts_as_theirs_in_the_cart() {
    use crate::support::browser::{PASSWORD, customer, sign_in};
    use emporium::cart::api::UpdateCartLine;
    let (app, lamp) = shop_with_lamps(3).await;
    let email = "ada@example.com";
    let laptop = customer(&app, email).await;
    add(&app, &laptop, lamp, 2).await;
    assert_eq!(
        place(&app, &laptop, &order_form(&new_key(), None)).await.0,
        StatusCode::OK
    );
    assert_eq!(stock(&app, lamp).await, (3, 2, true), "one left for sale");

    // On a phone, as a guest, one lamp, then signing in: the account's cart takes it, since its
    // own order's two are the shopper's to buy again.
    let phone = browser();
    add(&app, &phone, lamp, 1).await;
    assert_eq!(
        sign_in(&app, &phone, email, PASSWORD).await.status(),
        StatusCode::OK
    );
    let cart = page_text(&app, &phone, "/cart").await;
    assert!(
        cart.contains("value=\"3\""),
        "the lines were merged: {cart}"
    );
    assert!(!cart.contains("left now"), "no shortage shown: {cart}");

    // The same on the laptop: three is not more than the shopper may hold.
    let set = laptop
        .post(app.url(UpdateCartLine::PATH))
        .form(&[("variant_id", lamp.to_string()), ("quantity", "3".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        set.status(),
        StatusCode::OK,
        "{}",
        set.text().await.unwrap()
    );
    assert_eq!(
        place(&app, &phone, &order_form(&new_key(), None)).await.0,
        StatusCode::OK,
        "the new order replaces the old one and takes all three"
    );
    assert_eq!(stock(&app, lamp).await, (3, 3, true));
}
