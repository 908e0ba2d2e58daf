//! Payments through Stripe's API and webhooks, on the engine under test: the shop's Stripe client
//! against a fake Stripe API (`STRIPE_API_BASE`), and events signed with Stripe's real scheme sent
//! to `/stripe/webhook`: duplicates, reordering, forged and stale signatures, unknown types, and
//! never a double effect.

use crate::support::browser::{browser, page_text};
use crate::support::fake_stripe::{self, FakeStripe};
use crate::support::orders::{add, count, new_key, order_form, place, shop_with_lamps_and, stock};
use crate::support::{Options, STRIPE_KEYS, TestApp};
use chrono::{Duration, Utc};
use emporium::orders::api::StartPayment;
use emporium::server::payments::sign;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = STRIPE_KEYS[2].1;

struct Paying {
    app: TestApp,
    fake: FakeStripe,
    lamp: i64,
    shopper: reqwest::Client,
    number: String,
    key: String,
    intent: String,
}

/// A shopper's order of `quantity` lamps, placed, with its card step begun: its number, its key
/// and what the card step answered.
async fn card_step(
    app: &TestApp,
    shopper: &reqwest::Client,
    lamp: i64,
    quantity: u32,
) -> (String, String, Value) {
    add(app, shopper, lamp, quantity).await;
    let key = new_key();
    let (status, location) = place(app, shopper, &order_form(&key, None)).await;
    assert_eq!(status, StatusCode::OK, "{location}");
    let number = location
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (status, step) = start(app, shopper, &number, &key).await;
    assert_eq!(status, StatusCode::OK, "{step}");
    (number, key, serde_json::from_str(&step).unwrap())
}

/// A shop on the fake Stripe with a guest's order of 2 of its 10 lamps, whose card step has begun.
async fn paying() -> Paying {
    let (base, fake) = fake_stripe::start().await;
    let app = TestApp::spawn_with(Options {
        stripe_api_base: Some(base),
        ..Options::default()
    })
    .await;
    let (app, lamp) = shop_with_lamps_and(10, app).await;
    let shopper = browser();
    let (number, key, step) = card_step(&app, &shopper, lamp, 2).await;
    let intent = step["client_secret"]
        .as_str()
        .unwrap()
        .split("_secret_")
        .next()
        .unwrap()
        .to_owned();
    Paying {
        app,
        fake,
        lamp,
        shopper,
        number,
        key,
        intent,
    }
}

