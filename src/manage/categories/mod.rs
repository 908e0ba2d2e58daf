//! Categories in the back office (`/manage/categories`): the tree in the shop's order, moved up,
//! down or under another category; created, renamed, described, hidden, given a picture; deleted
//! once their products have somewhere to go. The shop shows two levels, so a category with subcategories
//! stays at the top.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;

#[cfg(feature = "ssr")]
use crate::error::AppError;
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2_000;

/// One category in the tree, with what the tree page shows of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryLine {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// 0 at the top, 1 under a top-level category.
    pub depth: usize,
    pub hidden: bool,
    /// Its own products, not its subcategories'.
    pub products: i64,
    pub first: bool,
    pub last: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryTree {
    pub lines: Vec<CategoryLine>,
    pub can_edit: bool,
}

/// A category's fields as the form sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CategoryFields {
    pub name: String,
    /// Blank: made from the name.
    pub slug: String,
    pub description: String,
    /// The slug of the top-level category it goes under; blank for the top.
    pub parent: String,
    /// A checkbox: present when ticked.
    pub hidden: Option<String>,
}

/// A category's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CategoryDraft {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub parent: Option<String>,
    pub hidden: bool,
}

#[cfg(feature = "ssr")]
impl CategoryFields {
    pub fn check(&self) -> Result<CategoryDraft, AppError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control)
        {
            return Err(AppError::bad_request(format!(
                "Name the category in one line of up to {NAME_MAX} characters."
            )));
        }
        let slug = match self.slug.trim() {
            "" => crate::manage::slugs::slugify(&name),
            typed => typed.to_owned(),
        };
        if !crate::manage::slugs::is_slug(&slug) {
            return Err(AppError::bad_request(
                "Use lower-case letters, digits and single hyphens for the address, like desk-lamps.",
            ));
        }
        let description = self.description.trim().replace("\r\n", "\n");
        if description.chars().count() > DESCRIPTION_MAX
            || description.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(AppError::bad_request(format!(
                "Keep the description to {DESCRIPTION_MAX} characters of plain text."
            )));
        }
        let parent = Some(self.parent.trim().to_owned()).filter(|p| !p.is_empty());
        Ok(CategoryDraft {
            name,
            slug,
            description,
            parent,
            hidden: self.hidden.is_some(),
        })
    }
}

/// A category to choose: for a parent, or a home for products.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryOption {
    pub slug: String,
    pub name: String,
}

/// A category's picture in its editor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryPicture {
    /// The smallest rendition (or the file itself).
    pub thumbnail: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// The category editor's page (blank for a new category).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryEditor {
    pub id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub parent: Option<String>,
    pub hidden: bool,
    pub products: i64,
    pub has_children: bool,
    pub picture: Option<CategoryPicture>,
    /// Top-level categories it may go under (not itself).
    pub parents: Vec<CategoryOption>,
    /// Every other category, for its products when it is deleted.
    pub others: Vec<CategoryOption>,
    pub can_edit: bool,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_category_is_named_addressed_and_placed() {
        let draft = CategoryFields {
            name: " Desk Lamps ".into(),
            parent: "lighting".into(),
            hidden: Some("on".into()),
            ..CategoryFields::default()
        }
        .check()
        .unwrap();
        assert_eq!(
            draft,
            CategoryDraft {
                name: "Desk Lamps".into(),
                slug: "desk-lamps".into(),
                description: String::new(),
                parent: Some("lighting".into()),
                hidden: true
            }
        );
        for fields in [
            CategoryFields {
                name: " ".into(),
                ..Default::default()
            },
            CategoryFields {
                name: "Lamps".into(),
                slug: "Lamps!".into(),
                ..Default::default()
            },
            CategoryFields {
                name: "Lamps".into(),
                description: "d".repeat(DESCRIPTION_MAX + 1),
                ..Default::default()
            },
        ] {
            assert!(fields.check().is_err(), "{fields:?}");
        }
    }
}
