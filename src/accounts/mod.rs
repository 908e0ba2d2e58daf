//! Accounts: people, their roles and permissions, their credentials, sessions and addresses.

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod emails;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod repo;

use crate::error::AppError;
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
    pub const ALL: [Role; 4] = [Role::Customer, Role::Support, Role::Manager, Role::Admin];

    pub fn name(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Support => "support",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Every role but a shopper's works in the back office.
    pub fn is_staff(&self) -> bool {
        *self != Role::Customer
    }

    pub fn label(&self) -> &'static str {
        match self {
            Role::Customer => "Customer",
            Role::Support => "Support",
            Role::Manager => "Manager",
            Role::Admin => "Admin",
        }
    }

    pub fn parse(name: &str) -> Result<Role, AppError> {
        Role::ALL
            .into_iter()
            .find(|role| role.name() == name)
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "'{name}' is not a role; use customer, support, manager or admin"
                ))
            })
    }
}

/// A role as the database stores it. A name the code does not know fails the whole read, logged as a
/// database error, rather than standing in for some other role.
impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(name: String) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.name() == name)
            .ok_or(UnknownRole(name))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the database holds a role this build does not know: {0:?}")]
pub struct UnknownRole(String);

/// What a permission is about; the rows in `permissions` are these × [`Action`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Resource {
    Products,
    Categories,
    Inventory,
    Orders,
    Refunds,
    Users,
    Settings,
    Audit,
}

impl Resource {
    pub const ALL: [Resource; 8] = [
        Resource::Products,
        Resource::Categories,
        Resource::Inventory,
        Resource::Orders,
        Resource::Refunds,
        Resource::Users,
        Resource::Settings,
        Resource::Audit,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Resource::Products => "products",
            Resource::Categories => "categories",
            Resource::Inventory => "inventory",
            Resource::Orders => "orders",
            Resource::Refunds => "refunds",
            Resource::Users => "users",
            Resource::Settings => "settings",
            Resource::Audit => "audit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    Read,
    Write,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Permission(pub Resource, pub Action);

/// What a back-office write did, as the audit log names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    CreateUser,
    ChangeRole,
    DisableUser,
    EnableUser,
    SendPasswordReset,
    EndSessions,
    DeleteUser,
    AdjustStock,
    PublishProduct,
    WithdrawProduct,
    ArchiveProduct,
    MoveProduct,
    CreateProduct,
    UpdateProduct,
    DeleteProduct,
    AddVariant,
    UpdateVariant,
    MoveVariant,
    RemoveVariant,
    AddImages,
    UpdateImage,
    MoveImage,
    RemoveImage,
    ImportProduct,
    CreateCategory,
    UpdateCategory,
    MoveCategory,
    DeleteCategory,
}

impl AuditAction {
    pub fn name(&self) -> &'static str {
        match self {
            AuditAction::CreateUser => "create",
            AuditAction::ChangeRole => "change_role",
            AuditAction::DisableUser => "disable",
            AuditAction::EnableUser => "enable",
            AuditAction::SendPasswordReset => "send_password_reset",
            AuditAction::EndSessions => "end_sessions",
            AuditAction::DeleteUser => "delete",
            AuditAction::AdjustStock => "adjust_stock",
            AuditAction::PublishProduct => "publish",
            AuditAction::WithdrawProduct => "withdraw",
            AuditAction::ArchiveProduct => "archive",
            AuditAction::MoveProduct => "move",
            AuditAction::CreateProduct => "create_product",
            AuditAction::UpdateProduct => "update_product",
            AuditAction::DeleteProduct => "delete_product",
            AuditAction::AddVariant => "add_variant",
            AuditAction::UpdateVariant => "update_variant",
            AuditAction::MoveVariant => "move_variant",
            AuditAction::RemoveVariant => "remove_variant",
            AuditAction::AddImages => "add_images",
            AuditAction::UpdateImage => "update_image",
            AuditAction::MoveImage => "move_image",
            AuditAction::RemoveImage => "remove_image",
            AuditAction::ImportProduct => "import_product",
            AuditAction::CreateCategory => "create_category",
            AuditAction::UpdateCategory => "update_category",
            AuditAction::MoveCategory => "move_category",
            AuditAction::DeleteCategory => "delete_category",
        }
    }
}

/// The kind of record an audit entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditEntity {
    User,
    Category,
    Product,
    Variant,
}

impl AuditEntity {
    pub const ALL: [AuditEntity; 4] = [
        AuditEntity::User,
        AuditEntity::Category,
        AuditEntity::Product,
        AuditEntity::Variant,
    ];

    pub fn label(&self) -> &'static str {
        match self {
            AuditEntity::User => "User",
            AuditEntity::Category => "Category",
            AuditEntity::Product => "Product",
            AuditEntity::Variant => "Variant",
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            AuditEntity::User => "user",
            AuditEntity::Category => "category",
            AuditEntity::Product => "product",
            AuditEntity::Variant => "variant",
        }
    }
}

impl Permission {
    pub fn parse(resource: &str, action: &str) -> Option<Permission> {
        let resource = Resource::ALL.into_iter().find(|r| r.name() == resource)?;
        let action = [Action::Read, Action::Write]
            .into_iter()
            .find(|a| a.name() == action)?;
        Some(Permission(resource, action))
    }
}

/// The signed-in person making the request, as the server knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub permissions: Vec<Permission>,
}

impl CurrentUser {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Staff are those who may read anything in the back office.
    pub fn is_staff(&self) -> bool {
        self.permissions.iter().any(|p| p.1 == Action::Read)
    }
}

