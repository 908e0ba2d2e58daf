//! The authorization matrix: every server function and every page, called as each kind of actor,
//! with the outcome each must get. A server function or page without a row fails the test, so
//! nothing new ships without a decision about who may use it.

use crate::support::browser::{PASSWORD, browser, sign_in, verified_user as user};
use crate::support::{Options, TestApp};
use emporium::accounts::api as accounts;
use emporium::accounts::{Role, repo};
use emporium::cart::api as cart;
use emporium::catalog::api as catalog;
use emporium::catalog::likes;
use emporium::catalog::listing::ListingParams;
use emporium::checkout::api as checkout;
use emporium::components::FetchShopInfo;
use emporium::manage::api as manage;
use emporium::manage::audit::api as audit;
use emporium::manage::categories::api as categories;
use emporium::manage::products::api as products;
use emporium::manage::products::{images, import};
use emporium::manage::stock::api as stock;
use emporium::on_db;
use emporium::orders::api as orders;
use leptos::server_fn::ServerFn;
use std::collections::BTreeSet;

/// Who calls, in the order of the expected outcomes below.
const ACTORS: [&str; 6] = [
    "anonymous",
    "customer A",
    "customer B",
    "support",
    "manager",
    "admin",
];

struct Fixture {
    a_id: i64,
    b_id: i64,
    /// Users an admin may change freely, one per call.
    spare: Vec<i64>,
    a_address: i64,
    variant: i64,
    product_id: i64,
    /// The product's first image.
    image_id: i64,
    product_slug: String,
    category_id: i64,
    category_slug: String,
    /// Customer A's order, the first placed.
    order_number: String,
}

