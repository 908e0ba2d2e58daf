//! The HTTP surface: probes, pages, static files, headers and limits.

use crate::support::{Options, TestApp, scratch_dir};
use emporium::catalog::repo;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY};

#[tokio::test]
async fn liveness_and_readiness_probes_answer() {
    let app = TestApp::spawn().await;
    let live = app.get("/healthz").await;
    assert_eq!(live.status(), StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "the process itself is still up"
    );
}

#[tokio::test]
async fn home_page_renders_the_catalog_from_the_database() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let featured = repo::featured(&app.db, 8).await.unwrap();
    let newest = repo::newest(&app.db, 8).await.unwrap();
    let categories = repo::category_tree(&app.db).await.unwrap();
    assert_eq!(featured.len(), 8);
    assert!(newest.len() == 8 && categories.len() >= 2);

    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    for product in featured.iter().chain(&newest) {
        assert!(
            html.contains(&product.name),
            "{} missing from the home page",
            product.name
        );
        assert!(html.contains(&format!("href=\"/p/{}\"", product.slug)));
        assert!(html.contains(&product.price.to_string().replace('&', "&amp;")));
    }
    for category in &categories {
        assert!(html.contains(&format!("href=\"/c/{}\"", category.slug)));
    }
    assert!(
        html.contains("<title>Emporium"),
        "the page has its title in the server-rendered head"
    );
    assert!(html.contains("data-testid=\"cart-count\""));
}

#[tokio::test]
async fn pages_carry_a_strict_csp_whose_nonce_matches_the_scripts() {
    let app = TestApp::spawn().await;
    // A page rendered for each request; shared catalog pages, also as shoppers with a session
    // get them, carry their scripts' hashes instead (tests/cache.rs, tests/personal.rs).
    let rendered = async || app.client.get(app.url("/cart")).send().await.unwrap();
    let response = rendered().await;
    let csp = response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("frame-src 'none'"));
    assert!(
        !csp.contains("stripe.com"),
        "only the card step may reach Stripe: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    let html = response.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("<script nonce=\"{nonce}\"")).count()
            + html
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count(),
        scripts
    );

    let second = rendered().await.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(csp, second, "each response gets a new nonce");
}

#[tokio::test]
async fn responses_have_request_ids_and_security_headers() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");

    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        given.headers()["x-request-id"],
        "trace-me-42",
        "a caller's request id is kept"
    );
    assert!(
        !response.headers().contains_key("strict-transport-security"),
        "plain HTTP in development makes no promise of HTTPS"
    );
    let secure = TestApp::spawn_with(Options {
        vars: vec![("SECURE_COOKIES", "true".into())],
        ..Options::default()
    })
    .await;
    let response = secure.get("/healthz").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}

