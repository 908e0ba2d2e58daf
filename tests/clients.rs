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

/// The mailbox's status for a request that says it was forwarded for `forwarded_for`.
async fn mailbox(app: &TestApp, forwarded_for: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new().get(app.url("/dev/mailbox"));
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.unwrap().status()
}

const SOMEONE: &str = "203.0.113.9";

#[tokio::test]
async fn the_mailbox_answers_only_this_machine_unless_the_demo_is_public() {
    let behind_proxy = app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")], 100).await;
    assert_eq!(mailbox(&behind_proxy, None).await, StatusCode::OK);
    assert_eq!(
        mailbox(&behind_proxy, Some(SOMEONE)).await,
        StatusCode::NOT_FOUND,
        "a visitor from elsewhere, through the proxy"
    );
    let response = reqwest::get(behind_proxy.url("/dev/mailbox/1"))
        .await
        .unwrap();
    assert_ne!(response.status(), StatusCode::OK);

    // Without trusted proxies the header is the client's own say-so: the peer is loopback.
    let direct = app_with(&[], 100).await;
    assert_eq!(mailbox(&direct, Some(SOMEONE)).await, StatusCode::OK);

    let public = app_with(
        &[("TRUSTED_PROXIES", "127.0.0.1/32"), ("PUBLIC_DEMO", "true")],
        100,
    )
    .await;
    assert_eq!(mailbox(&public, Some(SOMEONE)).await, StatusCode::OK);
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