/// How a row calls its function: a read as a GET with its arguments in the query, a write as a
/// POST. The function's registered method must agree.
enum Body {
    Read(String),
    Form(Vec<(&'static str, String)>),
    /// A file upload: these fields and, under the name given, one file that is not an image.
    Files(&'static str, Vec<(&'static str, String)>),
}

impl Body {
    fn send(self, client: &reqwest::Client, url: String) -> reqwest::RequestBuilder {
        match self {
            Body::Read(query) => client.get(format!("{url}?{query}")),
            Body::Form(pairs) => client.post(url).form(&pairs),
            Body::Files(file_field, pairs) => {
                let form = pairs
                    .into_iter()
                    .fold(reqwest::multipart::Form::new(), |form, (name, value)| {
                        form.text(name, value)
                    })
                    .part(
                        file_field,
                        reqwest::multipart::Part::bytes(b"not a picture".to_vec())
                            .file_name("lamp.png"),
                    );
                client.post(url).multipart(form)
            }
        }
    }
}

struct Case {
    path: &'static str,
    body: fn(&Fixture, usize) -> Body,
    expect: [u16; 6],
}

fn read<T: serde::Serialize>(arguments: &T) -> Body {
    Body::Read(serde_qs::to_string(arguments).unwrap())
}

fn form(pairs: &[(&'static str, &str)]) -> Body {
    Body::Form(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
}

const ALL_OK: [u16; 6] = [200; 6];
const SIGNED_IN: [u16; 6] = [401, 200, 200, 200, 200, 200];
const OWNER_ONLY: [u16; 6] = [401, 200, 404, 404, 404, 404];
/// What only customer A placed; to everyone else it does not exist.
const A_ONLY: [u16; 6] = [404, 200, 404, 404, 404, 404];
const STAFF: [u16; 6] = [401, 403, 403, 200, 200, 200];
const ADMIN: [u16; 6] = [401, 403, 403, 403, 403, 200];

fn cases() -> Vec<Case> {
    vec![
        Case {
            path: FetchShopInfo::PATH,
            body: |_, _| read(&FetchShopInfo {}),
            expect: ALL_OK,
        },
        Case {
            path: catalog::FetchHome::PATH,
            body: |_, _| read(&catalog::FetchHome {}),
            expect: ALL_OK,
        },
        Case {
            path: catalog::FetchProducts::PATH,
            body: |_, _| {
                read(&catalog::FetchProducts {
                    params: ListingParams::default(),
                })
            },
            expect: ALL_OK,
        },
        Case {
            path: catalog::FetchCategory::PATH,
            body: |f, _| {
                read(&catalog::FetchCategory {
                    slug: f.category_slug.clone(),
                    params: ListingParams::default(),
                })
            },
            expect: ALL_OK,
        },
        Case {
            path: catalog::FetchProduct::PATH,
            body: |f, _| {
                read(&catalog::FetchProduct {
                    slug: f.product_slug.clone(),
                })
            },
            expect: ALL_OK,
        },
        // A signed-out shopper is answered with a redirect to sign in (tests/likes.rs follows it).
        Case {
            path: likes::LikeProduct::PATH,
            body: |f, _| form(&[("product_id", &f.product_id.to_string()), ("like", "true")]),
            expect: ALL_OK,
        },
        Case {
            path: cart::CartCount::PATH,
            body: |_, _| read(&cart::CartCount {}),
            expect: ALL_OK,
        },
        Case {
            path: cart::FetchCart::PATH,
            body: |_, _| read(&cart::FetchCart {}),
            expect: ALL_OK,
        },
        Case {
            path: cart::AddToCart::PATH,
            body: |f, _| form(&[("variant_id", &f.variant.to_string()), ("quantity", "1")]),
            expect: ALL_OK,
        },
        // Anyone may check out: a fresh guest has no cart to order, the accounts have theirs,
        // filled above, and customer A's order is the first.
        Case {
            path: checkout::FetchCheckout::PATH,
            body: |_, _| {
                read(&checkout::FetchCheckout {
                    choices: Default::default(),
                })
            },
            expect: ALL_OK,
        },
        Case {
            path: checkout::PlaceOrder::PATH,
            body: |_, n| {
                form(&[
                    ("checkout[checkout_key]", &format!("{n}").repeat(40)),
                    ("checkout[email]", "buyer@example.com"),
                    ("checkout[country]", "FR"),
                    ("checkout[shipping]", "standard"),
                    ("checkout[billing_same]", "on"),
                    ("checkout[shipping_address][full_name]", "Buyer"),
                    ("checkout[shipping_address][line1]", "1 Road"),
                    ("checkout[shipping_address][postal_code]", "75001"),
                    ("checkout[shipping_address][city]", "Paris"),
                ])
            },
            expect: [400, 200, 200, 200, 200, 200],
        },
        Case {
            path: orders::FetchOrder::PATH,
            body: |f, _| {
                read(&orders::FetchOrder {
                    number: f.order_number.clone(),
                    key: None,
                })
            },
            expect: A_ONLY,
        },
        Case {
            path: orders::ListOrders::PATH,
            body: |_, _| read(&orders::ListOrders { after: None }),
            expect: SIGNED_IN,
        },
        Case {
            path: orders::StartPayment::PATH,
            body: |f, _| form(&[("number", &f.order_number)]),
            expect: A_ONLY,
        },
        // A fresh guest has no cart; an account's cart, filled above, comes back at every sign-in.
        Case {
            path: cart::UpdateCartLine::PATH,
            body: |f, _| form(&[("variant_id", &f.variant.to_string()), ("quantity", "1")]),
            expect: [404, 200, 200, 200, 200, 200],
        },
        Case {
            path: cart::RemoveCartLine::PATH,
            body: |f, _| form(&[("variant_id", &f.variant.to_string())]),
            expect: [404, 200, 200, 200, 200, 200],
        },
        Case {
            path: accounts::CurrentAccount::PATH,
            body: |_, _| read(&accounts::CurrentAccount {}),
            expect: ALL_OK,
        },
        Case {
            path: accounts::SignUp::PATH,
            body: |_, n| {
                form(&[
                    ("email", &format!("new{n}@example.com")),
                    ("display_name", "New"),
                    ("password", PASSWORD),
                ])
            },
            expect: ALL_OK,
        },
        Case {
            path: accounts::SignIn::PATH,
            body: |_, n| {
                form(&[
                    ("email", &format!("nobody{n}@example.com")),
                    ("password", PASSWORD),
                ])
            },
            expect: [400; 6],
        },
        Case {
            path: accounts::SignOut::PATH,
            body: |_, _| form(&[]),
            expect: ALL_OK,
        },
        Case {
            path: accounts::RequestPasswordReset::PATH,
            body: |_, _| form(&[("email", "a@example.com")]),
            expect: ALL_OK,
        },
        Case {
            path: accounts::CheckResetLink::PATH,
            body: |_, _| read(&accounts::CheckResetLink { token: "0".into() }),
            expect: ALL_OK,
        },
        Case {
            path: accounts::ResetPassword::PATH,
            body: |_, _| form(&[("token", "0"), ("password", PASSWORD)]),
            expect: [400; 6],
        },
        Case {
            path: accounts::ConfirmEmail::PATH,
            body: |_, _| form(&[("token", "0")]),
            expect: [400; 6],
        },
        Case {
            path: accounts::FetchAccount::PATH,
            body: |_, _| read(&accounts::FetchAccount {}),
            expect: SIGNED_IN,
        },
        Case {
            path: accounts::UpdateProfile::PATH,
            body: |_, _| form(&[("display_name", "Renamed")]),
            expect: SIGNED_IN,
        },
        Case {
            path: accounts::ChangePassword::PATH,
            body: |_, _| {
                form(&[
                    ("current_password", "not it at all"),
                    ("new_password", "a fine new passphrase"),
                ])
            },
            expect: [401, 400, 400, 400, 400, 400],
        },
        Case {
            path: accounts::ChangeEmail::PATH,
            body: |_, _| {
                form(&[
                    ("new_email", "moved@example.com"),
                    ("password", "not it at all"),
                ])
            },
            expect: [401, 400, 400, 400, 400, 400],
        },
        Case {
            path: accounts::EndSession::PATH,
            body: |_, _| form(&[("handle", "0000")]),
            expect: [401, 404, 404, 404, 404, 404],
        },
        Case {
            path: accounts::EndOtherSessions::PATH,
            body: |_, _| form(&[]),
            expect: SIGNED_IN,
        },
        Case {
            path: accounts::AddAddress::PATH,
            body: |_, _| {
                form(&[
                    ("address[kind]", "billing"),
                    ("address[full_name]", "X"),
                    ("address[line1]", "1 Road"),
                    ("address[city]", "Paris"),
                    ("address[postal_code]", "75001"),
                    ("address[country]", "FR"),
                ])
            },
            expect: SIGNED_IN,
        },
        Case {
            path: accounts::MakeDefaultAddress::PATH,
            body: |f, _| form(&[("address_id", &f.a_address.to_string())]),
            expect: OWNER_ONLY,
        },
        Case {
            path: accounts::DeleteAddress::PATH,
            body: |f, _| form(&[("address_id", &f.a_address.to_string())]),
            expect: OWNER_ONLY,
        },
        Case {
            path: products::FetchProductTable::PATH,
            body: |_, _| {
                read(&products::FetchProductTable {
                    filters: Default::default(),
                })
            },
            expect: STAFF,
        },
        Case {
            path: products::UpdateProducts::PATH,
            body: |f, _| {
                form(&[
                    ("action", "move"),
                    ("ids[]", &f.product_id.to_string()),
                    ("category", &f.category_slug),
                ])
            },
            expect: [401, 403, 403, 403, 200, 200],
        },
        Case {
            path: products::FetchProductEditor::PATH,
            body: |f, _| {
                read(&products::FetchProductEditor {
                    id: Some(f.product_id),
                })
            },
            expect: STAFF,
        },
        Case {
            path: products::SaveProduct::PATH,
            body: |f, _| {
                form(&[
                    ("id", &f.product_id.to_string()),
                    ("product[name]", "Renamed in the matrix"),
                    ("product[slug]", &f.product_slug),
                    ("product[category]", &f.category_slug),
                    ("product[status]", "active"),
                ])
            },
            expect: [401, 403, 403, 403, 200, 200],
        },
        // Customer A's order holds this product, so it stays: refused even to those who may delete.
        Case {
            path: products::DeleteProduct::PATH,
            body: |f, _| form(&[("id", &f.product_id.to_string())]),
            expect: [401, 403, 403, 403, 409, 409],
        },
        Case {
            path: products::SaveVariant::PATH,
            body: |f, _| {
                form(&[
                    ("product_id", &f.product_id.to_string()),
                    ("variant_id", &f.variant.to_string()),
                    ("variant[sku]", "MATRIX-1"),
                    ("variant[title]", "Default"),
                    ("variant[price]", "10"),
                ])
            },
            expect: [401, 403, 403, 403, 200, 200],
        },
        // The product's only variant: it cannot move, and being ordered it cannot go.
        Case {
            path: products::MoveVariant::PATH,
            body: |f, _| {
                form(&[
                    ("product_id", &f.product_id.to_string()),
                    ("variant_id", &f.variant.to_string()),
                    ("direction", "up"),
                ])
            },
            expect: [401, 403, 403, 403, 400, 400],
        },
        Case {
            path: products::RemoveVariant::PATH,
            body: |f, _| {
                form(&[
                    ("product_id", &f.product_id.to_string()),
                    ("variant_id", &f.variant.to_string()),
                ])
            },
            expect: [401, 403, 403, 403, 409, 409],
        },
        Case {
            path: emporium::manage::products::csv::ExportProducts::PATH,
            body: |_, _| Body::Read(String::new()),
            expect: STAFF,
        },
        Case {
            path: import::UploadProductCsv::PATH,
            body: |f, _| Body::Files("images", vec![("product_id", f.product_id.to_string())]),
            expect: [401, 403, 403, 403, 400, 400],
        },
        Case {
            path: import::FetchProductImports::PATH,
            body: |_, _| Body::Read(String::new()),
            expect: STAFF,
        },
        Case {
            path: import::FetchProductImport::PATH,
            body: |_, _| read(&import::FetchProductImport { id: 999_999 }),
            expect: [401, 403, 403, 404, 404, 404],
        },
        Case {
            path: import::ApplyProductImport::PATH,
            body: |_, _| form(&[("id", "999999")]),
            expect: [401, 403, 403, 403, 409, 409],
        },
        Case {
            path: images::UploadProductImages::PATH,
            body: |f, _| Body::Files("images", vec![("product_id", f.product_id.to_string())]),
            expect: [401, 403, 403, 403, 400, 400],
        },
        Case {
            path: images::DescribeImage::PATH,
            body: |f, _| {
                form(&[
                    ("product_id", &f.product_id.to_string()),
                    ("image_id", &f.image_id.to_string()),
                    ("alt", "A brass lamp, lit"),
                ])
            },
            expect: [401, 403, 403, 403, 200, 200],
        },
        Case {
            path: images::MoveImage::PATH,
            body: |f, _| {
                form(&[
                    ("product_id", &f.product_id.to_string()),
                    ("image_id", &f.image_id.to_string()),
                    ("direction", "up"),
                ])
            },
            expect: [401, 403, 403, 403, 400, 400],
        },
        Case {
            path: images::RemoveImage::PATH,
            body: |f, _| {
                form(&[
                    ("product_id", &f.product_id.to_string()),
                    ("image_id", &f.image_id.to_string()),
                ])
            },
            expect: [401, 403, 403, 403, 200, 404],
        },
        Case {
            path: audit::FetchAuditLog::PATH,
            body: |_, _| {
                read(&audit::FetchAuditLog {
                    filters: Default::default(),
                })
            },
            expect: [401, 403, 403, 403, 200, 200],
        },
        Case {
            path: categories::FetchCategoryTree::PATH,
            body: |_, _| read(&categories::FetchCategoryTree {}),
            expect: STAFF,
        },
        Case {
            path: categories::FetchCategoryEditor::PATH,
            body: |f, _| {
                read(&categories::FetchCategoryEditor {
                    id: Some(f.category_id),
                })
            },
            expect: STAFF,
        },
        Case {
            path: categories::SaveCategory::PATH,
            body: |_, n| Body::Form(vec![("category[name]", format!("Matrix shelf {n}"))]),
            expect: [401, 403, 403, 403, 200, 200],
        },
        // Refused after the permission check: no such direction, and products with nowhere to go.
        Case {
            path: categories::MoveCategory::PATH,
            body: |f, _| {
                form(&[
                    ("id", &f.category_id.to_string()),
                    ("direction", "sideways"),
                ])
            },
            expect: [401, 403, 403, 403, 400, 400],
        },
        // Refused after the permission check: a file that is no picture, a category without one.
        Case {
            path: categories::UploadCategoryPicture::PATH,
            body: |f, _| {
                Body::Files(
                    "image",
                    vec![
                        ("id", f.category_id.to_string()),
                        ("alt", "Lamps on a shelf".into()),
                    ],
                )
            },
            expect: [401, 403, 403, 403, 400, 400],
        },
        Case {
            path: categories::DescribeCategoryPicture::PATH,
            body: |f, _| form(&[("id", &f.category_id.to_string()), ("alt", "Lamps")]),
            expect: [401, 403, 403, 403, 404, 404],
        },
        Case {
            path: categories::RemoveCategoryPicture::PATH,
            body: |f, _| form(&[("id", &f.category_id.to_string())]),
            expect: [401, 403, 403, 403, 404, 404],
        },
        Case {
            path: categories::DeleteCategory::PATH,
            body: |f, _| form(&[("id", &f.category_id.to_string())]),
            expect: [401, 403, 403, 403, 400, 400],
        },
        Case {
            path: stock::ListStock::PATH,
            body: |_, _| {
                read(&stock::ListStock {
                    q: None,
                    show: None,
                    after: None,
                })
            },
            expect: STAFF,
        },
        Case {
            path: stock::FetchVariantStock::PATH,
            body: |f, _| {
                read(&stock::FetchVariantStock {
                    variant_id: f.variant,
                })
            },
            expect: STAFF,
        },
        Case {
            path: stock::AdjustStock::PATH,
            body: |f, _| {
                form(&[
                    ("variant_id", &f.variant.to_string()),
                    ("delta", "1"),
                    ("reason", "received"),
                ])
            },
            expect: STAFF,
        },
        Case {
            path: manage::FetchManageAccess::PATH,
            body: |_, _| read(&manage::FetchManageAccess {}),
            expect: STAFF,
        },
        Case {
            path: manage::ListUsers::PATH,
            body: |_, _| {
                read(&manage::ListUsers {
                    q: None,
                    before: None,
                })
            },
            expect: ADMIN,
        },
        Case {
            path: manage::FetchUser::PATH,
            body: |f, _| read(&manage::FetchUser { user_id: f.a_id }),
            expect: ADMIN,
        },
        Case {
            path: manage::CreateUser::PATH,
            body: |_, n| {
                form(&[
                    ("email", &format!("staff{n}@example.com")),
                    ("display_name", "Staff"),
                    ("role", "support"),
                    ("current_password", PASSWORD),
                ])
            },
            expect: ADMIN,
        },
        Case {
            path: manage::ChangeRole::PATH,
            body: |f, _| {
                form(&[
                    ("user_id", &f.spare[0].to_string()),
                    ("role", "support"),
                    ("current_password", PASSWORD),
                ])
            },
            expect: ADMIN,
        },
        Case {
            path: manage::SetUserDisabled::PATH,
            body: |f, _| form(&[("user_id", &f.spare[1].to_string()), ("disabled", "true")]),
            expect: ADMIN,
        },
        Case {
            path: manage::SendPasswordReset::PATH,
            body: |f, _| form(&[("user_id", &f.b_id.to_string())]),
            expect: ADMIN,
        },
        Case {
            path: manage::EndUserSessions::PATH,
            body: |f, _| form(&[("user_id", &f.b_id.to_string())]),
            expect: ADMIN,
        },
        Case {
            path: manage::DeleteUser::PATH,
            body: |f, _| {
                form(&[
                    ("user_id", &f.spare[2].to_string()),
                    ("current_password", PASSWORD),
                ])
            },
            expect: ADMIN,
        },
    ]
}

/// Every page route, as a browser asks for it: the status, or for a redirect where it goes.
fn pages(f: &Fixture) -> Vec<(&'static str, String, [&'static str; 6])> {
    const PUBLIC: [&str; 6] = ["200"; 6];
    const TO_LOGIN_OR_OK: [&str; 6] = ["302 /account/login", "200", "200", "200", "200", "200"];
    const STAFF_PAGE: [&str; 6] = ["302 /account/login", "403", "403", "200", "200", "200"];
    const ADMIN_PAGE: [&str; 6] = ["302 /account/login", "403", "403", "403", "403", "200"];
    vec![
        ("/", "/".into(), PUBLIC),
        ("/products", "/products".into(), PUBLIC),
        ("/c/{slug}", format!("/c/{}", f.category_slug), PUBLIC),
        ("/p/{slug}", format!("/p/{}", f.product_slug), PUBLIC),
        ("/cart", "/cart".into(), PUBLIC),
        ("/checkout", "/checkout".into(), PUBLIC),
        (
            "/orders/{number}",
            format!("/orders/{}", f.order_number),
            ["404", "200", "404", "404", "404", "404"],
        ),
        ("/account/signup", "/account/signup".into(), PUBLIC),
        ("/account/login", "/account/login".into(), PUBLIC),
        ("/account/forgot", "/account/forgot".into(), PUBLIC),
        ("/account/reset/{token}", "/account/reset/0".into(), PUBLIC),
        (
            "/account/verify/{token}",
            "/account/verify/0".into(),
            PUBLIC,
        ),
        ("/account", "/account".into(), TO_LOGIN_OR_OK),
        ("/account/orders", "/account/orders".into(), TO_LOGIN_OR_OK),
        ("/manage", "/manage".into(), STAFF_PAGE),
        ("/manage/products", "/manage/products".into(), STAFF_PAGE),
        (
            "/manage/products/new",
            "/manage/products/new".into(),
            ["302 /account/login", "403", "403", "403", "200", "200"],
        ),
        (
            "/manage/products/{id}",
            format!("/manage/products/{}", f.product_id),
            STAFF_PAGE,
        ),
        ("/manage/imports", "/manage/imports".into(), STAFF_PAGE),
        (
            "/manage/imports/{id}",
            "/manage/imports/999999".into(),
            ["302 /account/login", "403", "403", "404", "404", "404"],
        ),
        (
            "/manage/categories",
            "/manage/categories".into(),
            STAFF_PAGE,
        ),
        (
            "/manage/categories/new",
            "/manage/categories/new".into(),
            ["302 /account/login", "403", "403", "403", "200", "200"],
        ),
        (
            "/manage/categories/{id}",
            format!("/manage/categories/{}", f.category_id),
            STAFF_PAGE,
        ),
        ("/manage/inventory", "/manage/inventory".into(), STAFF_PAGE),
        (
            "/manage/audit",
            "/manage/audit".into(),
            ["302 /account/login", "403", "403", "403", "200", "200"],
        ),
        (
            "/manage/inventory/{variant_id}",
            format!("/manage/inventory/{}", f.variant),
            STAFF_PAGE,
        ),
        ("/manage/users", "/manage/users".into(), ADMIN_PAGE),
        (
            "/manage/users/{id}",
            format!("/manage/users/{}", f.a_id),
            ADMIN_PAGE,
        ),
    ]
}

/// The plain axum routes beside the pages: the same answer for every actor, since none of them
/// reads a session (the development mailbox answers this machine, which every test client is).
fn plain_routes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("/healthz", "200"),
        ("/readyz", "200"),
        ("/robots.txt", "200"),
        ("/sitemap.xml", "200"),
        ("/sitemaps/pages.xml", "200"),
        ("/sitemaps/products/0.xml", "200"),
        ("/sitemaps/products/nonsense", "404"),
        ("/dev/mailbox", "200"),
        ("/dev/mailbox/999999", "404"),
        ("/media/no-such-image.webp", "404"),
        ("/favicon.svg", "200"),
    ]
}

/// A fresh browser signed in as the actor (none for anonymous).
async fn actor(app: &TestApp, index: usize) -> reqwest::Client {
    let client = browser();
    let email = [
        "",
        "a@example.com",
        "b@example.com",
        "support@example.com",
        "manager@example.com",
        "admin@example.com",
    ][index];
    if !email.is_empty() {
        let response = sign_in(app, &client, email, PASSWORD).await;
        assert_eq!(
            response.headers().get("location").unwrap(),
            "/account",
            "{email} signs in"
        );
    }
    client
}

#[tokio::test]
async fn every_server_function_and_page_answers_each_actor_as_decided() {
    let mut settings = crate::support::settings();
    settings.limits.auth_requests = 10_000;
    settings.limits.write_requests = 10_000;
    settings.limits.render_requests = 10_000;
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        settings: Some(settings),
        ..Options::default()
    })
    .await;
    let a_id = user(&app, "a@example.com", Role::Customer).await;
    let b_id = user(&app, "b@example.com", Role::Customer).await;
    user(&app, "support@example.com", Role::Support).await;
    user(&app, "manager@example.com", Role::Manager).await;
    user(&app, "admin@example.com", Role::Admin).await;
    let mut spare = Vec::new();
    for n in 0..3 {
        spare.push(user(&app, &format!("spare{n}@example.com"), Role::Customer).await);
    }
    let a_address = {
        let mut tx = app.db.begin().await.unwrap();
        let address = emporium::accounts::AddressView {
            id: 0,
            kind: emporium::accounts::AddressKind::Shipping,
            full_name: "A".into(),
            line1: "1 Road".into(),
            line2: None,
            city: "Lyon".into(),
            region: None,
            postal_code: "69001".into(),
            country: "FR".into(),
            phone: None,
            is_default: false,
        };
        let id = repo::insert_address(&mut tx, a_id, &address).await.unwrap();
        tx.commit().await.unwrap();
        id
    };
    let (variant, product_id, product_slug, category_id, category_slug): (i64, i64, String, i64, String) =
        on_db!(&app.db, pool => sqlx::query_as(
        "SELECT v.id, p.id, p.slug, c.id, c.slug FROM product_variants v JOIN products p ON p.id = v.product_id
         JOIN categories c ON c.id = p.category_id JOIN inventory i ON i.variant_id = v.id
         WHERE p.status = 'active' AND i.on_hand - i.reserved > 10 ORDER BY v.id LIMIT 1"
    ).fetch_one(pool).await)
        .unwrap();
    let image_id: i64 = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM product_images WHERE product_id = $1 ORDER BY position LIMIT 1"
    ).bind(product_id).fetch_one(pool).await)
    .unwrap();
    let fixture = Fixture {
        a_id,
        b_id,
        spare,
        a_address,
        variant,
        product_id,
        image_id,
        product_slug,
        category_id,
        category_slug,
        order_number: format!("EM-{}-000001", chrono::Utc::now().format("%Y")),
    };

    let cases = cases();
    let registered: BTreeSet<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.to_string()))
        .collect();
    let decided: BTreeSet<(String, String)> = cases
        .iter()
        .map(|case| {
            let method = match (case.body)(&fixture, 0) {
                Body::Read(_) => "GET",
                Body::Form(_) | Body::Files(..) => "POST",
            };
            (case.path.to_owned(), method.to_owned())
        })
        .collect();
    assert_eq!(
        registered, decided,
        "every server function needs a row in the matrix, every row a server function, and a \
         function the row calls a read must be a GET (a write a POST)"
    );

    let mut wrong = Vec::new();
    for case in &cases {
        for (index, expected) in case.expect.iter().enumerate() {
            let client = actor(&app, index).await;
            let request = (case.body)(&fixture, index).send(&client, app.url(case.path));
            let status = request.send().await.unwrap().status().as_u16();
            if status != *expected {
                wrong.push(format!(
                    "{} as {}: {status}, expected {expected}",
                    case.path, ACTORS[index]
                ));
            }
        }
    }

    // A write a page of another site makes is refused before it runs, whoever is signed in: with an
    // Origin, and without one (a browser that sends none still says the request is cross-site).
    let admin = actor(&app, ACTORS.len() - 1).await;
    for case in &cases {
        for (name, value) in [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ] {
            let body = (case.body)(&fixture, ACTORS.len() - 1);
            if matches!(body, Body::Read(_)) {
                continue;
            }
            let status = body
                .send(&admin, app.url(case.path))
                .header(name, value)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if status != 403 {
                wrong.push(format!(
                    "{} from another site ({name}): {status}, expected 403",
                    case.path
                ));
            }
        }
    }

    let pages = pages(&fixture);
    let routes: BTreeSet<String> = emporium::server::http::page_routes()
        .iter()
        .map(|route| route.path().to_owned())
        .collect();
    let decided: BTreeSet<String> = pages
        .iter()
        .map(|(route, _, _)| (*route).to_owned())
        .collect();
    assert_eq!(
        routes, decided,
        "every page route needs a row in the matrix"
    );
    // A browser, and a client that takes anything (curl): a refusal is a refusal for both.
    for ((_, path, expected), accept) in pages
        .iter()
        .flat_map(|page| [(page, "text/html"), (page, "*/*")])
    {
        for (index, expected) in expected.iter().enumerate() {
            let client = actor(&app, index).await;
            let response = client
                .get(app.url(path))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            let got = match response.headers().get("location") {
                Some(to) if response.status().is_redirection() => {
                    format!(
                        "{} {}",
                        response.status().as_u16(),
                        to.to_str().unwrap().split('?').next().unwrap()
                    )
                }
                _ => response.status().as_u16().to_string(),
            };
            if got != *expected {
                wrong.push(format!(
                    "GET {path} as {} (Accept: {accept}): {got}, expected {expected}",
                    ACTORS[index]
                ));
            }
        }
    }
    for (path, expected) in plain_routes() {
        for (index, name) in ACTORS.iter().enumerate() {
            let status = actor(&app, index)
                .await
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .status();
            if status.as_str() != expected {
                wrong.push(format!(
                    "GET {path} as {name}: {status}, expected {expected}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
