//! Shared catalog pages as shoppers with a session get them: the page kept for everyone with their
//! own account menu, cart count and hearts put in, never another shopper's.

use crate::support::browser::{PASSWORD, browser, post, sign_in, verified_user};
use crate::support::orders::add;
use crate::support::{SimpleProduct, TestApp, add_product};
use emporium::accounts::Role;
use emporium::accounts::api::EndOtherSessions;
use emporium::cart::api::AddToCart;
use emporium::manage::api::SetUserDisabled;
use emporium::on_db;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use std::io::Read;

/// A shop of two products, each in a category of its own; answers their (product, variant) ids.
async fn shop() -> (TestApp, [(i64, i64); 2]) {
    let app = TestApp::spawn().await;
    let mut ids = [(0, 0); 2];
    for (at, (category, slug, name)) in [
        ("lamps", "brass-lamp", "Brass lamp"),
        ("mugs", "tall-mug", "Tall mug"),
    ]
    .into_iter()
    .enumerate()
    {
        let variant = add_product(
            &app.db,
            &SimpleProduct {
                category_slug: category,
                slug,
                name,
                sku: slug,
                price_minor: 1250,
                on_hand: 20,
                low_stock_threshold: 5,
            },
        )
        .await;
        let product: i64 = on_db!(&app.db, pool => sqlx::query_scalar(
            "SELECT product_id FROM product_variants WHERE id = $1"
        ).bind(variant).fetch_one(pool).await)
        .unwrap();
        ids[at] = (product, variant);
    }
    (app, ids)
}

async fn signed_in(app: &TestApp, email: &str, role: Role) -> reqwest::Client {
    signed_in_with_cookie(app, email, role).await.0
}

/// A signed-in browser and its session cookie (`emporium_session=…`), to send by hand.
async fn signed_in_with_cookie(
    app: &TestApp,
    email: &str,
    role: Role,
) -> (reqwest::Client, String) {
    verified_user(app, email, role).await;
    let client = browser();
    let response = sign_in(app, &client, email, PASSWORD).await;
    assert!(response.status().is_redirection() || response.status().is_success());
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    (client, cookie)
}

