//! The audit log in the back office (`/manage/audit`): every back-office write, who made it and
//! when, with the record before and after, filtered by who, what and when.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use {crate::accounts::AuditEntity, crate::error::AppError, chrono::NaiveDate};

/// Entries per page.
pub const AUDIT_PAGE: usize = 50;

/// The log's filters as they arrive in its address, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilters {
    /// Part of the acting staff member's email or name.
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// The first and last days shown, `YYYY-MM-DD`, in UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The last entry of the previous page.
    pub before: Option<i64>,
}

#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedAuditFilters {
    pub actor: Option<String>,
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// The end of the last day: entries before it.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    pub before: Option<i64>,
    /// Leaves out entries about accounts.
    pub without_users: bool,
}

#[cfg(feature = "ssr")]
impl AuditFilters {
    pub fn check(&self) -> Result<CheckedAuditFilters, AppError> {
        let text = |value: &Option<String>, what: &str| -> Result<Option<String>, AppError> {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
            match value {
                Some(v) if v.chars().count() > 100 => Err(AppError::bad_request(format!(
                    "Search the {what} for at most 100 characters."
                ))),
                other => Ok(other.map(str::to_owned)),
            }
        };
        let day = |value: &Option<String>| -> Result<Option<NaiveDate>, AppError> {
            match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .ok()
                    // Years both engines store, and whose next day exists.
                    .filter(|date| (1970..=9999).contains(&chrono::Datelike::year(date)))
                    .map(Some)
                    .ok_or_else(|| {
                        AppError::bad_request("Give dates as year-month-day, like 2026-12-01.")
                    }),
            }
        };
        let entity = match text(&self.entity, "record kind")? {
            None => None,
            Some(name) => Some(
                AuditEntity::ALL
                    .into_iter()
                    .find(|entity| entity.name() == name)
                    .ok_or_else(|| {
                        AppError::bad_request("Choose a kind of record from the list.")
                    })?,
            ),
        };
        let start_of = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let (from, to) = (day(&self.from)?, day(&self.to)?);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(AppError::bad_request(
                "The last day comes before the first.",
            ));
        }
        Ok(CheckedAuditFilters {
            actor: text(&self.actor, "staff member")?,
            entity,
            entity_id: text(&self.entity_id, "record")?,
            from: from.and_then(start_of),
            until: to.and_then(|to| to.succ_opt()).and_then(start_of),
            before: self.before,
            without_users: false,
        })
    }
}

impl AuditFilters {
    /// The address of the log with these filters.
    pub fn href(&self) -> String {
        let pairs = [
            ("actor", self.actor.clone()),
            ("entity", self.entity.clone()),
            ("entity_id", self.entity_id.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("before", self.before.map(|b| b.to_string())),
        ];
        let params: leptos_router::params::ParamsMap = pairs
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value.filter(|v| !v.is_empty())?)))
            .collect();
        format!("/manage/audit{}", params.to_query_string())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub id: i64,
    pub at: String,
    /// The staff member, or none for the shop itself (or an account since deleted).
    pub actor: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// Where the record is managed, when it has a page.
    pub href: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    pub next: Option<i64>,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_whole_days_and_unknown_kinds_are_refused() {
        let checked = AuditFilters {
            from: Some("2026-12-01".into()),
            to: Some("2026-12-01".into()),
            entity: Some("variant".into()),
            ..AuditFilters::default()
        }
        .check()
        .unwrap();
        assert_eq!(
            checked.from.unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(
            checked.until.unwrap().to_rfc3339(),
            "2026-12-02T00:00:00+00:00"
        );
        assert_eq!(checked.entity, Some(AuditEntity::Variant));
        for filters in [
            AuditFilters {
                from: Some("1/12/2026".into()),
                ..Default::default()
            },
            AuditFilters {
                to: Some("+262143-12-31".into()),
                ..Default::default()
            },
            AuditFilters {
                from: Some("0001-01-01".into()),
                ..Default::default()
            },
            AuditFilters {
                from: Some("2026-12-02".into()),
                to: Some("2026-12-01".into()),
                ..Default::default()
            },
            AuditFilters {
                entity: Some("order".into()),
                ..Default::default()
            },
            AuditFilters {
                actor: Some("a".repeat(101)),
                ..Default::default()
            },
        ] {
            assert!(filters.check().is_err(), "{filters:?}");
        }
    }
}
