//! Full-text search: matching, ranking, spelling correction, facets and best-match paging, on the
//! engine under test. The expectations are the same for both engines, so passing on each means the
//! two agree.

use crate::catalog::{query, walk};
use crate::support::{Options, TestApp, execute, settings};
use emporium::catalog::listing::{ListingParams, PAGE_SIZE};
use emporium::catalog::repo::{self, NewCategory, NewProduct, NewVariant};
use emporium::catalog::search::{self, VocabularyCache};
use emporium::catalog::{ProductCard, listing};
use emporium::money::{Currency, Money};
use emporium::server::demo;
use emporium::{in_tx, on_db};
use reqwest::StatusCode;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn searching(q: &str) -> ListingParams {
    ListingParams {
        q: Some(q.to_owned()),
        ..Default::default()
    }
}

fn names(cards: &[ProductCard]) -> Vec<&str> {
    cards.iter().map(|card| card.name.as_str()).collect()
}

/// A shop of a few products whose words are chosen to test matching and ranking.
async fn small_shop() -> TestApp {
    let app = TestApp::spawn().await;
    let mut tx = app.db.begin().await.unwrap();
    let kitchen = repo::insert_category(
        &mut tx,
        &NewCategory {
            parent_id: None,
            slug: "kitchen",
            name: "Kitchen",
            description: "",
            position: 0,
        },
    )
    .await
    .unwrap();
    let products = [
        ("Copper Kettle", "A kettle for the stove.", "KET-1", 4500),
        (
            "Stove-Top Espresso",
            "Pairs well with a copper kettle.",
            "ESP-1",
            3000,
        ),
        ("Enamel Mug", "Plain and sturdy.", "COPPER-9", 1200),
        (
            "Café Crème Cup",
            "For a morning café au lait.",
            "CUP-7",
            1500,
        ),
    ];
    for (n, (name, description, sku, price)) in products.into_iter().enumerate() {
        repo::insert_product(
            &mut tx,
            &NewProduct {
                slug: demo::slugify(name),
                name: name.into(),
                description: description.into(),
                category_id: kitchen,
                featured: false,
                option1_name: None,
                created_at: chrono::Utc::now() - chrono::Duration::hours(n as i64),
                variants: vec![NewVariant {
                    sku: sku.into(),
                    title: "Default".into(),
                    option1: None,
                    price: Money::new(price, Currency::EUR),
                    on_hand: 5,
                    low_stock_threshold: 1,
                }],
                images: Vec::new(),
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    app
}

#[tokio::test]
async fn words_in_the_name_rank_above_skus_above_descriptions() {
    let app = small_shop().await;
    // "copper": the kettle's name (4), the mug's SKU (2), the espresso maker's description (1).
    let expected = ["Copper Kettle", "Enamel Mug", "Stove-Top Espresso"];
    assert_eq!(names(&walk(&app, searching("copper")).await), expected);
    // Every term matches as a prefix, in any case.
    assert_eq!(names(&walk(&app, searching("COPP")).await), expected);
    // Every term must match; each adds to the score (kettle: 4 + 4 + 1, espresso maker: 1 + 1).
    assert_eq!(
        names(&walk(&app, searching("copper kettle")).await),
        ["Copper Kettle", "Stove-Top Espresso"]
    );
    // A SKU is found by its parts; punctuation between words is no obstacle.
    assert_eq!(
        names(&walk(&app, searching("esp-1")).await),
        ["Stove-Top Espresso"]
    );
    assert_eq!(
        names(&walk(&app, searching("stove top")).await)[0],
        "Stove-Top Espresso"
    );
    // Accented words match as written, on both engines.
    assert_eq!(
        names(&walk(&app, searching("crème")).await),
        ["Café Crème Cup"]
    );
    assert!(walk(&app, searching("teapot")).await.is_empty());
    // Other orders apply to the same matches.
    assert_eq!(
        names(
            &walk(
                &app,
                ListingParams {
                    sort: Some("price_asc".into()),
                    ..searching("copper")
                }
            )
            .await
        ),
        ["Enamel Mug", "Stove-Top Espresso", "Copper Kettle"]
    );
}

#[tokio::test]
async fn misspelt_words_are_corrected_to_the_closest_catalog_word() {
    let app = small_shop().await;
    // Reloads as soon as the catalog changes, where the shop's waits at least a minute.
    let cache = VocabularyCache::new(Duration::ZERO);
    let vocabulary = repo::search_vocabulary(&app.db, &cache).await.unwrap();
    let correct = |text: &str| vocabulary.correct(&search::terms(text));
    assert_eq!(correct("kettel"), Some(vec!["kettle".to_owned()]));
    assert_eq!(correct("cafe"), Some(vec!["café".to_owned()]));
    assert_eq!(
        correct("coper mig"),
        Some(vec!["copper".to_owned(), "mug".to_owned()])
    );
    assert_eq!(correct("kett"), None, "a known prefix is not a misspelling");
    assert_eq!(correct("qqqqzzzz"), None);

    // The vocabulary follows the catalog: a renamed product's new word is known at once.
    execute(
        &app.db,
        "UPDATE products SET name = 'Zanzibar Kettle' WHERE name = 'Copper Kettle'",
    )
    .await;
    let vocabulary = repo::search_vocabulary(&app.db, &cache).await.unwrap();
    assert_eq!(
        vocabulary.correct(&search::terms("zanzibr")),
        Some(vec!["zanzibar".to_owned()])
    );

    // The page shows the corrected results, and offers the text as typed.
    let html = app.get("/products?q=kettel").await.text().await.unwrap();
    assert!(html.contains("Showing results for "), "{html}");
    assert!(html.contains("Zanzibar Kettle"));
    assert!(html.contains("exact=true"));
    // As typed, nothing matches, and the correction is suggested instead.
    let html = app
        .get("/products?q=kettel&exact=true")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No products match"));
    assert!(html.contains("Did you mean "));
    assert!(html.contains("href=\"/products?q=kettle\""), "{html}");
}

#[tokio::test]
async fn the_index_follows_changes_to_products_and_variants() {
    let app = small_shop().await;
    let id_of = |cards: Vec<ProductCard>| cards.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let mug = id_of(walk(&app, searching("enamel")).await);
    assert_eq!(mug.len(), 1);

    let mut tx = app.db.begin().await.unwrap();
    in_tx!(&mut tx, conn => sqlx::query("UPDATE product_variants SET sku = 'BLUE-3' WHERE product_id = $1").bind(mug[0]).execute(conn).await.map(|done| done.rows_affected()))
        .unwrap();
    in_tx!(&mut tx, conn => sqlx::query("UPDATE products SET description = 'Glazed in cobalt.' WHERE id = $1").bind(mug[0]).execute(conn).await.map(|done| done.rows_affected()))
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(id_of(walk(&app, searching("blue")).await), mug);
    assert_eq!(id_of(walk(&app, searching("cobalt")).await), mug);
    assert_eq!(
        names(&walk(&app, searching("copper")).await),
        ["Copper Kettle", "Stove-Top Espresso"],
        "the old SKU is gone"
    );

    execute(
        &app.db,
        &format!("DELETE FROM products WHERE id = {}", mug[0]),
    )
    .await;
    assert!(walk(&app, searching("enamel")).await.is_empty());
}

/// The relevance score as the repository defines it, computed here from the product's text.
fn expected_score(terms: &[String], name: &str, skus: &str, description: &str) -> Option<i64> {
    let words = |text: &str| search::terms(text);
    let (name, skus, description) = (words(name), words(skus), words(description));
    let has = |words: &[String], term: &str| words.iter().any(|w| w.starts_with(term));
    let mut score = 0;
    for term in terms {
        let found = [(&name, 4), (&skus, 2), (&description, 1)]
            .into_iter()
            .filter(|(words, _)| has(words, term))
            .map(|(_, weight)| weight)
            .sum::<i64>();
        if found == 0 {
            return None;
        }
        score += found;
    }
    Some(score)
}

#[tokio::test]
async fn best_match_pages_through_every_match_once_in_score_order() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    demo::generate_catalog(&app.db, &app.media_dir, &settings(), 150)
        .await
        .unwrap();
    let products: Vec<(i64, String, String)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, name, description FROM products WHERE status = 'active'"
    ).fetch_all(pool).await)
    .unwrap();
    let skus: Vec<(i64, String)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT product_id, sku FROM product_variants"
    ).fetch_all(pool).await)
    .unwrap();
    let mut all_skus: HashMap<i64, String> = HashMap::new();
    for (product, sku) in skus {
        let entry = all_skus.entry(product).or_default();
        entry.push(' ');
        entry.push_str(&sku);
    }

    // Words in every description (many ties), in some names, and a SKU prefix.
    for text in ["made", "wool made", "linen", "0001", "harb", "stoneware pl"] {
        let terms = search::terms(text);
        let mut expected: Vec<(i64, i64)> = products
            .iter()
            .filter_map(|(id, name, description)| {
                expected_score(&terms, name, &all_skus[id], description).map(|score| (score, *id))
            })
            .collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert!(expected.len() > 1, "{text}: a search with several matches");
        let listed = walk(&app, searching(text)).await;
        let ids: Vec<i64> = listed.iter().map(|card| card.id).collect();
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            ids.len(),
            "{text}: no product twice"
        );
        assert_eq!(
            ids,
            expected.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            "{text}: every match once, best first, ties newest id first"
        );
    }
    let made = walk(&app, searching("made")).await;
    assert!(made.len() > 2 * PAGE_SIZE, "paging was exercised");
}

