//! Products imported from CSV over HTTP on the engine under test: checked first with errors by
//! line and nothing written, applied by the background job in batches, and an export imported again
//! changing nothing.

use crate::support::browser::{browser, page_status, signed_in_as};
use crate::support::orders::count;
use crate::support::{TestApp, settings};
use emporium::accounts::Role;
use emporium::manage::products::csv::{COLUMNS, ExportProducts};
use emporium::manage::products::import::{
    ApplyProductImport, FetchProductImport, ImportView, UploadProductCsv,
};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

/// Uploads `content` as a CSV file and lets the shop check it; the import's id.
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    content: &str,
) -> (StatusCode, Option<i64>) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(content.as_bytes().to_vec()).file_name("products.csv"),
    );
    let response = client
        .post(app.url(UploadProductCsv::PATH))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    // The background job checks it; the test waits until the shop's jobs have all run since.
    app.advance(chrono::Duration::seconds(5)).await;
    // The page of the import, where a browser goes next.
    let id = response.headers().get("location").and_then(|to| {
        to.to_str()
            .ok()?
            .strip_prefix("/manage/imports/")?
            .parse()
            .ok()
    });
    (status, id)
}

async fn import(app: &TestApp, client: &reqwest::Client, id: i64) -> ImportView {
    let (status, view) = app
        .read(client, FetchProductImport::PATH, &FetchProductImport { id })
        .await;
    assert_eq!(status, StatusCode::OK);
    view.unwrap()
}

async fn apply(app: &TestApp, client: &reqwest::Client, id: i64) -> StatusCode {
    let (status, _) = app
        .submit(client, ApplyProductImport::PATH, &[("id", id.to_string())])
        .await;
    status
}