async fn start(
    app: &TestApp,
    client: &reqwest::Client,
    number: &str,
    key: &str,
) -> (StatusCode, String) {
    let response = client
        .post(app.url(StartPayment::PATH))
        .form(&[("number", number), ("key", key)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

fn intent_event(id: &str, kind: &str, intent: &str, status: &str, created: i64) -> String {
    let failure = (status == "requires_payment_method").then(|| {
        json!({ "type": "card_error", "code": "card_declined", "message": "Your card was declined." })
    });
    json!({
        "id": id, "object": "event", "created": created, "livemode": false, "pending_webhooks": 1,
        "type": kind,
        "data": { "object": {
            "id": intent, "object": "payment_intent", "amount": 2895, "amount_capturable": 0,
            "amount_received": if status == "succeeded" { 2895 } else { 0 },
            "capture_method": "automatic", "confirmation_method": "automatic", "created": created,
            "currency": "eur", "livemode": false, "metadata": {}, "payment_method_types": ["card"],
            "status": status, "last_payment_error": failure,
        }},
    })
    .to_string()
}

fn charge_event(id: &str, kind: &str, intent: &str, refunded: i64, created: i64) -> String {
    json!({
        "id": id, "object": "event", "created": created, "livemode": false, "pending_webhooks": 1,
        "type": kind,
        "data": { "object": {
            "id": format!("ch_{intent}"), "object": "charge", "amount": 2895, "amount_refunded": refunded,
            "currency": "eur", "payment_intent": intent, "status": "succeeded", "created": created,
        }},
    })
    .to_string()
}

async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(app.url("/stripe/webhook"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.unwrap().status()
}

async fn send(app: &TestApp, body: &str) -> StatusCode {
    deliver(app, body, Some(sign(body, SECRET, Utc::now().timestamp()))).await
}

/// Waits until the worker has applied every stored event.
async fn applied(app: &TestApp) {
    app.until("every event applied", || async {
        count(
            app,
            "SELECT COUNT(*) FROM webhook_events WHERE status <> 'processed'",
        )
        .await
            == 0
    })
    .await;
}

async fn order_status(app: &TestApp) -> String {
    emporium::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>("SELECT status FROM orders").fetch_one(pool).await)
        .unwrap()
}

#[tokio::test]
async fn the_card_step_makes_one_payment_intent_per_attempt_with_the_orders_metadata() {
    let p = paying().await;
    // The page again, or a second tab: the same PaymentIntent.
    let (_, again) = start(&p.app, &p.shopper, &p.number, &p.key).await;
    assert!(again.contains(&p.intent), "{again}");
    {
        let recorded = p.fake.recorded.lock().unwrap();
        assert_eq!(recorded.intents.len(), 1);
        let intent = &recorded.intents[&p.intent];
        assert_eq!(
            (intent["amount"].as_i64(), intent["currency"].as_str()),
            (Some(2895), Some("eur"))
        );
        assert_eq!(
            intent["metadata"]["order_number"].as_str(),
            Some(p.number.as_str())
        );
        assert!(
            recorded.creates[0]
                .as_deref()
                .is_some_and(|key| key.starts_with("order-"))
        );
    }
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM payments WHERE status = 'requires_payment_method' AND amount_minor = 2895 AND provider = 'stripe'").await,
        1
    );
    // Nobody else starts a payment for it.
    let (status, _) = start(&p.app, &browser(), &p.number, &new_key()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_success_pays_the_order_once_even_sent_twice_or_again_as_another_event() {
    let p = paying().await;
    let now = Utc::now().timestamp();
    let success = intent_event(
        "evt_1",
        "payment_intent.succeeded",
        &p.intent,
        "succeeded",
        now,
    );
    assert_eq!(send(&p.app, &success).await, StatusCode::OK);
    assert_eq!(
        send(&p.app, &success).await,
        StatusCode::OK,
        "a duplicate is answered and ignored"
    );
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM webhook_events").await,
        1
    );
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "paid");
    assert_eq!(
        stock(&p.app, p.lamp).await,
        (8, 0, true),
        "the two held are sold"
    );
    let cart = page_text(&p.app, &p.shopper, "/cart").await;
    assert!(
        cart.contains("Your cart is empty"),
        "the paid lines left the cart"
    );
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM email_outbox WHERE template = 'order_confirmation' AND to_address = 'shopper@example.com'").await,
        1
    );

    let again = intent_event(
        "evt_2",
        "payment_intent.succeeded",
        &p.intent,
        "succeeded",
        now + 1,
    );
    assert_eq!(send(&p.app, &again).await, StatusCode::OK);
    applied(&p.app).await;
    assert_eq!(stock(&p.app, p.lamp).await, (8, 0, true));
    assert_eq!(
        count(
            &p.app,
            "SELECT COUNT(*) FROM email_outbox WHERE template = 'order_confirmation'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &p.app,
            "SELECT COUNT(*) FROM order_status_history WHERE to_status = 'paid'"
        )
        .await,
        1
    );

    // The confirmation's link opens the order for someone with no session at all.
    let body: String = emporium::on_db!(&p.app.db, pool => sqlx::query_scalar(
        "SELECT body_text FROM email_outbox WHERE template = 'order_confirmation'"
    ).fetch_one(pool).await)
    .unwrap();
    let link = body
        .split("See your order: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let path = link.trim_start_matches(crate::support::PUBLIC_URL);
    let page = browser().get(p.app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Paid"));
}

#[tokio::test]
async fn events_out_of_order_end_in_the_right_state_and_a_late_failure_never_unpays() {
    let p = paying().await;
    let now = Utc::now().timestamp();
    for event in [
        intent_event(
            "evt_3",
            "payment_intent.succeeded",
            &p.intent,
            "succeeded",
            now + 2,
        ),
        intent_event(
            "evt_1",
            "payment_intent.processing",
            &p.intent,
            "processing",
            now,
        ),
        intent_event(
            "evt_2",
            "payment_intent.payment_failed",
            &p.intent,
            "requires_payment_method",
            now + 1,
        ),
        intent_event(
            "evt_4",
            "payment_intent.payment_failed",
            &p.intent,
            "requires_payment_method",
            now + 9,
        ),
    ] {
        assert_eq!(send(&p.app, &event).await, StatusCode::OK);
    }
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "paid");
    assert_eq!(
        count(
            &p.app,
            "SELECT COUNT(*) FROM payments WHERE status = 'succeeded' AND last_error IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &p.app,
            "SELECT COUNT(*) FROM email_outbox WHERE template = 'payment_failed'"
        )
        .await,
        0
    );
    assert_eq!(stock(&p.app, p.lamp).await, (8, 0, true));
}

#[tokio::test]
async fn a_declined_card_leaves_the_order_waiting_and_says_why_then_another_card_pays() {
    let p = paying().await;
    let now = Utc::now().timestamp();
    let failed = intent_event(
        "evt_1",
        "payment_intent.payment_failed",
        &p.intent,
        "requires_payment_method",
        now,
    );
    assert_eq!(send(&p.app, &failed).await, StatusCode::OK);
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "pending_payment");
    assert_eq!(stock(&p.app, p.lamp).await, (10, 2, true), "still held");
    assert_eq!(
        count(
            &p.app,
            "SELECT COUNT(*) FROM email_outbox WHERE template = 'payment_failed'"
        )
        .await,
        1
    );
    let page = page_text(
        &p.app,
        &p.shopper,
        &format!("/orders/{}?key={}", p.number, p.key),
    )
    .await;
    assert!(page.contains("Your last payment did not go through: Your card was declined."));
    let cart = page_text(&p.app, &p.shopper, "/cart").await;
    assert!(
        cart.contains("Brass lamp"),
        "a failed payment leaves the cart as it was"
    );

    let paid = intent_event(
        "evt_2",
        "payment_intent.succeeded",
        &p.intent,
        "succeeded",
        now + 1,
    );
    assert_eq!(send(&p.app, &paid).await, StatusCode::OK);
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "paid");
}