#[tokio::test]
async fn facets_count_the_search_without_their_own_filter() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    let wool = searching("wool");
    let everything = walk(&app, wool.clone()).await;
    assert!(everything.len() > 3);
    let facets = repo::facets(&app.db, &query(wool.clone()), Currency::EUR)
        .await
        .unwrap();

    // Each category's count is what choosing it shows, and every match is in one top category.
    let mut total = 0;
    for top in &facets.categories {
        total += top.count;
        for facet in std::iter::once(top).chain(&top.children) {
            let chosen = walk(&app, wool.toggle_category(&facet.slug)).await;
            assert_eq!(chosen.len() as i64, facet.count, "{}", facet.slug);
        }
    }
    assert_eq!(total, everything.len() as i64);
    assert!(facets.categories.iter().any(|c| c.slug == "clothing"));
    assert!(!facets.categories.iter().any(|c| c.slug == "stationery"));

    // Bands in order, under 25 to 200 and over, their counts adding up to every match.
    assert_eq!(facets.prices.len(), listing::PRICE_BANDS.len() + 1);
    assert_eq!(facets.prices[0].label(), "Under €25.00");
    assert_eq!(facets.prices[4].label(), "€200.00 and over");
    let mut total = 0;
    for band in &facets.prices {
        total += band.count;
        let (min, max) = band.params();
        let chosen = walk(&app, wool.with_prices(min, max)).await;
        assert_eq!(chosen.len() as i64, band.count, "{}", band.label());
    }
    assert_eq!(total, everything.len() as i64);

    // A chosen category narrows the price counts but not the category counts, and vice versa.
    let outerwear = wool.toggle_category("outerwear");
    let narrowed = repo::facets(&app.db, &query(outerwear.clone()), Currency::EUR)
        .await
        .unwrap();
    assert_eq!(narrowed.categories, facets.categories);
    let outerwear_total: i64 = narrowed.prices.iter().map(|band| band.count).sum();
    assert_eq!(outerwear_total, walk(&app, outerwear).await.len() as i64);
    let (min, max) = facets.prices[3].params();
    let priced = repo::facets(&app.db, &query(wool.with_prices(min, max)), Currency::EUR)
        .await
        .unwrap();
    assert_eq!(priced.prices, facets.prices);

    // A band written another way is still recognised as chosen; its link removes it.
    let html = app
        .get("/products?q=wool&min_price=100&max_price=199.99")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<a href=\"/products?q=wool\" aria-current=\"true\""),
        "{html}"
    );

    // The page shows them as links with counts.
    let html = app.get("/products?q=wool").await.text().await.unwrap();
    assert!(html.contains("aria-label=\"Narrow the results\""));
    assert!(
        html.contains("href=\"/products?q=wool&amp;category=outerwear\""),
        "{html}"
    );
}

