//! Product images and category pictures over HTTP on the engine under test: uploads checked by their
//! content, stored with their renditions and shown by the shop at once; described, put in order and
//! removed, their files swept once nothing uses them; hostile files refused with nothing left behind.

use crate::support::browser::{browser, page_text, signed_in_as};
use crate::support::orders::count;
use crate::support::{BRASS_LAMP, TestApp, add_product, execute};
use emporium::accounts::Role;
use emporium::manage::categories::api::{
    DescribeCategoryPicture, RemoveCategoryPicture, UploadCategoryPicture,
};
use emporium::manage::products::api::SaveProduct;
use emporium::manage::products::images::{
    DescribeImage, MoveImage, RemoveImage, UploadProductImages,
};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

/// A PNG of `width` × `height` in one colour.
fn png(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb(colour));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

/// The CRC-32 a PNG chunk carries over its type and data, for a header rewritten by hand.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    product_id: i64,
    alt: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> (StatusCode, String) {
    let form = files.into_iter().fold(
        reqwest::multipart::Form::new()
            .text("product_id", product_id.to_string())
            .text("alt", alt.to_owned()),
        |form, (name, bytes)| {
            form.part(
                "images",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            )
        },
    );
    let response = client
        .post(app.url(UploadProductImages::PATH))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn lamp(app: &TestApp) -> i64 {
    let variant = add_product(&app.db, &BRASS_LAMP).await;
    emporium::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT product_id FROM product_variants WHERE id = $1"
    ).bind(variant).fetch_one(pool).await)
    .unwrap()
}