#[tokio::test]
async fn forged_stale_and_unsigned_events_are_refused_and_write_nothing() {
    let p = paying().await;
    let now = Utc::now().timestamp();
    let event = intent_event(
        "evt_1",
        "payment_intent.succeeded",
        &p.intent,
        "succeeded",
        now,
    );
    let forged = sign(&event, "whsec_someone_else", now);
    let stale = sign(&event, SECRET, now - 301);
    let tampered = event.replace("2895", "1");
    for (body, signature) in [
        (event.as_str(), Some(forged)),
        (event.as_str(), Some(stale)),
        (event.as_str(), None),
        (event.as_str(), Some("t=1,v1=00".to_owned())),
        (tampered.as_str(), Some(sign(&event, SECRET, now))),
    ] {
        assert_eq!(
            deliver(&p.app, body, signature).await,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM webhook_events").await,
        0
    );
    assert_eq!(order_status(&p.app).await, "pending_payment");

    // Signed within the tolerance, a little in the past: accepted.
    assert_eq!(
        deliver(&p.app, &event, Some(sign(&event, SECRET, now - 200))).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_types_and_other_payments_are_answered_and_change_nothing() {
    let p = paying().await;
    let now = Utc::now().timestamp();
    let unknown = json!({
        "id": "evt_unknown", "object": "event", "created": now, "livemode": false,
        "pending_webhooks": 1, "type": "customer.created",
        "data": { "object": { "id": "cus_1", "object": "customer" } },
    })
    .to_string();
    assert_eq!(send(&p.app, &unknown).await, StatusCode::OK);
    let stranger = intent_event(
        "evt_other",
        "payment_intent.succeeded",
        "pi_not_ours",
        "succeeded",
        now,
    );
    assert_eq!(send(&p.app, &stranger).await, StatusCode::OK);
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "pending_payment");
    assert_eq!(stock(&p.app, p.lamp).await, (10, 2, true));
}

#[tokio::test]
async fn refunds_in_any_order_end_refunded_and_disputes_flag_the_order() {
    let p = paying().await;
    let now = Utc::now().timestamp();
    send(
        &p.app,
        &intent_event(
            "evt_1",
            "payment_intent.succeeded",
            &p.intent,
            "succeeded",
            now,
        ),
    )
    .await;
    applied(&p.app).await;
    // The whole refund's event arrives before the partial one's.
    send(
        &p.app,
        &charge_event("evt_3", "charge.refunded", &p.intent, 2895, now + 2),
    )
    .await;
    send(
        &p.app,
        &charge_event("evt_2", "charge.refunded", &p.intent, 1000, now + 1),
    )
    .await;
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "refunded");
    assert_eq!(
        count(
            &p.app,
            "SELECT COUNT(*) FROM order_status_history WHERE to_status = 'partially_refunded'"
        )
        .await,
        0
    );

    let dispute = json!({
        "id": "evt_4", "object": "event", "created": now + 3, "livemode": false,
        "pending_webhooks": 1, "type": "charge.dispute.created",
        "data": { "object": { "id": "dp_1", "object": "dispute", "payment_intent": p.intent } },
    })
    .to_string();
    send(&p.app, &dispute).await;
    applied(&p.app).await;
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM orders WHERE needs_attention").await,
        1
    );
}

