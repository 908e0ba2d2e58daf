//! The back office under `/manage`: one layout whose navigation follows the signed-in user's
//! permissions, and the sections staff work in: products (`products`), categories (`categories`),
//! stock (`stock`), user administration and the audit log (`audit`).

pub mod api;
pub mod audit;
pub mod categories;
pub mod pages;
pub mod products;
pub mod slugs;
pub mod stock;

use crate::accounts::{Action, Permission, Resource, Role, SessionView};
use serde::{Deserialize, Serialize};

/// A back-office section and the permission that shows it.
pub const SECTIONS: &[(&str, &str, Permission)] = &[
    (
        "Products",
        "/manage/products",
        Permission(Resource::Products, Action::Read),
    ),
    (
        "Categories",
        "/manage/categories",
        Permission(Resource::Categories, Action::Read),
    ),
    (
        "Stock",
        "/manage/inventory",
        Permission(Resource::Inventory, Action::Read),
    ),
    (
        "Users",
        "/manage/users",
        Permission(Resource::Users, Action::Read),
    ),
    (
        "Audit log",
        "/manage/audit",
        Permission(Resource::Audit, Action::Read),
    ),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavItem {
    pub label: String,
    pub href: String,
}

/// What the layout needs: who is working and where they may go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManageAccess {
    pub display_name: String,
    pub role: Role,
    pub nav: Vec<NavItem>,
    pub permissions: Vec<Permission>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<UserSummary>,
    /// The `before` parameter of the next page, when there is one.
    pub next: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub actor: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserSummary,
    pub email_verified: bool,
    pub sessions: Vec<SessionView>,
    pub audit: Vec<AuditView>,
    /// The admin is looking at their own account, which they may not demote, disable or delete.
    pub is_self: bool,
}

/// Which way a variant or a category moves among its siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    #[cfg(feature = "ssr")]
    pub fn parse(name: &str) -> Result<Direction, crate::error::AppError> {
        match name {
            "up" => Ok(Direction::Up),
            "down" => Ok(Direction::Down),
            _ => Err(crate::error::AppError::bad_request("Move it up or down.")),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// `order` with `id` moved one place this way; none when it is not there or already at that
    /// end.
    pub fn apply(self, mut order: Vec<i64>, id: i64) -> Option<Vec<i64>> {
        let at = order.iter().position(|item| *item == id)?;
        let to = match self {
            Direction::Up if at > 0 => at - 1,
            Direction::Down if at + 1 < order.len() => at + 1,
            _ => return None,
        };
        order.swap(at, to);
        Some(order)
    }
}

/// Records a back-office change in the audit log, against `record`, and commits the transaction
/// that made it.
#[cfg(feature = "ssr")]
pub async fn commit_audited(
    mut tx: crate::server::db::Tx,
    actor_user_id: i64,
    record: (crate::accounts::AuditEntity, i64),
    action: crate::accounts::AuditAction,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), crate::error::AppError> {
    use crate::accounts::repo::{AuditEntry, audit};
    let client = crate::accounts::auth::client().await;
    let (entity_type, id) = record;
    audit(
        &mut tx,
        AuditEntry {
            actor_user_id: Some(actor_user_id),
            action,
            entity_type,
            entity_id: id.to_string(),
            before,
            after,
            ip: Some(&client.ip),
        },
    )
    .await?;
    Ok(tx.commit().await?)
}

#[cfg(test)]
mod tests {
    use super::Direction;

    #[test]
    fn a_move_swaps_with_the_neighbour_and_stops_at_the_ends() {
        assert_eq!(Direction::Up.apply(vec![1, 2, 3], 3), Some(vec![1, 3, 2]));
        assert_eq!(Direction::Down.apply(vec![1, 2, 3], 1), Some(vec![2, 1, 3]));
        assert_eq!(Direction::Up.apply(vec![1, 2, 3], 1), None);
        assert_eq!(Direction::Down.apply(vec![1, 2, 3], 3), None);
        assert_eq!(Direction::Up.apply(vec![1, 2, 3], 9), None);
    }
}
