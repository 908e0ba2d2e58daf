//! Who the client is: the development mailbox answers only this machine, and forwarding headers
//! count only from trusted proxies, for the mailbox and for the rate limits alike.

use crate::support::{Options, TestApp, settings};
use emporium::cart::api::AddToCart;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn app_with(vars: &[(&'static str, &str)], write_requests: u32) -> TestApp {
    let mut settings = settings();
    settings.limits.write_requests = write_requests;
    TestApp::spawn_with(Options {
        settings: Some(settings),
        vars: vars
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect(),
        ..Options::default()
    })
    .await
}

/// The status of `path` for a request carrying these headers.
async fn status(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut request = reqwest::Client::new().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

const SOMEONE: &str = "203.0.113.9";

#[tokio::test]
async fn the_mailbox_answers_only_this_machine_unless_the_demo_is_public() {
    use emporium::accounts::api::SignUp;
    let behind_proxy = app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")], 100).await;
    // A mail to read: a sign-up's welcome.
    reqwest::Client::new()
        .post(behind_proxy.url(SignUp::PATH))
        .form(&[
            ("email", "ada@example.com"),
            ("display_name", "Ada"),
            ("password", crate::support::browser::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let id: i64 = emporium::on_db!(&behind_proxy.db, pool => sqlx::query_scalar(
        "SELECT id FROM email_outbox"
    ).fetch_one(pool).await)
    .unwrap();
    let message = format!("/dev/mailbox/{id}");
    for path in ["/dev/mailbox", message.as_str()] {
        assert_eq!(
            status(&behind_proxy, path, &[]).await,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            status(&behind_proxy, path, &[("x-forwarded-for", SOMEONE)]).await,
            StatusCode::NOT_FOUND,
            "{path}: a visitor from elsewhere, through the proxy"
        );
        // The proxy writes X-Forwarded-For and passes a client's own Forwarded header on.
        let spoof = [("forwarded", "for=127.0.0.1"), ("x-forwarded-for", SOMEONE)];
        assert_eq!(
            status(&behind_proxy, path, &spoof).await,
            StatusCode::NOT_FOUND,
            "{path}: Forwarded is not the header the proxy writes"
        );
    }

    // Without trusted proxies, a forwarding header means a proxy the shop was not told about:
    // whoever is behind it, it is not this machine.
    let direct = app_with(&[], 100).await;
    assert_eq!(status(&direct, "/dev/mailbox", &[]).await, StatusCode::OK);
    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        assert_eq!(
            status(&direct, "/dev/mailbox", &[(header, SOMEONE)]).await,
            StatusCode::NOT_FOUND,
            "{header}"
        );
    }

    let public = app_with(
        &[("TRUSTED_PROXIES", "127.0.0.1/32"), ("PUBLIC_DEMO", "true")],
        100,
    )
    .await;
    assert_eq!(
        status(&public, "/dev/mailbox", &[("x-forwarded-for", SOMEONE)]).await,
        StatusCode::OK
    );
}

/// Posts a write (an add to cart of nothing) as forwarded for `client`.
async fn write(app: &TestApp, client: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.url(AddToCart::PATH))
        .header("x-forwarded-for", client)
        .form(&[("variant_id", "999999"), ("quantity", "1")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn forged_forwarding_headers_do_not_escape_the_write_limit() {
    let direct = app_with(&[], 3).await;
    for n in 0..3 {
        assert_ne!(
            write(&direct, &format!("198.51.100.{n}")).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(
        write(&direct, "198.51.100.99").await,
        StatusCode::TOO_MANY_REQUESTS,
        "one client, whatever it claims"
    );

    // Behind a trusted proxy each client has its own count.
    let behind_proxy = app_with(&[("TRUSTED_PROXIES", "127.0.0.1, ::1")], 3).await;
    for n in 0..4 {
        assert_ne!(
            write(&behind_proxy, &format!("198.51.100.{n}")).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    for _ in 0..2 {
        write(&behind_proxy, "198.51.100.0").await;
    }
    assert_eq!(
        write(&behind_proxy, "198.51.100.0").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
