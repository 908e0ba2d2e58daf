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