#[tokio::test]
async fn a_payment_after_the_reservation_ran_out_is_flagged_for_a_refund_and_sells_nothing() {
    let p = paying().await;
    p.app.advance(Duration::hours(1)).await;
    let success = intent_event(
        "evt_1",
        "payment_intent.succeeded",
        &p.intent,
        "succeeded",
        Utc::now().timestamp(),
    );
    assert_eq!(send(&p.app, &success).await, StatusCode::OK);
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "cancelled");
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM orders WHERE needs_attention").await,
        1
    );
    assert_eq!(stock(&p.app, p.lamp).await, (10, 0, true));

    // Staff refund it in full at the provider: the flag is settled, not raised again.
    let refund = charge_event(
        "evt_2",
        "charge.refunded",
        &p.intent,
        2895,
        Utc::now().timestamp(),
    );
    assert_eq!(send(&p.app, &refund).await, StatusCode::OK);
    applied(&p.app).await;
    assert_eq!(order_status(&p.app).await, "cancelled");
    assert_eq!(
        count(&p.app, "SELECT COUNT(*) FROM orders WHERE needs_attention").await,
        0
    );
}

#[tokio::test]
async fn an_event_whose_processing_was_cut_short_is_applied_once_after_a_restart() {
    let p = paying().await;
    let event = intent_event(
        "evt_1",
        "payment_intent.succeeded",
        &p.intent,
        "succeeded",
        Utc::now().timestamp(),
    );
    // As if a shop process had stored the event and claimed it, then died mid-apply: its lease
    // has run out by the time another process looks.
    let past = Utc::now() - Duration::minutes(5);
    emporium::on_db!(&p.app.db, pool => sqlx::query(
        "INSERT INTO webhook_events (provider_event_id, event_type, payload, attempts, next_attempt_at, received_at)
         VALUES ('evt_1', 'payment_intent.succeeded', $1, 1, $2, $2)"
    ).bind(&event).bind(past).execute(pool).await.map(drop))
    .unwrap();
    let database_url = p.app.database_url.clone();
    drop(p.app);
    let restarted = TestApp::spawn_with(Options {
        stripe_api_base: Some("http://127.0.0.1:9".into()),
        database_url: Some(database_url),
        ..Options::default()
    })
    .await;
    applied(&restarted).await;
    assert_eq!(order_status(&restarted).await, "paid");
    assert_eq!(stock(&restarted, p.lamp).await, (8, 0, true));
    // Delivered again by the provider after the restart: still once.
    assert_eq!(send(&restarted, &event).await, StatusCode::OK);
    applied(&restarted).await;
    assert_eq!(stock(&restarted, p.lamp).await, (8, 0, true));
}