/// A page as a client sending exactly `cookie` gets it.
async fn page_with_cookie(app: &TestApp, cookie: &[u8], path: &str) -> String {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .header("accept", "text/html")
        .header(
            "cookie",
            reqwest::header::HeaderValue::from_bytes(cookie).unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

async fn like(app: &TestApp, client: &reqwest::Client, product: i64, like: bool) {
    let response = crate::likes::like(app, client, product, like, "/products").await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A page as the client gets it, and whether it came whole from the shared pages (its policy
/// names its scripts' hashes) rather than rendered for this request (a nonce).
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (String, bool) {
    let response = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    (response.text().await.unwrap(), !csp.contains("'nonce-"))
}

/// What a page shows of the one asking.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    cart_count: u32,
    signed_in: bool,
    back_office: bool,
    /// Per product: each of its hearts on the page, as (pressed, count).
    hearts: Vec<Vec<(bool, i64)>>,
}

fn seen(html: &str, products: &[i64]) -> Seen {
    let badge = html
        .split("data-testid=\"cart-count\"")
        .nth(1)
        .expect("a cart count");
    let count = badge[badge.find('>').unwrap() + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>();
    let hearts = products
        .iter()
        .map(|product| {
            html.split(&format!("name=\"product_id\" value=\"{product}\""))
                .skip(1)
                .map(|form| {
                    let form = &form[..form.find("</form>").unwrap()];
                    let pressed = form.contains("aria-pressed=\"true\"");
                    let count = form
                        .split("data-testid=\"like-count\"")
                        .nth(1)
                        .and_then(|rest| rest.split_once('>'))
                        .unwrap_or_else(|| panic!("a like count in {form}"))
                        .1;
                    let count: String = count.chars().take_while(char::is_ascii_digit).collect();
                    (pressed, count.parse().unwrap())
                })
                .collect()
        })
        .collect();
    Seen {
        cart_count: count.parse().unwrap(),
        signed_in: html.contains(">Sign out</button>"),
        back_office: html.contains("href=\"/manage\""),
        hearts,
    }
}

#[tokio::test]
async fn each_shopper_gets_the_shared_pages_with_their_own_cart_menu_and_hearts() {
    let (app, [(lamp, lamp_variant), (mug, mug_variant)]) = shop().await;
    let (ada, ada_cookie) = signed_in_with_cookie(&app, "ada@example.com", Role::Customer).await;
    let bo = signed_in(&app, "bo@example.com", Role::Manager).await;
    let guest = browser();
    let visitor = reqwest::Client::new();
    like(&app, &ada, lamp, true).await;
    add(&app, &ada, lamp_variant, 2).await;
    like(&app, &bo, mug, true).await;
    add(&app, &guest, mug_variant, 12).await;

    let products = [lamp, mug];
    let expect = |cart_count, signed_in, back_office, liked: [bool; 2]| {
        (
            cart_count,
            signed_in,
            back_office,
            [(liked[0], 1), (liked[1], 1)],
        )
    };
    let shoppers = [
        (&ada, expect(2, true, false, [true, false])),
        (&bo, expect(0, true, true, [false, true])),
        (&guest, expect(12, false, false, [false, false])),
        (&visitor, expect(0, false, false, [false, false])),
    ];
    // Interleaved, page after page, so that a part left over from one shopper would show on the next.
    for round in 0..5 {
        for path in ["/", "/products", "/c/lamps", "/p/brass-lamp", "/p/tall-mug"] {
            for (client, (cart_count, signed_in, back_office, hearts)) in &shoppers {
                let (html, shared) = page(&app, client, path).await;
                assert!(shared, "{path} comes from the shared pages");
                let seen = seen(&html, &products);
                let context = format!("round {round}, {path}: {seen:?}");
                assert_eq!(seen.cart_count, *cart_count, "{context}");
                assert_eq!(seen.signed_in, *signed_in, "{context}");
                assert_eq!(seen.back_office, *back_office, "{context}");
                for (shown, expected) in seen.hearts.iter().zip(hearts) {
                    assert!(shown.iter().all(|heart| heart == expected), "{context}");
                }
                assert!(
                    seen.hearts.iter().any(|hearts| !hearts.is_empty()),
                    "{context}: hearts shown"
                );
            }
        }
    }

    // Ada takes her like back: her pages show it at once, and everyone's count with it.
    like(&app, &ada, lamp, false).await;
    for client in [&ada, &bo] {
        let (html, shared) = page(&app, client, "/p/brass-lamp").await;
        assert!(shared);
        assert_eq!(seen(&html, &products).hearts[0], [(false, 0)]);
    }

    // Signed out, the pages show nothing of her.
    let response = ada
        .post(app.url(emporium::accounts::api::SignOut::PATH))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection() || response.status().is_success());
    let (html, _) = page(&app, &ada, "/products").await;
    let after = seen(&html, &products);
    assert_eq!((after.cart_count, after.signed_in), (0, false));
    assert!(after.hearts.iter().flatten().all(|(pressed, _)| !pressed));
    // The cookie she had, sent again, opens nothing: the sign-out ended the session on the server.
    let replayed = page_with_cookie(&app, ada_cookie.as_bytes(), "/products").await;
    let replayed = seen(&replayed, &products);
    assert_eq!((replayed.cart_count, replayed.signed_in), (0, false));
}

#[tokio::test]
async fn a_page_for_a_cookie_the_shop_reads_otherwise_is_never_shared() {
    let (app, [(lamp, lamp_variant), _]) = shop().await;
    let (ada, cookie) = signed_in_with_cookie(&app, "ada@example.com", Role::Customer).await;
    like(&app, &ada, lamp, true).await;
    add(&app, &ada, lamp_variant, 4).await;
    // The session beside a cookie that is not plain ASCII, and under a percent-encoded name: each
    // a first request for the page, which is then kept.
    let (name, id) = cookie.split_once('=').unwrap();
    let odd = [
        format!("pref=caf\u{e9}; {cookie}").into_bytes(),
        format!("{}={id}", name.replace('_', "%5F")).into_bytes(),
    ];
    for (at, cookie) in odd.iter().enumerate() {
        let path = ["/products", "/p/brass-lamp"][at];
        page_with_cookie(&app, cookie, path).await;
        let (html, shared) = page(&app, &reqwest::Client::new(), path).await;
        assert!(shared, "{path}");
        let seen = seen(&html, &[lamp]);
        assert_eq!((seen.cart_count, seen.signed_in), (0, false), "{path}");
        assert!(
            seen.hearts.iter().flatten().all(|(pressed, _)| !pressed),
            "{path}"
        );
    }
}

/// The fewest queries a page costs over a few requests after a first, so that a background job's
/// query cannot count.
async fn queries(app: &TestApp, client: &reqwest::Client, path: &str) -> u64 {
    page(app, client, path).await;
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = app.db.queries_made();
        let (_, shared) = page(app, client, path).await;
        assert!(shared, "{path}");
        fewest = fewest.min(app.db.queries_made() - before);
    }
    fewest
}

#[tokio::test]
async fn a_shared_page_costs_no_query_once_the_session_is_known() {
    let (app, [(lamp, lamp_variant), _]) = shop().await;
    let ada = signed_in(&app, "ada@example.com", Role::Customer).await;
    like(&app, &ada, lamp, true).await;
    add(&app, &ada, lamp_variant, 1).await;
    let guest = browser();
    add(&app, &guest, lamp_variant, 1).await;
    let visitor = reqwest::Client::new();

    for path in ["/", "/products", "/p/brass-lamp"] {
        assert_eq!(
            queries(&app, &visitor, path).await,
            0,
            "{path}: a visitor's page"
        );
        // Who she is, her cart's count and her likes were read for her first page.
        assert_eq!(
            queries(&app, &ada, path).await,
            0,
            "{path}: a signed-in page"
        );
        assert_eq!(
            queries(&app, &guest, path).await,
            0,
            "{path}: a guest's page"
        );
    }
    // A change to her cart is read again once, on the next page.
    add(&app, &ada, lamp_variant, 1).await;
    let before = app.db.queries_made();
    let (html, _) = page(&app, &ada, "/products").await;
    assert!(app.db.queries_made() > before);
    assert_eq!(seen(&html, &[lamp]).cart_count, 2);
}

#[tokio::test]
async fn a_known_session_shows_each_change_to_it_at_once() {
    let (app, [(lamp, lamp_variant), (mug, _)]) = shop().await;
    let products = [lamp, mug];
    let ada = signed_in(&app, "ada@example.com", Role::Customer).await;
    let other_device = browser();
    sign_in(&app, &other_device, "ada@example.com", PASSWORD).await;
    let admin = signed_in(&app, "root@example.com", Role::Admin).await;
    let ada_id: i64 = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM users WHERE email = 'ada@example.com'"
    ).fetch_one(pool).await)
    .unwrap();
    let shown = async |client: &reqwest::Client| {
        let (html, shared) = page(&app, client, "/products").await;
        assert!(shared);
        seen(&html, &products)
    };
    assert_eq!(queries(&app, &ada, "/products").await, 0);

    add(&app, &ada, lamp_variant, 2).await;
    assert_eq!(shown(&ada).await.cart_count, 2);
    // Her like shows on her page and, with its count, on everyone's.
    like(&app, &ada, mug, true).await;
    assert_eq!(
        shown(&ada).await.hearts,
        [vec![(false, 0)], vec![(true, 1)]]
    );
    let visitor = shown(&reqwest::Client::new()).await;
    assert_eq!(visitor.hearts, [vec![(false, 0)], vec![(false, 1)]]);

    // From her other device she ends her other sign-ins: this one is signed out at once.
    let ended = post(&app, &other_device, EndOtherSessions::PATH, &[]).await;
    assert!(ended.status().is_success() || ended.status().is_redirection());
    let after = shown(&ada).await;
    assert_eq!((after.signed_in, after.cart_count), (false, 0));
    assert!(after.hearts.iter().flatten().all(|(pressed, _)| !pressed));

    // Signed in again she has her cart and likes back, until an admin disables her account.
    sign_in(&app, &ada, "ada@example.com", PASSWORD).await;
    let back = shown(&ada).await;
    assert_eq!((back.signed_in, back.cart_count), (true, 2));
    assert_eq!(back.hearts[1], [(true, 1)]);
    let disabled = post(
        &app,
        &admin,
        SetUserDisabled::PATH,
        &[("user_id", &ada_id.to_string()), ("disabled", "true")],
    )
    .await;
    assert!(disabled.status().is_success());
    assert!(!shown(&ada).await.signed_in);
    assert!(!shown(&other_device).await.signed_in);
}

