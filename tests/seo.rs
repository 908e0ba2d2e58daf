//! What search engines and link previews read.

use crate::support::{Options, PUBLIC_URL, TestApp};
use emporium::catalog::repo;
use emporium::on_db;
use reqwest::StatusCode;

#[tokio::test]
async fn robots_and_sitemaps_list_every_public_page() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let robots = app.get("/robots.txt").await.text().await.unwrap();
    assert!(
        robots.contains("Disallow: /cart")
            && robots.contains(&format!("Sitemap: {PUBLIC_URL}/sitemap.xml"))
    );

    let index = app.get("/sitemap.xml").await;
    assert_eq!(
        index.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let index = index.text().await.unwrap();
    let locations: Vec<String> = index
        .split("<loc>")
        .skip(1)
        .map(|rest| rest.split("</loc>").next().unwrap().replace(PUBLIC_URL, ""))
        .collect();
    assert!(locations.contains(&"/sitemaps/pages.xml".to_owned()));

    let mut listed = String::new();
    for location in &locations {
        let response = app.get(location).await;
        assert_eq!(response.status(), StatusCode::OK, "{location}");
        listed.push_str(&response.text().await.unwrap());
    }
    let slugs: Vec<String> =
        on_db!(&app.db, pool => sqlx::query_scalar("SELECT slug FROM products WHERE status = 'active'").fetch_all(pool).await).unwrap();
    assert!(slugs.len() >= 60);
    for slug in &slugs {
        assert!(
            listed.contains(&format!("/p/{slug}</loc>")),
            "{slug} missing from the sitemaps"
        );
    }
    for category in repo::category_tree(&app.db).await.unwrap() {
        assert!(listed.contains(&format!("/c/{}</loc>", category.slug)));
    }
    assert_eq!(
        app.get("/sitemaps/products/nope.xml").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_product_page_carries_its_canonical_url_card_and_structured_data() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let product = repo::featured(&app.db, 1).await.unwrap().remove(0);
    let html = app.get(&product.href()).await.text().await.unwrap();
    let url = format!("{PUBLIC_URL}/p/{}", product.slug);
    assert!(
        html.contains(&format!("<link href=\"{url}\" rel=\"canonical\">")),
        "canonical"
    );
    assert!(html.contains(&format!("<meta property=\"og:url\" content=\"{url}\">")));
    assert!(html.contains("<meta property=\"og:type\" content=\"product\">"));
    assert!(html.contains(&format!("<title>{}</title>", product.name)));

    let json = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(data["@type"], "Product");
    assert_eq!(data["name"], product.name);
    let offer = &data["offers"][0];
    assert_eq!(offer["priceCurrency"], "EUR");
    assert!(offer["price"].as_str().unwrap().parse::<f64>().is_ok());
    assert!(
        offer["availability"]
            .as_str()
            .unwrap()
            .starts_with("https://schema.org/")
    );
}