/// A checked email address: trimmed, lower-cased, one `@` with text on both sides and a dot in
/// the domain. Deliverability is proven by the verification mail, not by this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, AppError> {
        let email = text.trim().to_lowercase();
        let invalid = || AppError::bad_request("Enter an email address such as name@example.com.");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as shown in the shop: 1 to 80 characters after trimming, on one line, without
/// control characters, invisible characters or the marks that reorder text (which could make a
/// name in an email, the back office or the audit log read as something else). The joiners that
/// some scripts and emoji need (U+200C, U+200D) are allowed.
pub fn parse_display_name(text: &str) -> Result<String, AppError> {
    let name = text.trim();
    let hidden = |c: char| {
        matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
                | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{3164}' | '\u{FEFF}'
                | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
    };
    if name.chars().any(|c| c.is_control() || hidden(c)) {
        return Err(AppError::bad_request(
            "Names are one line of ordinary characters.",
        ));
    }
    match name.chars().count() {
        0 => Err(AppError::bad_request("Enter your name.")),
        1..=80 => Ok(name.to_owned()),
        _ => Err(AppError::bad_request("Names are at most 80 characters.")),
    }
}

/// Where to go after signing in: only a path on this shop, so a crafted link cannot send a
/// shopper elsewhere, and only visible ASCII, so it is always a valid Location header.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

/// One signed-in device in the "active sessions" list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// A public handle for the row; the session's own secret is never sent.
    pub handle: String,
    pub device: String,
    pub ip: String,
    pub signed_in_at: String,
    pub last_seen_at: String,
    pub current: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddressKind {
    Shipping,
    Billing,
}

impl AddressKind {
    pub fn name(&self) -> &'static str {
        match self {
            AddressKind::Shipping => "shipping",
            AddressKind::Billing => "billing",
        }
    }

    pub fn parse(text: &str) -> Result<AddressKind, AppError> {
        match text {
            "shipping" => Ok(AddressKind::Shipping),
            "billing" => Ok(AddressKind::Billing),
            _ => Err(AppError::bad_request("Choose shipping or billing.")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressView {
    pub id: i64,
    pub kind: AddressKind,
    pub full_name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    pub is_default: bool,
}

/// The address form as submitted, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressInput {
    pub kind: String,
    pub full_name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    #[serde(default)]
    pub region: String,
    pub postal_code: String,
    pub country: String,
    #[serde(default)]
    pub phone: String,
    /// A checkbox: present when ticked.
    pub is_default: Option<String>,
}

/// Everything the account page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    pub role: Role,
    pub sessions: Vec<SessionView>,
    pub addresses: Vec<AddressView>,
}

/// "Chrome on Linux" from a User-Agent header; good enough to recognise one's own devices.
pub fn describe_device(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(token, _)| user_agent.contains(token))
    .map_or("Unknown browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| user_agent.contains(token))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stored_roles_are_read_as_named_and_an_unknown_one_is_an_error() {
        for role in Role::ALL {
            assert_eq!(Role::try_from(role.name().to_owned()).unwrap(), role);
        }
        assert!(Role::try_from("auditor".to_owned()).is_err());
        assert!(Role::try_from("Admin".to_owned()).is_err());
    }

    #[test]
    fn display_names_are_one_line_of_ordinary_characters() {
        assert_eq!(
            parse_display_name("  Ada Lovelace ").unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(parse_display_name("Zoë Ñúñez").unwrap(), "Zoë Ñúñez");
        assert_eq!(parse_display_name("Zoë\u{200D}").unwrap(), "Zoë\u{200D}");
        for bad in [
            "Ada\u{2028}Lovelace",
            "Ada\u{200F}",
            "A\u{200B}da",
            "\u{FEFF}Ada",
            "Ada\nLovelace",
            "Ada\r\nBcc: x",
            "Ada\tL",
            "A\u{0}da",
            "Ada\u{202E}ecalevoL",
            "\u{2066}Ada",
        ] {
            assert!(parse_display_name(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn an_accepted_display_name_holds_no_control_or_hidden_character(
            name in "\\PC{0,3}[\\x00-\\x1f\\x7f\\u{202E}\\u{2028}\\u{200B}\\u{FEFF}]?\\PC{0,3}"
        ) {
            let hidden = ['\u{202E}', '\u{2028}', '\u{200B}', '\u{FEFF}'];
            if let Ok(accepted) = parse_display_name(&name) {
                prop_assert!(
                    !accepted.chars().any(|c| c.is_control() || hidden.contains(&c)),
                    "{accepted:?}"
                );
            }
        }
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@.example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_stays_on_the_shop() {
        assert_eq!(safe_next(Some("/p/mug?x=1")), "/p/mug?x=1");
        for outside in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
        ] {
            assert_eq!(safe_next(Some(outside)), "/account", "{outside}");
        }
        assert_eq!(safe_next(None), "/account");
    }

    #[test]
    fn devices_are_named_from_the_user_agent() {
        assert_eq!(
            describe_device(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(describe_device(""), "Unknown browser");
    }

    proptest! {
        #[test]
        fn parsed_emails_round_trip(text in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }

        #[test]
        fn next_is_always_a_local_path(text in "\\PC{0,40}") {
            let next = safe_next(Some(&text));
            prop_assert!(next.starts_with('/') && !next.starts_with("//"));
            prop_assert!(next.chars().all(|c| c.is_ascii_graphic()));
        }
    }
}