async fn export(app: &TestApp, client: &reqwest::Client) -> String {
    client
        .get(app.url(ExportProducts::PATH))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn shop_with_catalog(products: usize) -> TestApp {
    let app = TestApp::spawn_unthrottled().await;
    emporium::server::demo::generate_catalog(&app.db, &app.media_dir, &settings(), products)
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn an_export_imported_again_changes_nothing() {
    // More products than one batch (200), so the job commits several.
    let app = shop_with_catalog(450).await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let file = export(&app, &manager).await;
    let generation = count(&app, "SELECT generation FROM catalog_generation").await;
    let ledger = count(&app, "SELECT COUNT(*) FROM stock_movements").await;

    let (status, id) = upload(&app, &manager, &file).await;
    assert_eq!(status, StatusCode::OK);
    let checked = import(&app, &manager, id.unwrap()).await;
    assert_eq!(checked.status, "checked", "{:?}", checked.errors);
    assert_eq!(checked.products, 450);
    assert_eq!(checked.summary.unchanged_products, 450);
    assert_eq!(
        checked.summary.changed_products + checked.summary.new_products,
        0
    );
    assert!(checked.can_apply);

    assert_eq!(apply(&app, &manager, checked.id).await, StatusCode::OK);
    assert_eq!(
        apply(&app, &manager, checked.id).await,
        StatusCode::CONFLICT,
        "once"
    );
    app.advance(chrono::Duration::seconds(5)).await;
    let applied = import(&app, &manager, checked.id).await;
    assert_eq!(
        (applied.status.as_str(), applied.products_done),
        ("applied", 450)
    );
    assert_eq!(
        count(&app, "SELECT generation FROM catalog_generation").await,
        generation
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM stock_movements").await,
        ledger
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import_product'"
        )
        .await,
        0
    );
    assert_eq!(export(&app, &manager).await, file);
}

#[tokio::test]
async fn an_import_adds_and_changes_products_variants_and_stock_as_the_file_says() {
    let app = shop_with_catalog(3).await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let file = export(&app, &manager).await;
    let mut lines: Vec<String> = file.lines().map(str::to_owned).collect();
    let mut reader = csv::Reader::from_reader(file.as_bytes());
    let first: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let (category, sku) = (first[3].clone(), first[7].clone());
    // The first variant: a new price and a counted stock of 7.
    let mut changed = first.clone();
    changed[9] = "99.00".into();
    changed[12] = "7".into();
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(&changed).unwrap();
    lines[1] = String::from_utf8(writer.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_owned();
    // A new product with two variants, one with stock.
    lines.push(format!(
        "desk-orrery,Desk orrery,Planets that turn.,{category},active,,,ORR-S,Small,45.00,,3,5"
    ));
    lines.push(format!(
        "desk-orrery,Desk orrery,Planets that turn.,{category},active,,,ORR-L,Large,80.00,95.00,3,"
    ));
    let (status, id) = upload(&app, &manager, &(lines.join("\n") + "\n")).await;
    assert_eq!(status, StatusCode::OK);
    let checked = import(&app, &manager, id.unwrap()).await;
    assert_eq!(checked.errors, vec![]);
    assert_eq!(
        (
            checked.summary.new_products,
            checked.summary.changed_products,
            checked.summary.new_variants,
            checked.summary.changed_variants,
            checked.summary.stock_changes
        ),
        (1, 1, 2, 1, 2)
    );
    // Checking wrote nothing.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM products WHERE slug = 'desk-orrery'"
        )
        .await,
        0
    );

    assert_eq!(apply(&app, &manager, checked.id).await, StatusCode::OK);
    app.advance(chrono::Duration::seconds(5)).await;
    assert_eq!(import(&app, &manager, checked.id).await.status, "applied");
    assert_eq!(
        count(
            &app,
            &format!("SELECT price_minor FROM product_variants WHERE sku = '{sku}'")
        )
        .await,
        9900
    );
    assert_eq!(
        count(&app, &format!(
            "SELECT CAST(i.on_hand AS BIGINT) FROM inventory i JOIN product_variants v ON v.id = i.variant_id WHERE v.sku = '{sku}'"
        ))
        .await,
        7
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM stock_movements WHERE reason = 'count' AND note = 'CSV import'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT price_minor FROM products WHERE slug = 'desk-orrery'"
        )
        .await,
        4500,
        "the listing price is the cheapest variant's"
    );
    assert_eq!(
        page_status(&app, &browser(), "/p/desk-orrery").await,
        StatusCode::OK
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import_product'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_file_with_errors_is_refused_with_its_line_numbers_and_writes_nothing() {
    let app = shop_with_catalog(3).await;
    let manager = signed_in_as(&app, "manager@example.com", Role::Manager).await;
    let file = export(&app, &manager).await;
    let mut reader = csv::Reader::from_reader(file.as_bytes());
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let category = records[0][3].clone();
    let taken_sku = records[0][7].clone();
    let header = COLUMNS.join(",");
    let content = [
        header.as_str(),
        // A description over two lines, quoted: the lines after it are numbered as in the file.
        &format!(
            "lamp-zero,Lamp zero,\"Bright.\nAnd warm.\",{category},draft,,,L0-S,Small,12.00,,3,1"
        ),
        &format!("lamp-one,Lamp one,,{category},draft,,,L1-S,Small,12.x,,3,1"),
        "lamp-two,Lamp two,,nowhere,draft,,,L2-S,Small,12.00,,3,1",
        &format!("lamp-three,Lamp three,,{category},draft,,,L3-S,Small,12.00,,3,1"),
        &format!("lamp-four,Lamp four,,{category},draft,,,L3-S,Small,12.00,,3,1"),
        &format!("lamp-five,Lamp five,,{category},draft,,,{taken_sku},Small,12.00,,3,1"),
        &format!("lamp-three,Lamp 3,,{category},draft,,,L3-M,Medium,12.00,,3,1"),
        &format!("lamp-six,Lamp six,,{category},active,,,,,,,,"),
    ]
    .join("\n");
    let (status, id) = upload(&app, &manager, &content).await;
    assert_eq!(status, StatusCode::OK);
    let refused = import(&app, &manager, id.unwrap()).await;
    assert_eq!(refused.status, "refused");
    let lines: Vec<u64> = refused.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![4, 5, 7, 8, 9, 10], "{:?}", refused.errors);
    let message = |line: u64| {
        refused
            .errors
            .iter()
            .find(|e| e.line == line)
            .unwrap()
            .message
            .clone()
    };
    assert!(message(4).contains("The price"), "{}", message(4));
    assert!(message(5).contains("There is no category nowhere"));
    assert!(message(7).contains("is on line 6 too"));
    assert!(message(8).contains("belongs to another product"));
    assert!(message(9).contains("differ from line 6"));
    assert!(message(10).contains("without variants cannot be published"));
    assert!(!refused.can_apply);
    assert_eq!(
        apply(&app, &manager, refused.id).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM products WHERE slug LIKE 'lamp-%'"
        )
        .await,
        0
    );

    let (status, id) = upload(&app, &manager, "sku,price\nA,1\n").await;
    assert_eq!(status, StatusCode::OK);
    let wrong = import(&app, &manager, id.unwrap()).await;
    assert_eq!(wrong.errors[0].line, 1);

    // Staff who only read the catalog see imports but cannot make one.
    let support = signed_in_as(&app, "support@example.com", Role::Support).await;
    assert_eq!(upload(&app, &support, &file).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        page_status(&app, &support, "/manage/imports").await,
        StatusCode::OK
    );
}