#[tokio::test]
async fn any_search_text_answers_200_and_nonsense_gets_suggestions() {
    let app = TestApp::spawn_with(Options {
        demo_data: true,
        ..Options::default()
    })
    .await;
    for text in [
        "\"",
        "*",
        "AND",
        "(",
        ")",
        "'; DROP TABLE products; --",
        "mug:*",
        "a & b | !c",
        "NEAR(mug wool)",
        "col:mug",
        "\\",
        "%_",
        "naïve ☃ 日本語 Ωmega",
        "-mug",
        "mug OR wool",
        "^mug",
    ] {
        let response = app
            .client
            .get(app.url("/products"))
            .query(&[("q", text)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{text}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("product-card") || html.contains("No products match"),
            "{text}"
        );
    }

    let html = app.get("/products?q=qqqqzzzz").await.text().await.unwrap();
    assert!(html.contains("No products match"));
    assert!(html.contains("aria-label=\"Popular categories\""));
    assert!(html.contains("href=\"/c/kitchen\""));
    let html = app
        .get("/products?q=wool&category=stationery")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No products match"));
    assert!(
        html.contains("href=\"/products?q=wool\""),
        "a link without the filters"
    );

    for (path, message) in [
        ("/products?sort=relevance", "needs something to search for"),
        (
            "/products?q=mug&sort=relevance&after=soon~1",
            "not valid any more",
        ),
        ("/products?q=a+b+c+d+e+f+g+h+i+j+k", "at most 10 words"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(response.text().await.unwrap().contains(message), "{path}");
    }
    // Searching defaults to best match, which the sort menu then offers.
    let html = app.get("/products?q=mug").await.text().await.unwrap();
    assert!(
        html.contains("<option value=\"relevance\" selected"),
        "{html}"
    );
    let html = app.get("/products").await.text().await.unwrap();
    assert!(!html.contains("value=\"relevance\""));
}