#[tokio::test]
async fn a_known_sign_in_still_grows_idle() {
    let (app, [(lamp, _), _]) = shop().await;
    let clerk = signed_in(&app, "clerk@example.com", Role::Support).await;
    assert_eq!(queries(&app, &clerk, "/products").await, 0);
    let (html, _) = page(&app, &clerk, "/products").await;
    assert!(seen(&html, &[lamp]).back_office);
    // Nothing changes it, but a staff sign-in lasts only so long without a request.
    let settings = crate::support::settings();
    let (idle, _) = settings.sessions.lifetimes(true);
    app.advance(idle + chrono::Duration::minutes(1)).await;
    let (html, _) = page(&app, &clerk, "/products").await;
    assert!(!seen(&html, &[lamp]).signed_in);
}

#[tokio::test]
async fn a_change_made_through_one_process_shows_on_a_session_known_to_another() {
    let (first, [(lamp, lamp_variant), _]) = shop().await;
    if first.db.engine() == emporium::server::db::Engine::Sqlite {
        // Several shop processes share a database only on PostgreSQL.
        return;
    }
    let second = TestApp::spawn_with(crate::support::Options {
        database_url: Some(first.database_url.clone()),
        ..Default::default()
    })
    .await;
    let mut announced = second.db.announcements();
    // One browser, its requests spread over both processes as a load balancer would.
    let ada = signed_in(&first, "ada@example.com", Role::Customer).await;
    let shown = async || {
        let (html, shared) = page(&second, &ada, "/products").await;
        assert!(shared);
        seen(&html, &[lamp])
    };
    assert_eq!(queries(&second, &ada, "/products").await, 0);
    assert_eq!(shown().await.cart_count, 0);

    let mut wait_for = async |what: &str, done: &dyn Fn(&Seen) -> bool| {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if done(&shown().await) {
                break;
            }
            assert!(
                tokio::time::timeout_at(deadline, announced.changed())
                    .await
                    .is_ok_and(|changed| changed.is_ok()),
                "the second process does not show {what} after 60 s"
            );
        }
    };
    add(&first, &ada, lamp_variant, 3).await;
    wait_for("the cart's new count", &|seen| seen.cart_count == 3).await;
    let signed_out = ada
        .post(first.url(emporium::accounts::api::SignOut::PATH))
        .send()
        .await
        .unwrap();
    assert!(signed_out.status().is_redirection() || signed_out.status().is_success());
    wait_for("the sign-out", &|seen| {
        !seen.signed_in && seen.cart_count == 0
    })
    .await;
}