#[tokio::test]
async fn what_may_be_one_persons_own_is_never_stored_by_a_cache() {
    use emporium::cart::api::{AddToCart, CartCount};
    use leptos::server_fn::ServerFn;
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let policy = |response: &reqwest::Response| {
        response
            .headers()
            .get(CACHE_CONTROL)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let no_store = Some("no-store".to_owned());
    // A shared page is everyone's: kept for back and forward, asked for again before reuse.
    let shared = reqwest::Client::new()
        .get(app.url("/products"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(shared.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(policy(&shared).as_deref(), Some("no-cache"));
    let server_fn = reqwest::Client::new()
        .get(app.url(CartCount::PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(policy(&server_fn), no_store);
    // Pages without a session may still be one person's: an order opened from its emailed link.
    for path in ["/orders/EM-2026-000001?key=secret", "/account/reset/token"] {
        let response = reqwest::Client::new()
            .get(app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(policy(&response), no_store, "{path}");
    }

    // The first add to cart starts a session: its answer, and every page after it, is the
    // shopper's own.
    let variant: i64 = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT variant_id FROM inventory WHERE on_hand > 0 LIMIT 1"
    ).fetch_one(pool).await)
    .unwrap();
    let added = app
        .client
        .post(app.url(AddToCart::PATH))
        .form(&[
            ("variant_id", variant.to_string()),
            ("quantity", "1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert!(added.headers().contains_key("set-cookie"));
    assert_eq!(policy(&added), no_store);
    for path in ["/products", "/cart", "/account/login"] {
        assert_eq!(policy(&app.get(path).await), no_store, "{path}");
    }
    // Built files keep their own long-lived policy.
    let favicon = app.get("/favicon.svg").await;
    assert!(policy(&favicon).unwrap().starts_with("public"));
}

#[tokio::test]
async fn unknown_paths_get_the_styled_not_found_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(
        html.contains("Back to the shop") && html.contains("role=\"search\""),
        "inside the shop's shell"
    );
}

#[tokio::test]
async fn html_is_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    for encoding in ["br", "gzip"] {
        let response = app
            .client
            .get(app.url("/"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_ENCODING], encoding);
    }
    // A page rendered for one request (a parameter it does not read keeps it unshared) is
    // compressed the cheap way, whatever else the browser accepts.
    let response = app
        .client
        .get(app.url("/?utm_source=mail"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn hashed_build_output_is_cached_for_a_year_and_public_files_briefly() {
    let site = scratch_dir("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/emporium.Abc123.css"), "body{}").unwrap();
    std::fs::write(
        site.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let app = TestApp::spawn_with(Options {
        site_root: Some(site),
        ..Options::default()
    })
    .await;

    let css = app.get("/pkg/emporium.Abc123.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(
        css.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );

    let favicon = app.get("/favicon.svg").await;
    assert_eq!(favicon.status(), StatusCode::OK);
    assert_eq!(favicon.headers()[CACHE_CONTROL], "public, max-age=3600");

    assert_eq!(
        app.get("/pkg/missing.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn product_media_is_served_from_the_media_dir() {
    let app = TestApp::spawn().await;
    std::fs::create_dir_all(app.media_dir.join("products")).unwrap();
    std::fs::write(
        app.media_dir.join("products/mug.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let response = app.get("/media/products/mug.svg").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(response.headers()[CACHE_CONTROL], "public, max-age=86400");
    assert_eq!(
        app.get("/media/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The refusal comes from the declared length, before any of the body is read,
/// so the test declares it and reads the answer without sending the body: a
/// client still writing when the server closes would see a broken pipe instead.
#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let limit = crate::support::settings().http.body_limit_bytes;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/anything HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        limit + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(status_line, "HTTP/1.1 413 Payload Too Large");
}

#[tokio::test]
async fn header_cart_count_is_zero_for_a_new_visitor_and_sets_no_cookie() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no session until there is something to keep"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("aria-label=\"0 items in cart\""));
}

#[tokio::test]
async fn a_panicking_handler_answers_with_the_error_page() {
    use tower::ServiceExt;
    // A route that panics, behind the same layers every route of the shop has.
    let router = emporium::server::http::every_response(
        axum::Router::new().route(
            "/boom",
            axum::routing::get(|| async {
                let lines: Vec<&str> = Vec::new();
                lines[3].to_owned()
            }),
        ),
        &crate::support::settings().http,
    );
    let response = router
        .oneshot(
            axum::http::Request::get("/boom")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    let html = String::from_utf8_lossy(&body);
    assert!(html.contains("Something went wrong on our side"), "{html}");
    assert!(!html.contains("index out of bounds"), "{html}");
}

#[test]
fn one_time_tokens_never_reach_the_log() {
    use emporium::server::http::loggable_path;
    assert_eq!(
        loggable_path("/account/reset/s3cr3t"),
        "/account/reset/[redacted]"
    );
    assert_eq!(
        loggable_path("/account/verify/abc"),
        "/account/verify/[redacted]"
    );
    assert_eq!(loggable_path("/p/mug"), "/p/mug");
}

#[tokio::test]
async fn a_form_post_gives_no_session_to_a_visitor_who_has_none() {
    use emporium::accounts::api::RequestPasswordReset;
    use leptos::server_fn::ServerFn;
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url(RequestPasswordReset::PATH))
        .header("accept", "text/html")
        .header("origin", app.url(""))
        .header("referer", app.url("/account/forgot"))
        .form(&[("email", "nobody@example.com")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection());
    assert!(
        response.headers().get("set-cookie").is_none(),
        "the visitor keeps getting shared pages"
    );
}

#[tokio::test]
async fn the_sessions_table_holds_no_session_id_a_cookie_could_carry() {
    use emporium::cart::api::{AddToCart, CartCount};
    use leptos::server_fn::ServerFn;
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let variant: i64 = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT variant_id FROM inventory WHERE on_hand > 0 LIMIT 1"
    ).fetch_one(pool).await)
    .unwrap();
    let added = reqwest::Client::new()
        .post(app.url(AddToCart::PATH))
        .form(&[
            ("variant_id", variant.to_string()),
            ("quantity", "2".into()),
        ])
        .send()
        .await
        .unwrap();
    let cookie = added.headers()["set-cookie"].to_str().unwrap().to_owned();
    let id = cookie
        .strip_prefix("emporium_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let stored: Vec<String> = emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM sessions"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], id, "kept under a hash of the id");

    // The cookie still opens the session: its cart counts two.
    let count = reqwest::Client::new()
        .get(app.url(CartCount::PATH))
        .header("cookie", format!("emporium_session={id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "2");
    // The stored value as a cookie opens nothing.
    let forged = reqwest::Client::new()
        .get(app.url(CartCount::PATH))
        .header("cookie", format!("emporium_session={}", stored[0]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(forged, "0");
}
