//! A browser as the tests drive one: cookies kept, redirects not followed; accounts made and signed
//! in through the shop's own server functions, and the mail the shop sent them.

use super::TestApp;
use emporium::accounts::api::{ConfirmEmail, SignIn, SignUp};
use emporium::on_db;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

pub const PASSWORD: &str = "correct horse battery";

/// An account that can sign in at once, with `PASSWORD`.
pub async fn verified_user(app: &TestApp, email: &str, role: emporium::accounts::Role) -> i64 {
    let hash = emporium::accounts::password::hash(PASSWORD.into())
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let id = emporium::accounts::repo::insert_verified_user(&mut tx, email, "Someone", &hash, role)
        .await
        .unwrap()
        .expect("a new address");
    tx.commit().await.unwrap();
    id
}

/// A browser signed in as a new, confirmed account with `role`.
pub async fn signed_in_as(
    app: &TestApp,
    email: &str,
    role: emporium::accounts::Role,
) -> reqwest::Client {
    verified_user(app, email, role).await;
    signed_in_browser(app, email).await
}

pub async fn signed_in_browser(app: &TestApp, email: &str) -> reqwest::Client {
    let client = browser();
    sign_in(app, &client, email, PASSWORD).await;
    client
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36")
        .build()
        .unwrap()
}

pub async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

pub async fn status(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> StatusCode {
    post(app, client, path, form).await.status()
}

pub async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    post(
        app,
        client,
        SignIn::PATH,
        &[("email", email), ("password", password)],
    )
    .await
}

/// A page as a browser asks for it.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
}

pub async fn page_status(app: &TestApp, client: &reqwest::Client, path: &str) -> StatusCode {
    page(app, client, path).await.status()
}

/// The HTML of a page as this browser gets it.
pub async fn page_text(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    page(app, client, path).await.text().await.unwrap()
}

pub fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

/// The newest message to `to` written to the outbox: (template, text body).
pub async fn latest_mail(app: &TestApp, to: &str) -> Option<(String, String)> {
    on_db!(&app.db, pool => sqlx::query_as(
        "SELECT template, body_text FROM email_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1"
    ).bind(to).fetch_optional(pool).await).unwrap()
}

pub async fn mail_count(app: &TestApp, to: &str) -> i64 {
    on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE to_address = $1")
        .bind(to).fetch_one(pool).await).unwrap()
}

/// The token of the first link to `prefix` in a message body.
pub fn token_after(body: &str, prefix: &str) -> String {
    let start = body.find(prefix).expect("the link is in the mail") + prefix.len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Signs up and confirms the address; the returned browser is signed in.
pub async fn customer(app: &TestApp, email: &str) -> reqwest::Client {
    let client = browser();
    let response = post(
        app,
        &client,
        SignUp::PATH,
        &[
            ("email", email),
            ("display_name", "Ada"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let (template, body) = latest_mail(app, email).await.expect("welcome mail");
    assert_eq!(template, "welcome");
    let token = token_after(&body, "/account/verify/");
    let confirmed = post(app, &client, ConfirmEmail::PATH, &[("token", &token)]).await;
    assert_eq!(
        location(&confirmed).as_deref(),
        Some("/account?notice=verified")
    );
    client
}

pub async fn signed_in_email(app: &TestApp, client: &reqwest::Client) -> Option<String> {
    let response = client.get(app.url("/account")).send().await.unwrap();
    if response.status() != StatusCode::OK {
        return None;
    }
    let html = response.text().await.unwrap();
    let marker = "Signed in as <strong>";
    html.find(marker).map(|start| {
        let rest = &html[start + marker.len()..];
        rest[..rest.find('<').unwrap()].to_owned()
    })
}
