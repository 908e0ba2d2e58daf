//! Accounts: people, their roles and their credentials.

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

/// The roles seeded by migration, from least to most trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Customer,
    Support,
    Manager,
    Admin,
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Support => "support",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}
