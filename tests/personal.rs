//! Shared catalog pages as shoppers with a session get them: the page kept for everyone with their
//! own account menu, cart count and hearts put in, never another shopper's.

use crate::support::browser::{PASSWORD, browser, sign_in, verified_user};
use crate::support::orders::add;
use crate::support::{SimpleProduct, TestApp, add_product};
use emporium::accounts::Role;
use emporium::cart::api::AddToCart;
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

    // Ada takes her like back: her pages show it at once, the count with it, though the page
    // everyone shares still counts it until it is renewed.
    like(&app, &ada, lamp, false).await;
    let (html, shared) = page(&app, &ada, "/p/brass-lamp").await;
    assert!(shared);
    assert_eq!(seen(&html, &products).hearts[0], [(false, 0)]);

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

#[tokio::test]
async fn a_shared_page_costs_no_query_and_a_signed_in_shoppers_three() {
    let (app, [(lamp, lamp_variant), _]) = shop().await;
    let ada = signed_in(&app, "ada@example.com", Role::Customer).await;
    like(&app, &ada, lamp, true).await;
    add(&app, &ada, lamp_variant, 1).await;
    let guest = browser();
    add(&app, &guest, lamp_variant, 1).await;
    let visitor = reqwest::Client::new();

    // The fewest queries over a few requests, so that a background job's query cannot count.
    let queries = async |client: &reqwest::Client, path: &str| {
        page(&app, client, path).await;
        let mut fewest = u64::MAX;
        for _ in 0..5 {
            let before = app.db.queries_made();
            let (_, shared) = page(&app, client, path).await;
            assert!(shared, "{path}");
            fewest = fewest.min(app.db.queries_made() - before);
        }
        fewest
    };
    for path in ["/", "/products", "/p/brass-lamp"] {
        assert_eq!(queries(&visitor, path).await, 0, "{path}: a visitor's page");
        // Who she is (her sign-in, account and permissions), her cart's count, her hearts.
        assert_eq!(queries(&ada, path).await, 3, "{path}: a signed-in page");
        assert_eq!(
            queries(&guest, path).await,
            1,
            "{path}: a guest's cart count"
        );
    }
}

#[tokio::test]
async fn a_shoppers_page_is_compressed_when_the_browser_takes_it() {
    let (app, [(lamp, lamp_variant), _]) = shop().await;
    let guest = browser();
    add(&app, &guest, lamp_variant, 3).await;
    // Kept parts only for the guest; for Ada, parts rendered for her alone: a count above the
    // kept ones, and a heart whose count moved since the page was kept.
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
