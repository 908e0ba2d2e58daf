//! The data layer on the engine under test: transactions, constraints, the session store.

use crate::support::{TestApp, fresh_database_url};
use emporium::catalog::repo::{self, NewProduct, NewVariant};
use emporium::money::{Currency, Money};
use emporium::server::config::DatabaseUrl;
use emporium::server::db::{Constraint, Db};
use emporium::server::sessions::Store;
use emporium::{in_tx, on_db};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

async fn empty_db() -> Db {
    let url = DatabaseUrl::parse(&fresh_database_url("data").await).unwrap();
    Db::connect(&url)
        .await
        .expect("database opens and migrates")
}

async fn category(db: &Db) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = repo::insert_category(
        &mut tx,
        &repo::NewCategory {
            parent_id: None,
            slug: "mugs",
            name: "Mugs",
            description: "",
            position: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn mug(category_id: i64, sku: &str, on_hand: i32) -> NewProduct {
    NewProduct {
        slug: sku.to_lowercase(),
        name: format!("Mug {sku}"),
        description: "A mug.".into(),
        category_id,
        featured: true,
        option1_name: None,
        created_at: chrono::Utc::now(),
        variants: vec![
            NewVariant {
                sku: format!("{sku}-S"),
                title: "Small".into(),
                option1: None,
                price: Money::new(1250, Currency::EUR),
                on_hand,
                low_stock_threshold: 2,
            },
            NewVariant {
                sku: format!("{sku}-L"),
                title: "Large".into(),
                option1: None,
                price: Money::new(990, Currency::EUR),
                on_hand: 0,
                low_stock_threshold: 2,
            },
        ],
        images: vec![],
    }
}

#[tokio::test]
async fn a_product_is_written_whole_or_not_at_all() {
    let db = empty_db().await;
    let category_id = category(&db).await;

    let mut tx = db.begin().await.unwrap();
    repo::insert_product(&mut tx, &mug(category_id, "A1", 3))
        .await
        .unwrap()
        .expect("a product with variants");
    // The second product reuses a SKU, so its transaction fails part-way and must leave nothing behind.
    let mut clash = mug(category_id, "B1", 1);
    clash.variants[1].sku = "A1-S".into();
    clash.slug = "b1".into();
    let error = repo::insert_product(&mut tx, &clash)
        .await
        .expect_err("a SKU is unique");
    assert_eq!(
        Constraint::broken_by(&error),
        Some(Constraint::Unique),
        "{error}"
    );
    drop(tx);
    assert_eq!(
        repo::count_products(&db).await.unwrap(),
        0,
        "a dropped transaction rolls back"
    );

    let mut tx = db.begin().await.unwrap();
    repo::insert_product(&mut tx, &mug(category_id, "A1", 2))
        .await
        .unwrap()
        .expect("a product with variants");
    tx.commit().await.unwrap();
    let cards = repo::featured(&db, 10).await.unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(
        cards[0].price,
        Money::new(990, Currency::EUR),
        "listed at its cheapest variant"
    );
    assert_eq!(
        cards[0].availability,
        emporium::catalog::Availability::Low(2),
        "at or under the threshold"
    );
    let ledger: i64 = on_db!(&db, pool => sqlx::query_scalar("SELECT CAST(SUM(delta) AS BIGINT) FROM stock_movements").fetch_one(pool).await).unwrap();
    assert_eq!(ledger, 2, "opening stock is in the ledger");
}

#[tokio::test]
async fn a_product_without_variants_is_not_written() {
    let db = empty_db().await;
    let category_id = category(&db).await;
    let mut bare = mug(category_id, "D1", 1);
    bare.variants.clear();
    let mut tx = db.begin().await.unwrap();
    assert_eq!(repo::insert_product(&mut tx, &bare).await.unwrap(), None);
    tx.commit().await.unwrap();
    assert_eq!(repo::count_products(&db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_database_refuses_to_reserve_more_than_is_on_hand() {
    let db = empty_db().await;
    let category_id = category(&db).await;
    let mut tx = db.begin().await.unwrap();
    repo::insert_product(&mut tx, &mug(category_id, "C1", 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let reserve = |quantity: i32| {
        let db = db.clone();
        async move {
            let mut tx = db.begin().await?;
            in_tx!(&mut tx, conn => sqlx::query(
                "UPDATE inventory SET reserved = reserved + $1
                 WHERE variant_id = (SELECT id FROM product_variants WHERE sku = 'C1-S')"
            ).bind(quantity).execute(conn).await.map(drop))?;
            tx.commit().await
        }
    };
    reserve(2).await.expect("two of two can be reserved");
    let error = reserve(1).await.expect_err("a third cannot");
    assert_eq!(
        Constraint::broken_by(&error),
        Some(Constraint::Check),
        "{error}"
    );
}

#[tokio::test]
async fn sessions_round_trip_through_the_shop_database() {
    let db = empty_db().await;
    let store = Store::new(&db);
    let mut record = Record {
        id: Id::default(),
        data: [("cart_id".to_owned(), serde_json::json!(7))]
            .into_iter()
            .collect(),
        expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
            + tower_sessions::cookie::time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    let loaded = store
        .load(&record.id)
        .await
        .unwrap()
        .expect("saved session loads");
    assert_eq!(loaded.data["cart_id"], 7);

    let mut expired = record.clone();
    expired.id = Id::default();
    expired.expiry_date = tower_sessions::cookie::time::OffsetDateTime::now_utc()
        - tower_sessions::cookie::time::Duration::hours(1);
    store.save(&expired).await.unwrap();
    store.delete_expired().await.unwrap();
    let rows: i64 = on_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(pool).await).unwrap();
    assert_eq!(rows, 1, "only the live session is left");

    store.delete(&record.id).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_running_app_and_a_second_connection_see_the_same_rows() {
    let app = TestApp::spawn().await;
    let roles: Vec<String> = on_db!(&app.db, pool => sqlx::query_scalar("SELECT name FROM roles ORDER BY id").fetch_all(pool).await).unwrap();
    assert_eq!(roles, ["customer", "support", "manager", "admin"]);
    let permissions = |role: &'static str| {
        let db = app.db.clone();
        async move {
            let rows: Vec<(String, String)> = on_db!(&db, pool => sqlx::query_as(
                "SELECT p.resource, p.action FROM permissions p
                 JOIN role_permissions rp ON rp.permission_id = p.id JOIN roles r ON r.id = rp.role_id
                 WHERE r.name = $1 ORDER BY p.resource, p.action"
            ).bind(role).fetch_all(pool).await).unwrap();
            rows.into_iter()
                .map(|(r, a)| format!("{r}:{a}"))
                .collect::<Vec<_>>()
        }
    };
    assert!(permissions("customer").await.is_empty());
    assert_eq!(
        permissions("support").await,
        [
            "categories:read",
            "inventory:read",
            "inventory:write",
            "orders:read",
            "orders:write",
            "products:read"
        ]
    );
    let manager = permissions("manager").await;
    assert!(
        manager.contains(&"refunds:write".to_owned())
            && manager.contains(&"audit:read".to_owned())
            && !manager.iter().any(|p| p.starts_with("users"))
    );
    assert_eq!(permissions("admin").await.len(), 15);
}
