//! Accounts through their server functions and pages, as a browser uses them, on the engine under test.

use crate::support::TestApp;
use crate::support::browser::{
    PASSWORD, browser, customer, latest_mail, location, mail_count, page_status, page_text, post,
    sign_in, signed_in_browser, signed_in_email, status, token_after, verified_user,
};
use emporium::accounts::api::{
    ChangePassword, ConfirmEmail, EndOtherSessions, RequestPasswordReset, ResetPassword, SignIn,
    SignOut, SignUp,
};
use emporium::cart::api::AddToCart;
use emporium::on_db;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("emporium_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn sign_up_confirm_sign_out_and_sign_in() {
    let app = TestApp::spawn().await;
    let client = browser();
    let email = "ada@example.com";
    let response = post(
        &app,
        &client,
        SignUp::PATH,
        &[
            ("email", " Ada@Example.com "),
            ("display_name", "Ada"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/account/login?notice=verify")
    );
    assert_eq!(
        signed_in_email(&app, &client).await,
        None,
        "not signed in before confirming"
    );

    let (_, body) = latest_mail(&app, email).await.unwrap();
    let token = token_after(&body, "/account/verify/");
    assert_eq!(token.len(), 64);
    let stored: String =
        on_db!(&app.db, pool => sqlx::query_scalar("SELECT token_hash FROM user_tokens")
        .fetch_one(pool).await)
        .unwrap();
    assert_ne!(stored, token, "only a hash of the token is kept");

    let before = session_cookie(
        &post(
            &app,
            &client,
            AddToCart::PATH,
            &[("variant_id", "0"), ("quantity", "1")],
        )
        .await,
    );
    let confirmed = post(&app, &client, ConfirmEmail::PATH, &[("token", &token)]).await;
    let after = session_cookie(&confirmed);
    assert!(
        after.is_some() && after != before,
        "the session id changes at sign-in"
    );
    assert_eq!(signed_in_email(&app, &client).await.as_deref(), Some(email));
    let again = post(&app, &browser(), ConfirmEmail::PATH, &[("token", &token)]).await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "a token works once"
    );

    let out = post(&app, &client, SignOut::PATH, &[]).await;
    assert_eq!(location(&out).as_deref(), Some("/"));
    assert_eq!(signed_in_email(&app, &client).await, None);
    let account = client
        .get(app.url("/account"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), StatusCode::FOUND);
    assert_eq!(
        location(&account).as_deref(),
        Some("/account/login?next=%2Faccount")
    );

    let wrong = sign_in(&app, &client, email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let right = post(
        &app,
        &client,
        SignIn::PATH,
        &[("email", email), ("password", PASSWORD), ("next", "/cart")],
    )
    .await;
    assert_eq!(location(&right).as_deref(), Some("/cart"));
    assert_eq!(signed_in_email(&app, &client).await.as_deref(), Some(email));
}

#[tokio::test]
async fn sign_up_answers_the_same_for_a_taken_address() {
    let app = TestApp::spawn().await;
    customer(&app, "taken@example.com").await;
    let fresh = post(
        &app,
        &browser(),
        SignUp::PATH,
        &[
            ("email", "new@example.com"),
            ("display_name", "N"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let taken = post(
        &app,
        &browser(),
        SignUp::PATH,
        &[
            ("email", "taken@example.com"),
            ("display_name", "T"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(fresh.status(), taken.status());
    assert_eq!(location(&fresh), location(&taken));
    assert_eq!(
        fresh.headers().contains_key("set-cookie"),
        taken.headers().contains_key("set-cookie"),
        "the session the sign-up notes itself in is started either way"
    );
    assert_eq!(fresh.text().await.unwrap(), taken.text().await.unwrap());
    let (template, _) = latest_mail(&app, "taken@example.com").await.unwrap();
    assert_eq!(
        template, "already_registered",
        "the owner hears about it by mail instead"
    );
}

#[tokio::test]
async fn a_confirmation_link_signs_in_only_the_browser_that_signed_up() {
    let app = TestApp::spawn().await;
    let email = "elsewhere@example.com";
    let signing_up = browser();
    post(
        &app,
        &signing_up,
        SignUp::PATH,
        &[
            ("email", email),
            ("display_name", "E"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let (_, body) = latest_mail(&app, email).await.unwrap();
    let token = token_after(&body, "/account/verify/");

    // Followed in another browser (the link passed on, or planted by someone who signed up with
    // another's address): the address is confirmed and nobody is signed in.
    let other = browser();
    let confirmed = post(&app, &other, ConfirmEmail::PATH, &[("token", &token)]).await;
    assert_eq!(
        location(&confirmed).as_deref(),
        Some("/account/login?notice=confirmed")
    );
    assert_eq!(signed_in_email(&app, &other).await, None);
    assert_eq!(signed_in_email(&app, &signing_up).await, None);
    let signed_in = sign_in(&app, &signing_up, email, PASSWORD).await;
    assert_eq!(location(&signed_in).as_deref(), Some("/account"));
}

#[tokio::test]
async fn weak_passwords_bad_addresses_and_names_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    for (email, name, password) in [
        ("a@example.com", "A", "short"),
        ("a@example.com", "A", "password123"),
        ("not-an-email", "A", PASSWORD),
        (
            "a@example.com",
            "Ada\r\nBcc: everyone@example.com",
            PASSWORD,
        ),
        ("a@example.com", "Ada\u{202E}nimda", PASSWORD),
    ] {
        let response = post(
            &app,
            &browser(),
            SignUp::PATH,
            &[
                ("email", email),
                ("display_name", name),
                ("password", password),
            ],
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{email} {name:?} {password}"
        );
    }
    let users: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await).unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn an_unconfirmed_account_cannot_sign_in_but_gets_a_new_link() {
    let app = TestApp::spawn().await;
    let email = "late@example.com";
    post(
        &app,
        &browser(),
        SignUp::PATH,
        &[
            ("email", email),
            ("display_name", "L"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let client = browser();
    let response = sign_in(&app, &client, email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("confirm your email")
    );
    assert_eq!(mail_count(&app, email).await, 2);
    assert_eq!(signed_in_email(&app, &client).await, None);
}

async fn lock_seconds(app: &TestApp, subject: &str) -> Option<i64> {
    let until: Option<chrono::DateTime<chrono::Utc>> = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT locked_until FROM sign_in_failures WHERE subject = $1"
    ).bind(subject).fetch_optional(pool).await)
    .unwrap()
    .flatten();
    until.map(|until| (until - app.db.now()).num_seconds() + 1)
}

/// Lets the shop's time pass until the subject's lock has ended.
async fn expire_lock(app: &TestApp, subject: &str) {
    let seconds = lock_seconds(app, subject)
        .await
        .expect("the subject is locked");
    app.db.clock().advance(chrono::Duration::seconds(seconds));
}

/// Signs in through the test's trusted proxy, as a client at `ip`.
async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url(SignIn::PATH))
        .header("x-forwarded-for", ip)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// A shop behind a proxy on loopback, so that tests can sign in from many addresses.
async fn behind_proxy() -> TestApp {
    let mut settings = crate::support::settings();
    // The per-IP request limit would stop these clients first; these tests are about the counts.
    settings.limits.auth_requests = 1_000;
    TestApp::spawn_with(crate::support::Options {
        settings: Some(settings),
        vars: vec![("TRUSTED_PROXIES", "127.0.0.1, ::1".into())],
        ..Default::default()
    })
    .await
}

const GUESSER: &str = "198.51.100.66";

fn subjects(email: &str, ip: &str) -> emporium::accounts::auth::Subjects {
    let email = emporium::accounts::Email::parse(email).unwrap();
    emporium::accounts::auth::throttle_subjects(&email, ip)
}

/// Forgets a subject's failures, as if a day had passed.
async fn forget(app: &TestApp, subject: &str) {
    on_db!(&app.db, pool => sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
        .bind(subject).execute(pool).await.map(drop))
    .unwrap();
}

async fn failures(app: &TestApp, subject: &str) -> i64 {
    on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT CAST(failures AS BIGINT) FROM sign_in_failures WHERE subject = $1"
    ).bind(subject).fetch_optional(pool).await)
    .unwrap()
    .unwrap_or(0)
}

/// 25 wrong passwords from one client, waiting out each lock: the waits grow, then the account
/// locks for that client for a quarter of an hour; an unknown address gets exactly the same
/// answers.
async fn guess_25_times(app: &TestApp, email: &str) -> (Vec<(u16, String)>, Vec<Option<i64>>) {
    let client = browser();
    let subjects = subjects(email, GUESSER);
    let (mut answers, mut locks) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        let response = sign_in_from(app, &client, GUESSER, email, "wrong password!").await;
        answers.push((response.status().as_u16(), response.text().await.unwrap()));
        let lock = lock_seconds(app, &subjects.client).await;
        locks.push(lock);
        if lock.is_some() {
            let refused = sign_in_from(app, &client, GUESSER, email, "wrong password!").await;
            assert_eq!(
                refused.status(),
                StatusCode::TOO_MANY_REQUESTS,
                "slowed while locked"
            );
            expire_lock(app, &subjects.client).await;
        }
        // What all unknown clients share only slows them, and the client's count across accounts
        // locks it later: each has a test of its own.
        forget(app, &subjects.account).await;
        forget(app, &subjects.ip).await;
    }
    (answers, locks)
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_then_locked_alike_for_unknown_addresses() {
    let app = behind_proxy().await;
    let email = "target@example.com";
    let signed_in = customer(&app, email).await;
    let (known, locks) = guess_25_times(&app, email).await;
    assert!(
        known.iter().all(|(status, _)| *status == 400),
        "each counted guess is just wrong"
    );
    let approx = |lock: Option<i64>| lock.map(|s| if s > 60 { (s + 30) / 60 * 60 } else { s });
    let locks: Vec<Option<i64>> = locks.into_iter().map(approx).collect();
    assert_eq!(&locks[..4], &[None, None, None, None]);
    assert_eq!(
        &locks[4..9],
        &[Some(2), Some(4), Some(8), Some(16), Some(32)]
    );
    assert!(
        locks[9..].iter().all(|lock| *lock == Some(15 * 60)),
        "{locks:?}"
    );

    let (unknown, _) = guess_25_times(&app, "nobody@example.com").await;
    assert_eq!(
        known, unknown,
        "no answer tells a registered address from an unknown one"
    );

    // From that client the right password is refused while locked, and works once the lock
    // expires.
    let client = browser();
    let subjects = subjects(email, GUESSER);
    sign_in_from(&app, &client, GUESSER, email, "wrong password!").await;
    let locked = sign_in_from(&app, &client, GUESSER, email, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );
    expire_lock(&app, &subjects.client).await;
    forget(&app, &subjects.account).await;
    // Fifty failures from one address lock the address as well, whatever accounts they tried.
    for n in 0..50 {
        let other = format!("other{n}@example.com");
        sign_in_from(&app, &client, GUESSER, &other, "wrong password!").await;
    }
    let locked = sign_in_from(&app, &client, GUESSER, email, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(lock_seconds(&app, &subjects.ip).await.is_some());
    expire_lock(&app, &subjects.ip).await;
    let right = sign_in_from(&app, &client, GUESSER, email, PASSWORD).await;
    assert_eq!(location(&right).as_deref(), Some("/account"));
    assert!(
        signed_in_email(&app, &signed_in).await.is_some(),
        "other sessions are untouched"
    );
}

#[tokio::test]
async fn guessing_from_many_addresses_cannot_keep_the_owner_out() {
    let app = behind_proxy().await;
    let email = "admin@example.com";
    let owner = browser();
    // The owner has signed in from their office before.
    let office = "192.0.2.10";
    customer(&app, email).await;
    let first = sign_in_from(&app, &owner, office, email, PASSWORD).await;
    assert_eq!(location(&first).as_deref(), Some("/account"));
    post(&app, &owner, SignOut::PATH, &[]).await;

    let unknown = subjects(email, "").account;

    // From one address, guesses stop counting against the account as a whole once that address
    // must wait, so no single client runs that count up.
    for _ in 0..15 {
        sign_in_from(&app, &browser(), "203.0.113.200", email, "guess!").await;
    }
    assert!(failures(&app, &unknown).await <= 10);

    // From address after address, the count of unknown clients runs up until the account is
    // locked against every client it does not know.
    let mut n = 0;
    while lock_seconds(&app, &unknown).await.is_none() {
        let ip = format!("203.0.113.{n}");
        let answer = sign_in_from(&app, &browser(), &ip, email, "guess!").await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        n += 1;
    }
    assert_eq!(failures(&app, &unknown).await, 21);
    // While it holds, a new address is refused, even with the password, and its refusal does not
    // count against that address.
    let elsewhere = sign_in_from(&app, &browser(), "198.51.100.1", email, PASSWORD).await;
    assert_eq!(elsewhere.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(failures(&app, &subjects(email, "198.51.100.1").ip).await, 0);
    // The owner, from where they signed in before, is not held to that count at all.
    let before = failures(&app, &unknown).await;
    let back = sign_in_from(&app, &owner, office, email, PASSWORD).await;
    assert_eq!(location(&back).as_deref(), Some("/account"));
    assert_eq!(failures(&app, &unknown).await, before);
    assert_eq!(signed_in_email(&app, &owner).await.as_deref(), Some(email));
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_links_work_once() {
    let app = TestApp::spawn().await;
    let email = "forgetful@example.com";
    let other_device = customer(&app, email).await;
    let client = browser();

    let known = post(
        &app,
        &client,
        RequestPasswordReset::PATH,
        &[("email", email)],
    )
    .await;
    let unknown = post(
        &app,
        &client,
        RequestPasswordReset::PATH,
        &[("email", "nobody@example.com")],
    )
    .await;
    assert_eq!(
        location(&known).as_deref(),
        Some("/account/login?notice=reset-sent")
    );
    assert_eq!(
        (known.status(), location(&known)),
        (unknown.status(), location(&unknown))
    );
    assert_eq!(mail_count(&app, "nobody@example.com").await, 0);
    let (template, body) = latest_mail(&app, email).await.unwrap();
    assert_eq!(template, "reset_password");
    let token = token_after(&body, "/account/reset/");
    post(
        &app,
        &client,
        RequestPasswordReset::PATH,
        &[("email", email)],
    )
    .await;
    let (_, second) = latest_mail(&app, email).await.unwrap();
    let spare = token_after(&second, "/account/reset/");

    let page = client
        .get(app.url(&format!("/account/reset/{token}")))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Choose a new password"));
    let weak = post(
        &app,
        &client,
        ResetPassword::PATH,
        &[("token", &token), ("password", "123456")],
    )
    .await;
    assert_eq!(
        weak.status(),
        StatusCode::BAD_REQUEST,
        "refused, and the link still works"
    );
    let reset = post(
        &app,
        &client,
        ResetPassword::PATH,
        &[("token", &token), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(
        location(&reset).as_deref(),
        Some("/account/login?notice=password-reset")
    );
    assert_eq!(
        latest_mail(&app, email).await.unwrap().0,
        "password_changed"
    );
    assert_eq!(
        signed_in_email(&app, &other_device).await,
        None,
        "the other session ended"
    );

    let reused = post(
        &app,
        &client,
        ResetPassword::PATH,
        &[("token", &token), ("password", "another new passphrase")],
    )
    .await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    let spare_used = post(
        &app,
        &client,
        ResetPassword::PATH,
        &[("token", &spare), ("password", "another new passphrase")],
    )
    .await;
    assert_eq!(
        spare_used.status(),
        StatusCode::BAD_REQUEST,
        "a reset revokes every other open link"
    );
    let old = sign_in(&app, &client, email, PASSWORD).await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST);
    let new = sign_in(&app, &client, email, "a brand new passphrase").await;
    assert_eq!(location(&new).as_deref(), Some("/account"));
}

#[tokio::test]
async fn reset_requests_are_throttled_silently() {
    let app = TestApp::spawn().await;
    let email = "many@example.com";
    customer(&app, email).await;
    for _ in 0..5 {
        let response = post(
            &app,
            &browser(),
            RequestPasswordReset::PATH,
            &[("email", email)],
        )
        .await;
        assert_eq!(
            location(&response).as_deref(),
            Some("/account/login?notice=reset-sent")
        );
    }
    let resets: i64 = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_outbox WHERE template = 'reset_password'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(resets, 3, "at most 3 per account in 72 hours");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_only() {
    let app = TestApp::spawn().await;
    let email = "careful@example.com";
    let here = customer(&app, email).await;
    let elsewhere = browser();
    sign_in(&app, &elsewhere, email, PASSWORD).await;
    assert!(signed_in_email(&app, &elsewhere).await.is_some());
    let wrong = post(
        &app,
        &here,
        ChangePassword::PATH,
        &[
            ("current_password", "nope nope nope"),
            ("new_password", "another good passphrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let changed = post(
        &app,
        &here,
        ChangePassword::PATH,
        &[
            ("current_password", PASSWORD),
            ("new_password", "another good passphrase"),
        ],
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert!(signed_in_email(&app, &here).await.is_some());
    assert_eq!(signed_in_email(&app, &elsewhere).await, None);
    assert_eq!(
        latest_mail(&app, email).await.unwrap().0,
        "password_changed"
    );
}

#[tokio::test]
async fn ending_other_sessions_keeps_this_one() {
    let app = TestApp::spawn().await;
    let email = "phones@example.com";
    let here = customer(&app, email).await;
    let elsewhere = browser();
    sign_in(&app, &elsewhere, email, PASSWORD).await;
    let html = page_text(&app, &here, "/account").await;
    assert_eq!(html.matches("data-testid=\"session\"").count(), 2, "{html}");
    assert!(html.contains("Chrome on Linux") && html.contains("This device"));
    post(&app, &here, EndOtherSessions::PATH, &[]).await;
    assert!(signed_in_email(&app, &here).await.is_some());
    assert_eq!(signed_in_email(&app, &elsewhere).await, None);
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let app = TestApp::spawn().await;
    let response = browser()
        .post(app.url(SignIn::PATH))
        .header("origin", "https://evil.example")
        .form(&[("email", "a@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let same = browser()
        .post(app.url(SignIn::PATH))
        .header("origin", format!("http://{}", app.addr))
        .form(&[("email", "a@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        same.status(),
        StatusCode::BAD_REQUEST,
        "same-origin writes go through"
    );
    // The whole origin counts: the same host by another scheme is another origin.
    let twin = browser()
        .post(app.url(SignIn::PATH))
        .header("origin", format!("https://{}", app.addr))
        .form(&[("email", "a@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(twin.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn authentication_is_rate_limited_per_ip_with_a_clear_page() {
    let app = TestApp::spawn().await;
    let limit = crate::support::settings().limits.auth_requests;
    for n in 0..limit {
        let email = format!("guess{n}@example.com");
        let response = post(
            &app,
            &browser(),
            RequestPasswordReset::PATH,
            &[("email", &email)],
        )
        .await;
        assert_ne!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let page = browser()
        .post(app.url(RequestPasswordReset::PATH))
        .header("accept", "text/html")
        .form(&[("email", "one-more@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.text().await.unwrap().contains("Too many requests"));
    let browsing = app.get("/").await;
    assert_eq!(
        browsing.status(),
        StatusCode::OK,
        "reading the shop is not limited"
    );
}

#[tokio::test]
async fn the_guest_cart_joins_the_account_cart_at_sign_in() {
    let app = TestApp::spawn_with(crate::support::Options {
        demo_data: true,
        ..Default::default()
    })
    .await;
    let email = "shopper@example.com";
    let variants: Vec<(i64, i64)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT variant_id, CAST(on_hand - reserved AS BIGINT) FROM inventory WHERE on_hand - reserved >= 3 ORDER BY variant_id LIMIT 2"
    ).fetch_all(pool).await).unwrap();
    let (first, second) = (variants[0].0.to_string(), variants[1].0.to_string());

    let account = customer(&app, email).await;
    post(
        &app,
        &account,
        AddToCart::PATH,
        &[("variant_id", &first), ("quantity", "1")],
    )
    .await;
    post(&app, &account, SignOut::PATH, &[]).await;

    let guest = browser();
    post(
        &app,
        &guest,
        AddToCart::PATH,
        &[("variant_id", &first), ("quantity", "2")],
    )
    .await;
    post(
        &app,
        &guest,
        AddToCart::PATH,
        &[("variant_id", &second), ("quantity", "1")],
    )
    .await;
    let signed_in = sign_in(&app, &guest, email, PASSWORD).await;
    assert_eq!(location(&signed_in).as_deref(), Some("/account"));
    let html = page_text(&app, &guest, "/cart").await;
    let count = html
        .split("items in cart")
        .next()
        .unwrap()
        .rsplit('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        html.contains("aria-label=\"4 items in cart\""),
        "1 + 2 of the first and 1 of the second: {count}"
    );
    let carts: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM carts").fetch_one(pool).await).unwrap();
    assert_eq!(carts, 1, "the guest cart was folded in");

    post(&app, &guest, SignOut::PATH, &[]).await;
    let after = guest
        .get(app.url("/cart"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        after.contains("aria-label=\"0 items in cart\""),
        "signing out leaves the account's cart behind"
    );
}

#[tokio::test]
async fn guests_signing_in_to_one_account_at_once_all_reach_its_one_cart() {
    let app = TestApp::spawn_with(crate::support::Options {
        demo_data: true,
        ..Default::default()
    })
    .await;
    let email = "shopper@example.com";
    let variant: i64 = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT variant_id FROM inventory WHERE on_hand - reserved >= 10 ORDER BY variant_id LIMIT 1"
    ).fetch_one(pool).await).unwrap();
    let account = customer(&app, email).await;
    post(&app, &account, SignOut::PATH, &[]).await;

    // An account without a cart, and five guests with one each: at once, each sign-in would hand
    // the account its own guest cart, unless they take turns.
    let guests: Vec<reqwest::Client> = (0..5).map(|_| browser()).collect();
    for guest in &guests {
        post(
            &app,
            guest,
            AddToCart::PATH,
            &[("variant_id", &variant.to_string()), ("quantity", "1")],
        )
        .await;
    }
    let mut signing_in = tokio::task::JoinSet::new();
    for guest in &guests {
        let (guest, url) = (guest.clone(), app.url(SignIn::PATH));
        signing_in.spawn(async move {
            let form = [("email", email), ("password", PASSWORD)];
            guest.post(url).form(&form).send().await.unwrap()
        });
    }
    while let Some(response) = signing_in.join_next().await {
        let response = response.unwrap();
        assert_eq!(location(&response).as_deref(), Some("/account"));
    }
    let carts: Vec<(Option<i64>, i64)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT c.user_id, CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) FROM carts c
         LEFT JOIN cart_items i ON i.cart_id = c.id GROUP BY c.id, c.user_id"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(carts.len(), 1, "one cart, the account's: {carts:?}");
    assert_eq!(carts[0].1, 5, "every guest's line joined it");
    for guest in &guests {
        assert!(
            page_text(&app, guest, "/cart")
                .await
                .contains("aria-label=\"5 items in cart\"")
        );
    }
}

#[tokio::test]
async fn an_address_book_with_one_default_per_kind_that_only_its_owner_changes() {
    use emporium::accounts::api::{AddAddress, DeleteAddress, MakeDefaultAddress};
    let app = TestApp::spawn().await;
    let ada = customer(&app, "ada@example.com").await;
    let bob = customer(&app, "bob@example.com").await;
    let address = |name: &'static str, default: bool| {
        let mut form = vec![
            ("address[kind]", "shipping"),
            ("address[full_name]", name),
            ("address[line1]", "1 Analytical Way"),
            ("address[city]", "London"),
            ("address[postal_code]", "N1 7AA"),
            ("address[country]", "gb"),
        ];
        if default {
            form.push(("address[is_default]", "on"));
        }
        form
    };
    assert_eq!(
        post(&app, &ada, AddAddress::PATH, &address("Ada Home", false))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        post(&app, &ada, AddAddress::PATH, &address("Ada Work", true))
            .await
            .status(),
        StatusCode::OK
    );
    let mut bad = address("Ada", false);
    bad[5] = ("address[country]", "Britain");
    assert_eq!(
        post(&app, &ada, AddAddress::PATH, &bad).await.status(),
        StatusCode::BAD_REQUEST
    );

    let rows: Vec<(i64, String, bool, String)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, full_name, is_default, country FROM addresses ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].2, rows[1].2),
        (false, true),
        "the newest default replaces the old"
    );
    assert_eq!(rows[1].3, "GB");
    let home = rows[0].0.to_string();

    assert_eq!(
        status(&app, &bob, DeleteAddress::PATH, &[("address_id", &home)]).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(
            &app,
            &bob,
            MakeDefaultAddress::PATH,
            &[("address_id", &home)]
        )
        .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(
            &app,
            &ada,
            MakeDefaultAddress::PATH,
            &[("address_id", &home)]
        )
        .await,
        StatusCode::OK
    );
    let defaults: Vec<String> = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT full_name FROM addresses WHERE is_default"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(defaults, ["Ada Home"]);
    assert_eq!(
        status(&app, &ada, DeleteAddress::PATH, &[("address_id", &home)]).await,
        StatusCode::OK
    );
    let html = ada
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-testid=\"address\"").count(), 1);
}

#[tokio::test]
async fn privileged_actions_take_the_admins_password_again_and_count_wrong_ones() {
    use emporium::accounts::Role;
    use emporium::manage::api::{ChangeRole, CreateUser, DeleteUser};
    let app = TestApp::spawn().await;
    verified_user(&app, "root@example.com", Role::Admin).await;
    let admin = browser();
    sign_in(&app, &admin, "root@example.com", PASSWORD).await;
    let target = verified_user(&app, "target@example.com", Role::Customer)
        .await
        .to_string();
    let role_of_target = async || -> String {
        on_db!(&app.db, pool => sqlx::query_scalar(
            "SELECT r.name FROM users u JOIN roles r ON r.id = u.role_id WHERE u.email = 'target@example.com'"
        ).fetch_one(pool).await)
        .unwrap()
    };

    for password in ["", "not my password at all"] {
        let refused = post(
            &app,
            &admin,
            ChangeRole::PATH,
            &[
                ("user_id", &target),
                ("role", "admin"),
                ("current_password", password),
            ],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Your current password is not right.")
        );
    }
    let without = post(
        &app,
        &admin,
        ChangeRole::PATH,
        &[("user_id", &target), ("role", "admin")],
    )
    .await;
    assert_eq!(without.status(), StatusCode::BAD_REQUEST);
    let deleted = post(
        &app,
        &admin,
        DeleteUser::PATH,
        &[("user_id", &target), ("current_password", "wrong again!")],
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::BAD_REQUEST);
    let created = post(
        &app,
        &admin,
        CreateUser::PATH,
        &[
            ("email", "sneaky@example.com"),
            ("display_name", "Sneaky"),
            ("role", "admin"),
            ("current_password", "wrong again!"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::BAD_REQUEST);
    assert_eq!(role_of_target().await, "customer", "nothing changed");
    let sneaky: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'sneaky@example.com'")
        .fetch_one(pool).await).unwrap();
    assert_eq!(sneaky, 0);
    let audited: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(audited, 0);

    // Wrong passwords count as failed sign-ins from this client, so a taken-over session cannot
    // be used to guess the password; the right one clears them, as a sign-in does.
    let counted = subjects("root@example.com", "127.0.0.1").client;
    assert_eq!(failures(&app, &counted).await, 4);
    let promoted = post(
        &app,
        &admin,
        ChangeRole::PATH,
        &[
            ("user_id", &target),
            ("role", "support"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_eq!(role_of_target().await, "support");
    assert_eq!(failures(&app, &counted).await, 0);
}

#[tokio::test]
async fn staff_sign_ins_end_sooner_than_shoppers() {
    use emporium::accounts::Role;
    let app = TestApp::spawn().await;
    let sessions = crate::support::settings().sessions;
    let (staff_idle, staff_absolute) = sessions.lifetimes(true);
    let (shopper_idle, _) = sessions.lifetimes(false);
    assert!(staff_idle < shopper_idle);
    verified_user(&app, "staff@example.com", Role::Support).await;
    verified_user(&app, "shopper@example.com", Role::Customer).await;
    let staff = signed_in_browser(&app, "staff@example.com").await;
    let shopper = signed_in_browser(&app, "shopper@example.com").await;
    let clock = app.db.clock();

    clock.advance(staff_idle - chrono::Duration::minutes(2));
    assert_eq!(page_status(&app, &staff, "/manage").await, StatusCode::OK);
    clock.advance(staff_idle + chrono::Duration::minutes(1));
    assert_eq!(
        page_status(&app, &staff, "/manage").await,
        StatusCode::FOUND,
        "idle too long: signed out, so sent to sign in"
    );
    assert_eq!(signed_in_email(&app, &staff).await, None);
    assert_eq!(
        signed_in_email(&app, &shopper).await.as_deref(),
        Some("shopper@example.com"),
        "a shopper idle as long is still in"
    );

    // Never idle for long, a staff sign-in still ends when it has lasted its whole lifetime.
    let staff = signed_in_browser(&app, "staff@example.com").await;
    let step = staff_idle - chrono::Duration::minutes(1);
    let mut lasted = chrono::Duration::zero();
    while lasted + step < staff_absolute {
        clock.advance(step);
        lasted += step;
        assert!(
            signed_in_email(&app, &staff).await.is_some(),
            "active after {lasted}"
        );
    }
    clock.advance(step);
    assert_eq!(signed_in_email(&app, &staff).await, None, "however active");
    assert_eq!(
        signed_in_email(&app, &shopper).await.as_deref(),
        Some("shopper@example.com")
    );
}

#[tokio::test]
async fn an_admin_changes_roles_disables_and_deletes_with_an_audit_trail() {
    use emporium::accounts::{Role, password, repo};
    use emporium::manage::api::{ChangeRole, CreateUser, DeleteUser, SetUserDisabled};
    let app = TestApp::spawn().await;
    let hash = password::hash(PASSWORD.into()).await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    repo::insert_verified_user(&mut tx, "root@example.com", "Root", &hash, Role::Admin)
        .await
        .unwrap()
        .expect("a new address");
    tx.commit().await.unwrap();
    let admin = browser();
    sign_in(&app, &admin, "root@example.com", PASSWORD).await;

    let clerk = customer(&app, "clerk@example.com").await;
    let clerk_id: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'clerk@example.com'")
        .fetch_one(pool).await).unwrap();
    let id = clerk_id.to_string();
    assert_eq!(
        page_status(&app, &clerk, "/manage").await,
        StatusCode::FORBIDDEN
    );

    let promoted = post(
        &app,
        &admin,
        ChangeRole::PATH,
        &[
            ("user_id", &id),
            ("role", "support"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_eq!(
        signed_in_email(&app, &clerk).await,
        None,
        "a role change ends the user's sessions"
    );
    sign_in(&app, &clerk, "clerk@example.com", PASSWORD).await;
    assert_eq!(page_status(&app, &clerk, "/manage").await, StatusCode::OK);
    assert_eq!(
        page_status(&app, &clerk, "/manage/users").await,
        StatusCode::FORBIDDEN
    );

    let own = post(
        &app,
        &admin,
        SetUserDisabled::PATH,
        &[("user_id", "1"), ("disabled", "true")],
    )
    .await;
    assert_eq!(
        own.status(),
        StatusCode::BAD_REQUEST,
        "an admin cannot lock themselves out"
    );
    post(
        &app,
        &browser(),
        RequestPasswordReset::PATH,
        &[("email", "clerk@example.com")],
    )
    .await;
    let (template, body) = latest_mail(&app, "clerk@example.com").await.unwrap();
    assert_eq!(template, "reset_password");
    let reset_link = token_after(&body, "/account/reset/");
    post(
        &app,
        &admin,
        SetUserDisabled::PATH,
        &[("user_id", &id), ("disabled", "true")],
    )
    .await;
    assert_eq!(signed_in_email(&app, &clerk).await, None);
    let reset = post(
        &app,
        &browser(),
        ResetPassword::PATH,
        &[
            ("token", &reset_link),
            ("password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(
        reset.status(),
        StatusCode::BAD_REQUEST,
        "the link sent before disabling no longer works"
    );
    let refused = post(
        &app,
        &browser(),
        SignIn::PATH,
        &[("email", "clerk@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "disabled accounts cannot sign in"
    );

    let created = post(
        &app,
        &admin,
        CreateUser::PATH,
        &[
            ("email", "new.staff@example.com"),
            ("display_name", "New Staff"),
            ("role", "manager"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert!(location(&created).unwrap().starts_with("/manage/users/"));
    assert_eq!(
        latest_mail(&app, "new.staff@example.com").await.unwrap().0,
        "staff_invitation"
    );
    let again = post(
        &app,
        &admin,
        CreateUser::PATH,
        &[
            ("email", "new.staff@example.com"),
            ("display_name", "Again"),
            ("role", "manager"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let audit_of = async || -> Vec<(String, Option<String>, Option<String>)> {
        on_db!(&app.db, pool => sqlx::query_as(
            "SELECT action, before_data, after_data FROM audit_log WHERE entity_id = $1 ORDER BY id"
        ).bind(&id).fetch_all(pool).await)
        .unwrap()
    };
    let audit = audit_of().await;
    let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(actions, ["change_role", "disable"]);
    let (before, after) = (audit[0].1.clone().unwrap(), audit[0].2.clone().unwrap());
    assert!(before.contains("\"role\":\"customer\"") && after.contains("\"role\":\"support\""));

    post(
        &app,
        &admin,
        DeleteUser::PATH,
        &[("user_id", &id), ("current_password", PASSWORD)],
    )
    .await;
    let (email, name): (String, String) = on_db!(&app.db, pool => sqlx::query_as("SELECT email, display_name FROM users WHERE id = $1")
        .bind(clerk_id).fetch_one(pool).await).unwrap();
    assert_eq!(
        (email.as_str(), name.as_str()),
        (
            format!("deleted-{clerk_id}@invalid").as_str(),
            "Deleted account"
        )
    );
    assert_eq!(
        mail_count(&app, "clerk@example.com").await,
        0,
        "mail to them is gone too"
    );
    let audit = audit_of().await;
    let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["change_role", "disable", "delete"],
        "what was done stays"
    );
    assert!(
        audit
            .iter()
            .all(|(_, before, after)| before.is_none() && after.is_none()),
        "who it was done to goes"
    );
    let page = page_text(&app, &admin, &format!("/manage/users/{clerk_id}")).await;
    assert_eq!(page.matches("data-testid=\"audit-entry\"").count(), 3);
}

#[tokio::test]
async fn a_device_limit_ends_the_oldest_sign_in() {
    let app = TestApp::spawn_with_settings(|s| s.sessions.max_per_user = 2).await;
    let email = "two.devices@example.com";
    let first = customer(&app, email).await;
    let second = browser();
    sign_in(&app, &second, email, PASSWORD).await;
    assert!(signed_in_email(&app, &first).await.is_some());
    let third = browser();
    sign_in(&app, &third, email, PASSWORD).await;
    assert_eq!(
        signed_in_email(&app, &first).await,
        None,
        "the oldest sign-in ended"
    );
    assert!(signed_in_email(&app, &second).await.is_some());
    assert!(signed_in_email(&app, &third).await.is_some());
}

#[tokio::test]
async fn the_sign_ins_table_keeps_no_id_a_session_holds() {
    let app = TestApp::spawn().await;
    let email = "keys@example.com";
    let laptop = customer(&app, email).await;
    let phone = browser();
    sign_in(&app, &phone, email, PASSWORD).await;
    let keys: Vec<String> = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT session_id FROM user_sessions"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(keys.len(), 2);
    // What the cookie sessions hold, as stored: no sign-in key appears in it.
    let held: Vec<Vec<u8>> = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT data FROM sessions"
    ).fetch_all(pool).await)
    .unwrap();
    let held: Vec<String> = held
        .iter()
        .map(|data| String::from_utf8_lossy(data).into_owned())
        .collect();
    assert_eq!(held.len(), 2);
    for key in &keys {
        assert!(
            held.iter().all(|data| !data.contains(key.as_str())),
            "the table keeps a hash of each sign-in id, never the id"
        );
    }
    // Each device still sees its own sign-in as the current one, and can end the other.
    let page = page_text(&app, &laptop, "/account").await;
    assert_eq!(page.matches("This device").count(), 1, "{page}");
    assert_eq!(signed_in_email(&app, &phone).await.as_deref(), Some(email));
}

#[tokio::test]
async fn mail_sent_for_real_leaves_no_link_behind() {
    let (smtp, received) = crate::support::fake_smtp::start().await;
    let app = TestApp::spawn_with(crate::support::Options {
        vars: vec![("SMTP_URL", smtp)],
        ..Default::default()
    })
    .await;
    let email = "kept@example.com";
    post(
        &app,
        &browser(),
        SignUp::PATH,
        &[
            ("email", email),
            ("display_name", "K"),
            ("password", PASSWORD),
        ],
    )
    .await;
    app.until("the welcome mail is sent", || async {
        on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM email_outbox WHERE status = 'sent'"
        ).fetch_one(pool).await)
        .unwrap()
            == 1
    })
    .await;
    let delivered = received.0.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    // Quoted-printable: lines softly broken with a trailing '='.
    let unwrapped = delivered[0].replace("=\n", "");
    let token = token_after(&unwrapped, "/account/verify/");
    assert_eq!(
        token.len(),
        64,
        "the link went out in the message: {unwrapped}"
    );
    let kept: (String, String, String) = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT subject, body_text, body_html FROM email_outbox"
    ).fetch_one(pool).await)
    .unwrap();
    assert!(!kept.0.is_empty(), "what was sent, and when, is kept");
    assert_eq!(
        (kept.1.as_str(), kept.2.as_str()),
        ("", ""),
        "the link is not"
    );
}