#[tokio::test]
async fn a_shoppers_page_is_compressed_when_the_browser_takes_it() {
    let (app, [(lamp, lamp_variant), _]) = shop().await;
    let guest = browser();
    add(&app, &guest, lamp_variant, 3).await;
    // Kept parts only for the guest; for Ada, a part rendered for her alone: a count above the
    // kept ones.
    let ada = signed_in(&app, "ada@example.com", Role::Customer).await;
    add(&app, &ada, lamp_variant, 12).await;
    page(&app, &guest, "/products").await;
    like(&app, &ada, lamp, true).await;
    for (client, count) in [(&guest, "3"), (&ada, "12")] {
        let (plain, shared) = page(&app, client, "/products").await;
        assert!(shared);
        let response = client
            .get(app.url("/products"))
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], "gzip");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let mut html = String::new();
        flate2::read::GzDecoder::new(&response.bytes().await.unwrap()[..])
            .read_to_string(&mut html)
            .unwrap();
        assert_eq!(html, plain);
        assert!(html.contains(&format!("aria-label=\"{count} items in cart\"")));
    }
    let (html, _) = page(&app, &ada, "/products").await;
    assert_eq!(seen(&html, &[lamp]).hearts[0], [(true, 1)]);
}

#[tokio::test]
async fn a_forms_success_is_said_once_on_the_page_it_returns_to() {
    let (app, [(_, lamp_variant), _]) = shop().await;
    let guest = browser();
    add(&app, &guest, lamp_variant, 1).await;
    let added = guest
        .post(app.url(AddToCart::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/p/brass-lamp"))
        .form(&[
            ("variant_id", lamp_variant.to_string()),
            ("quantity", "1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::FOUND);
    // Rendered for this request, which says what happened; the next is the shared page again.
    let (html, shared) = page(&app, &guest, "/p/brass-lamp").await;
    assert!(html.contains("Added to your cart.") && !shared);
    let (html, shared) = page(&app, &guest, "/p/brass-lamp").await;
    assert!(!html.contains("Added to your cart.") && shared);
    assert!(html.contains("aria-label=\"2 items in cart\""));
}