/// The files under `MEDIA_DIR/images`, sorted.
fn files(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(app.media_dir.join("images"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// (id, alt) of the product's images in order.
async fn images(app: &TestApp, product_id: i64) -> Vec<(i64, String)> {
    emporium::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, alt FROM product_images WHERE product_id = $1 ORDER BY position"
    ).bind(product_id).fetch_all(pool).await)
    .unwrap()
}

#[tokio::test]
async fn a_manager_uploads_orders_describes_and_removes_images_and_the_shop_follows() {
    let app = TestApp::spawn_unthrottled().await;
    let lamp = lamp(&app).await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let shop = browser();
    assert!(
        !page_text(&app, &shop, "/c/lamps")
            .await
            .contains("/media/images/")
    );

    let (red, blue) = (png(900, 600, [200, 30, 30]), png(700, 700, [30, 30, 200]));
    // The lamp is published: its images need their description.
    let (status, body) = upload(&app, &manager, lamp, "", vec![("red.png", red.clone())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("need a description"), "{body}");
    assert!(files(&app).is_empty());

    let (status, body) = upload(
        &app,
        &manager,
        lamp,
        "The brass lamp, lit",
        vec![("red.png", red), ("blue.png", blue)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = images(&app, lamp).await;
    assert_eq!(stored.len(), 2);
    // Each original with its WebP renditions: 320 and 640 wide, and its own width.
    assert_eq!(files(&app).len(), 2 + 3 + 3, "{:?}", files(&app));

    // The shop shows them on the next request: the first in listings, all on the product page.
    let listing = page_text(&app, &shop, "/c/lamps").await;
    assert!(listing.contains("srcset=\"/media/images/"), "{listing}");
    let page = page_text(&app, &shop, "/p/brass-lamp").await;
    assert_eq!(page.matches("data-testid=\"main-image\"").count(), 1);
    assert!(page.contains("alt=\"The brass lamp, lit\""));
    assert!(
        page.contains(" 320w, ") && page.contains(" 900w\""),
        "{page}"
    );
    let first_src = |page: &str| {
        let at = page.find("data-testid=\"main-image\"").unwrap();
        let tag = &page[page[..at].rfind("<img").unwrap()..at];
        tag.split("src=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let red_src = first_src(&page);

    // The second first: it becomes the product's picture.
    let (status, _) = app
        .submit(
            &manager,
            MoveImage::PATH,
            &[
                ("product_id", lamp.to_string()),
                ("image_id", stored[1].0.to_string()),
                ("direction", "first".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(images(&app, lamp).await[0].0, stored[1].0);
    assert_ne!(
        first_src(&page_text(&app, &shop, "/p/brass-lamp").await),
        red_src
    );

    // Descriptions: a published product's cannot be cleared; a new one shows at once.
    let describe = |alt: &'static str| {
        [
            ("product_id", lamp.to_string()),
            ("image_id", stored[1].0.to_string()),
            ("alt", alt.to_owned()),
        ]
    };
    let (status, _) = app
        .submit(&manager, DescribeImage::PATH, &describe(" "))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .submit(
            &manager,
            DescribeImage::PATH,
            &describe("The lamp in blue light"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page_text(&app, &shop, "/p/brass-lamp")
            .await
            .contains("alt=\"The lamp in blue light\"")
    );

    // Removed: gone from the shop at once; its files go once nothing has used them for an hour.
    let (status, _) = app
        .submit(
            &manager,
            RemoveImage::PATH,
            &[
                ("product_id", lamp.to_string()),
                ("image_id", stored[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        images(&app, lamp).await,
        vec![(stored[1].0, "The lamp in blue light".to_owned())]
    );
    assert!(
        !page_text(&app, &shop, "/p/brass-lamp")
            .await
            .contains(&red_src)
    );
    assert_eq!(files(&app).len(), 8, "kept until the sweep");
    app.advance(chrono::Duration::hours(2)).await;
    assert_eq!(files(&app).len(), 4, "{:?}", files(&app));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('add_images', 'move_image', 'update_image', 'remove_image')"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn hostile_and_broken_uploads_are_refused_and_leave_nothing_behind() {
    let app = TestApp::spawn_unthrottled().await;
    let lamp = lamp(&app).await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let good = png(400, 300, [10, 120, 10]);
    let mut bomb = png(1, 1, [0, 0, 0]);
    bomb[16..24].copy_from_slice(&[0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0]);
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    type Files<'a> = Vec<(&'a str, Vec<u8>)>;
    let cases: Vec<(Files, &str)> = vec![
        (
            vec![("notes.png", b"only text, named like a picture".to_vec())],
            "notes.png is not a JPEG, PNG or WebP image",
        ),
        (
            vec![("cut.png", good[..good.len() / 2].to_vec())],
            "cut.png could not be read as an image",
        ),
        // A header claiming 100,000 pixels a side: refused before anything is decoded.
        (
            vec![("bomb.png", bomb)],
            "bomb.png is 100000 × 100000 pixels",
        ),
        // One bad file refuses the whole upload, the good one with it.
        (
            vec![("good.png", good.clone()), ("notes.png", b"text".to_vec())],
            "notes.png is not a JPEG",
        ),
        (
            (0..11).map(|_| ("good.png", good.clone())).collect(),
            "at most 10 images",
        ),
        (vec![], "Choose at least one image"),
    ];
    for (files_sent, message) in cases {
        let (status, body) = upload(&app, &manager, lamp, "A lamp", files_sent).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{message}: {body}");
        assert!(body.contains(message), "{message}: {body}");
    }
    assert_eq!(images(&app, lamp).await, vec![]);
    assert_eq!(files(&app), Vec::<String>::new());

    // Not a file upload at all: refused before anything reads it, not a server error.
    let response = manager
        .post(app.url(UploadProductImages::PATH))
        .form(&[("product_id", lamp.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Larger than any upload may be, by its declared length.
    let response = manager
        .post(app.url(UploadProductImages::PATH))
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", "999999999")
        .body("--x--")
        .send()
        .await;
    assert!(
        response.map_or(true, |r| r.status() == StatusCode::PAYLOAD_TOO_LARGE),
        "refused, or the connection closed"
    );
    // Any other request keeps the small limit (a megabyte).
    let big_form = "x".repeat(2 * 1024 * 1024);
    let response = manager
        .post(app.url(DescribeImage::PATH))
        .form(&[
            ("product_id", "1"),
            ("image_id", "1"),
            ("alt", big_form.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_product_with_an_undescribed_image_cannot_be_published() {
    let app = TestApp::spawn_unthrottled().await;
    let lamp = lamp(&app).await;
    execute(
        &app.db,
        &format!("UPDATE products SET status = 'draft' WHERE id = {lamp}"),
    )
    .await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let (status, body) = upload(
        &app,
        &manager,
        lamp,
        "",
        vec![("a.png", png(300, 300, [1, 2, 3]))],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a draft's images may wait: {body}");
    let publish = |status: &str| {
        vec![
            ("id", lamp.to_string()),
            ("product[name]", "Brass lamp".to_owned()),
            ("product[slug]", "brass-lamp".to_owned()),
            ("product[description]", String::new()),
            ("product[category]", "lamps".to_owned()),
            ("product[status]", status.to_owned()),
            ("product[seo_title]", String::new()),
            ("product[seo_description]", String::new()),
        ]
    };
    let (status, body) = app
        .submit(&manager, SaveProduct::PATH, &publish("active"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("Describe every image before publishing"),
        "{body}"
    );
    let image = images(&app, lamp).await[0].0;
    let (status, _) = app
        .submit(
            &manager,
            DescribeImage::PATH,
            &[
                ("product_id", lamp.to_string()),
                ("image_id", image.to_string()),
                ("alt", "A lamp".to_owned()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .submit(&manager, SaveProduct::PATH, &publish("active"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Staff who only read the catalog cannot upload.
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    let (status, _) = upload(
        &app,
        &support,
        lamp,
        "A lamp",
        vec![("a.png", png(10, 10, [0, 0, 0]))],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn upload_picture(
    app: &TestApp,
    client: &reqwest::Client,
    category_id: i64,
    alt: &str,
    file: Vec<u8>,
) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new()
        .text("id", category_id.to_string())
        .text("alt", alt.to_owned())
        .part(
            "image",
            reqwest::multipart::Part::bytes(file).file_name("shelf.png"),
        );
    let response = client
        .post(app.url(UploadCategoryPicture::PATH))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_manager_gives_a_category_a_picture_its_page_shows_and_takes_it_away() {
    let app = TestApp::spawn_unthrottled().await;
    lamp(&app).await;
    let category = count(&app, "SELECT id FROM categories WHERE slug = 'lamps'").await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let shop = browser();
    assert!(
        !page_text(&app, &shop, "/c/lamps")
            .await
            .contains("category-picture")
    );

    // Refused, with nothing written: no description, a file that is no picture, no category.
    let wide = png(1800, 600, [40, 120, 60]);
    for (id, alt, file, says) in [
        (category, "", wide.clone(), "Describe the picture"),
        (
            category,
            "Lamps on a shelf",
            b"GIF89a not really".to_vec(),
            "JPEG, PNG or WebP",
        ),
        (999_999, "Lamps on a shelf", wide.clone(), "That category"),
    ] {
        let (status, body) = upload_picture(&app, &manager, id, alt, file).await;
        assert!(status.is_client_error(), "{status}: {body}");
        assert!(body.contains(says), "{body}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM categories WHERE image_path IS NOT NULL"
        )
        .await,
        0
    );

    let (status, body) = upload_picture(&app, &manager, category, "Lamps on a shelf", wide).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The original with its renditions (320, 640, 1280 and its own width, 1600 at most).
    assert_eq!(files(&app).len(), 1 + 4, "{:?}", files(&app));
    let page = page_text(&app, &shop, "/c/lamps").await;
    assert!(page.contains("data-testid=\"category-picture\""), "{page}");
    assert!(page.contains("alt=\"Lamps on a shelf\""));
    assert!(page.contains("srcset=\"/media/images/"));
    let editor = page_text(&app, &manager, &format!("/manage/categories/{category}")).await;
    assert!(editor.contains("1800 × 600 pixels"), "{editor}");

    // Described anew, then taken away: the page follows at once.
    let (status, body) = app
        .submit(
            &manager,
            DescribeCategoryPicture::PATH,
            &[
                ("id", category.to_string()),
                ("alt", "Brass lamps on an oak shelf".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        page_text(&app, &shop, "/c/lamps")
            .await
            .contains("alt=\"Brass lamps on an oak shelf\"")
    );
    let (status, body) = app
        .submit(
            &manager,
            RemoveCategoryPicture::PATH,
            &[("id", category.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !page_text(&app, &shop, "/c/lamps")
            .await
            .contains("category-picture")
    );
    let (status, _) = app
        .submit(
            &manager,
            RemoveCategoryPicture::PATH,
            &[("id", category.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no picture left to remove");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'category'"
        )
        .await,
        3
    );
}
