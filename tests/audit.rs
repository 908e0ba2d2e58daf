//! The audit log in the back office: every write there is listed, newest first, and found by who
//! made it, what it was about and when.

use crate::support::browser::signed_in_as;
use crate::support::{BRASS_LAMP, TestApp, add_product};
use emporium::accounts::Role;
use emporium::manage::audit::api::FetchAuditLog;
use emporium::manage::audit::{AuditFilters, AuditPage};
use emporium::manage::stock::api::AdjustStock;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

async fn log(
    app: &TestApp,
    client: &reqwest::Client,
    filters: AuditFilters,
) -> (StatusCode, Option<AuditPage>) {
    app.read(client, FetchAuditLog::PATH, &FetchAuditLog { filters })
        .await
}

#[tokio::test]
async fn the_log_lists_back_office_writes_by_who_what_and_when_a_page_at_a_time() {
    let app = TestApp::spawn_unthrottled().await;
    let lamp = add_product(&app.db, &BRASS_LAMP).await;
    let clients = [
        signed_in_as(&app, "support@example.com", Role::Support).await,
        signed_in_as(&app, "manager@example.com", Role::Manager).await,
    ];
    let (support, manager) = (&clients[0], &clients[1]);
    for (client, n) in [(support, 60), (manager, 5)] {
        for _ in 0..n {
            let status = client
                .post(app.url(AdjustStock::PATH))
                .form(&[
                    ("variant_id", lamp.to_string()),
                    ("delta", "1".into()),
                    ("reason", "count".into()),
                ])
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::OK);
        }
    }
    assert_eq!(
        log(&app, support, AuditFilters::default()).await.0,
        StatusCode::FORBIDDEN,
        "support does not read the log"
    );

    let all = log(&app, manager, AuditFilters::default()).await.1.unwrap();
    assert_eq!(all.lines.len(), emporium::manage::audit::AUDIT_PAGE);
    assert_eq!(
        all.lines[0].actor.as_deref(),
        Some("manager@example.com"),
        "newest first"
    );
    assert_eq!(all.lines[0].action, "adjust_stock");
    assert_eq!(
        all.lines[0].href.as_deref(),
        Some(format!("/manage/inventory/{lamp}").as_str())
    );
    let older = log(
        &app,
        manager,
        AuditFilters {
            before: all.next,
            ..AuditFilters::default()
        },
    )
    .await
    .1
    .unwrap();
    assert_eq!(older.lines.len(), 65 - emporium::manage::audit::AUDIT_PAGE);
    assert_eq!(older.next, None);

    let by = |actor: &str| AuditFilters {
        actor: Some(actor.into()),
        ..AuditFilters::default()
    };
    assert_eq!(
        log(&app, manager, by("MANAGER@"))
            .await
            .1
            .unwrap()
            .lines
            .len(),
        5
    );
    let variant = AuditFilters {
        entity: Some("variant".into()),
        entity_id: Some(lamp.to_string()),
        ..AuditFilters::default()
    };
    let about_the_lamp = log(&app, manager, variant).await.1.unwrap();
    assert!(
        about_the_lamp.next.is_some(),
        "all 65 are about the lamp's variant"
    );
    assert!(
        log(
            &app,
            manager,
            AuditFilters {
                entity: Some("product".into()),
                ..AuditFilters::default()
            }
        )
        .await
        .1
        .unwrap()
        .lines
        .is_empty()
    );

    let today = chrono::Utc::now().date_naive();
    let day = |date: chrono::NaiveDate| Some(date.format("%Y-%m-%d").to_string());
    let on_today = AuditFilters {
        from: day(today),
        to: day(today),
        ..AuditFilters::default()
    };
    assert_eq!(
        log(&app, manager, on_today).await.1.unwrap().lines.len(),
        emporium::manage::audit::AUDIT_PAGE
    );
    let yesterday = today.pred_opt().unwrap();
    let before_today = AuditFilters {
        from: day(yesterday),
        to: day(yesterday),
        ..AuditFilters::default()
    };
    assert!(
        log(&app, manager, before_today)
            .await
            .1
            .unwrap()
            .lines
            .is_empty()
    );
    let bad = AuditFilters {
        from: Some("yesterday".into()),
        ..AuditFilters::default()
    };
    assert_eq!(log(&app, manager, bad).await.0, StatusCode::BAD_REQUEST);

    // What was done to an account shows only to those who may read accounts.
    crate::support::execute(
        &app.db,
        "INSERT INTO audit_log (action, entity_type, entity_id, after_data, created_at)
         VALUES ('change_role', 'user', '1', '{\"email\":\"someone@example.com\"}', '2026-12-01T00:00:00+00:00')",
    )
    .await;
    let users = || AuditFilters {
        entity: Some("user".into()),
        ..AuditFilters::default()
    };
    assert!(
        log(&app, manager, users())
            .await
            .1
            .unwrap()
            .lines
            .is_empty()
    );
    let admin = signed_in_as(&app, "admin@example.com", Role::Admin).await;
    assert_eq!(log(&app, &admin, users()).await.1.unwrap().lines.len(), 1);
}