async fn confirm(
    app: &TestApp,
    step: &Value,
    card: &str,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let secret = step["client_secret"].as_str().unwrap();
    let intent = secret.split("_secret_").next().unwrap();
    let response = reqwest::Client::new()
        .post(app.url(&format!(
            "/test-gateway/v1/payment_intents/{intent}/confirm"
        )))
        .header(
            "authorization",
            format!(
                "Bearer {}",
                key.unwrap_or(step["publishable_key"].as_str().unwrap())
            ),
        )
        .form(&[
            ("client_secret", secret),
            ("card_number", card),
            ("expiry", "12 / 34"),
            ("cvc", "123"),
            ("return_url", "/"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        serde_json::from_str(&response.text().await.unwrap()).unwrap(),
    )
}

/// Waits until the only order has this status.
async fn until_order_is(app: &TestApp, status: &str) {
    app.until(&format!("the order is {status}"), || async {
        order_status(app).await == status
    })
    .await;
}

#[tokio::test]
async fn the_built_in_gateway_takes_test_cards_and_pays_the_order_through_the_webhook() {
    let (app, lamp) = shop_with_lamps_and(10, TestApp::spawn().await).await;
    let (_, _, step) = card_step(&app, &browser(), lamp, 1).await;
    assert!(
        step["publishable_key"]
            .as_str()
            .unwrap()
            .starts_with("pk_test_")
    );
    assert_eq!(step["js_url"].as_str(), Some("/test-gateway/v3/"));

    let (status, _) = confirm(&app, &step, "4242424242424242", Some("pk_test_wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer) = confirm(&app, &step, "4000000000000002", None).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        answer["error"]["message"].as_str(),
        Some("Your card was declined.")
    );
    let (status, answer) = confirm(&app, &step, "4000 0000 0000 9995", None).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        answer["error"]["decline_code"].as_str(),
        Some("insufficient_funds")
    );
    let (status, answer) = confirm(&app, &step, "1234", None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("incomplete_number"))
    );

    let (status, answer) = confirm(&app, &step, "4242 4242 4242 4242", None).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (StatusCode::OK, Some("succeeded"))
    );
    until_order_is(&app, "paid").await;
    assert_eq!(stock(&app, lamp).await, (9, 0, true));
    let (status, answer) = confirm(&app, &step, "4242 4242 4242 4242", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "paid once: {answer}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM test_gateway_events WHERE delivered_at IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn thirty_shoppers_paying_at_once_all_end_paid_with_nothing_refused() {
    const SHOPPERS: usize = 30;
    let app =
        TestApp::spawn_with_settings(|settings| settings.limits.write_requests = 100_000).await;
    let (app, lamp) = shop_with_lamps_and(100, app).await;
    let app = std::sync::Arc::new(app);
    let mut buying = tokio::task::JoinSet::new();
    for _ in 0..SHOPPERS {
        let app = app.clone();
        buying.spawn(async move {
            let (_, _, step) = card_step(&app, &browser(), lamp, 1).await;
            let (status, answer) = confirm(&app, &step, "4242424242424242", None).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        });
    }
    buying.join_all().await;
    app.until("every order paid", || async {
        count(&app, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await == SHOPPERS as i64
    })
    .await;
    assert_eq!(stock(&app, lamp).await, (100 - SHOPPERS as i64, 0, true));
}

#[tokio::test]
async fn a_newer_checkout_of_the_cart_cancels_the_older_orders_payment_at_the_provider() {
    let p = paying().await;
    let (status, _) = place(&p.app, &p.shopper, &order_form(&new_key(), None)).await;
    assert_eq!(status, StatusCode::OK);
    let recorded = p.fake.recorded.lock().unwrap().intents[&p.intent]["status"].clone();
    assert_eq!(
        recorded,
        json!("canceled"),
        "the old card form can no longer charge"
    );
}

#[tokio::test]
async fn the_challenge_page_answers_only_with_the_payments_secret_and_returns_only_to_an_order() {
    let (app, lamp) = shop_with_lamps_and(10, TestApp::spawn().await).await;
    let (number, _, step) = card_step(&app, &browser(), lamp, 1).await;
    let (status, answer) = confirm(&app, &step, "4000002760003184", None).await;
    assert_eq!(status, StatusCode::OK);
    let challenge = answer["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let intent = answer["id"].as_str().unwrap().to_owned();
    let secret = step["client_secret"].as_str().unwrap();

    let page = |path: String| {
        let app = &app;
        async move {
            reqwest::get(app.url(&path))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(
        page(challenge.clone())
            .await
            .contains("Complete authentication")
    );
    let without_secret = format!("/test-gateway/challenge/{intent}?return_url=/");
    assert!(
        page(without_secret)
            .await
            .contains("Nothing to authenticate")
    );

    let answer = |secret: &str, return_url: &str| {
        let (app, secret, return_url) = (&app, secret.to_owned(), return_url.to_owned());
        let intent = intent.clone();
        async move {
            browser()
                .post(app.url(&format!("/test-gateway/challenge/{intent}")))
                .form(&[
                    ("client_secret", secret.as_str()),
                    ("return_url", return_url.as_str()),
                    ("outcome", "complete"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let forged = answer("pi_someone_secret_guess", "/").await;
    assert!(
        forged
            .text()
            .await
            .unwrap()
            .contains("Nothing to authenticate")
    );
    let elsewhere = answer(secret, "/\\evil.example").await;
    let location = elsewhere.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/?payment_intent="), "{location}");
    until_order_is(&app, "paid").await;
    let again = answer(secret, &format!("/orders/{number}")).await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Nothing to authenticate"),
        "settled once"
    );
}

/// Asks the built-in gateway for a refund as the shop's Stripe client would: a form, with a key.
async fn refund(
    app: &TestApp,
    key: &str,
    intent: &str,
    amount: Option<i64>,
) -> (StatusCode, Value) {
    let mut form = vec![("payment_intent", intent.to_owned())];
    form.extend(amount.map(|amount| ("amount", amount.to_string())));
    let response = reqwest::Client::new()
        .post(app.url("/test-gateway/v1/refunds"))
        .header("authorization", format!("Bearer {key}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (
        response.status(),
        serde_json::from_str(&response.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn the_built_in_gateway_refunds_a_paid_order_in_parts_never_beyond_what_was_paid() {
    let (app, lamp) = shop_with_lamps_and(10, TestApp::spawn().await).await;
    let (_, _, step) = card_step(&app, &browser(), lamp, 1).await;
    let secret = step["client_secret"].as_str().unwrap();
    let intent = secret.split("_secret_").next().unwrap();
    let key = app.payments.secret_key.expose().to_owned();

    let (status, answer) = refund(&app, &key, intent, None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("charge_not_refundable")),
        "nothing paid yet"
    );
    assert_eq!(
        confirm(&app, &step, "4242424242424242", None).await.0,
        StatusCode::OK
    );
    until_order_is(&app, "paid").await;
    let publishable = step["publishable_key"].as_str().unwrap();
    assert_eq!(
        refund(&app, publishable, intent, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Four refunds of more than half at once: one is taken, the others refused.
    let total = count(&app, "SELECT total_minor FROM orders").await;
    let part = total / 2 + 1;
    let (a, b, c, d) = tokio::join!(
        refund(&app, &key, intent, Some(part)),
        refund(&app, &key, intent, Some(part)),
        refund(&app, &key, intent, Some(part)),
        refund(&app, &key, intent, Some(part)),
    );
    let answers = [a, b, c, d];
    let taken = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK);
    assert_eq!(taken.count(), 1, "{answers:?}");
    for (status, answer) in answers
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK)
    {
        assert_eq!(
            (*status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("amount_too_large"))
        );
    }
    until_order_is(&app, "partially_refunded").await;

    // No amount: all that is left.
    let (status, answer) = refund(&app, &key, intent, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["amount"].as_i64(), Some(total - part));
    until_order_is(&app, "refunded").await;
    let (status, answer) = refund(&app, &key, intent, None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("charge_already_refunded"))
    );
    assert_eq!(
        count(&app, "SELECT amount_refunded_minor FROM payments").await,
        total
    );
}
