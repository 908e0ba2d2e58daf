//! A product's own fields as staff edit them, checked before anything is written.

use super::{CategoryChoice, ProductStatus};
#[cfg(feature = "ssr")]
use crate::error::AppError;
use crate::money::Money;
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const SEO_TITLE_MAX: usize = 70;
pub const SEO_DESCRIPTION_MAX: usize = 160;

/// The editor's page: the product as stored (blank for a new one) and what to choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEditor {
    /// None for a product not created yet.
    pub id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub category: Option<String>,
    pub status: ProductStatus,
    pub seo_title: String,
    pub seo_description: String,
    pub variants: Vec<VariantLine>,
    pub images: Vec<super::images::ProductImage>,
    /// Ordered at least once: it can be archived, never deleted.
    pub ordered: bool,
    pub categories: Vec<CategoryChoice>,
    pub can_edit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantLine {
    pub id: i64,
    pub sku: String,
    pub title: String,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub low_stock_threshold: i32,
    pub on_hand: i32,
    pub reserved: i32,
}

/// The editor's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub category: String,
    pub status: ProductStatus,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
}

/// The editor's fields as the form sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductFields {
    pub name: String,
    /// Blank: made from the name.
    pub slug: String,
    pub description: String,
    pub category: String,
    pub status: String,
    pub seo_title: String,
    pub seo_description: String,
}

/// One line of text: trimmed, within `max` characters, no control characters.
#[cfg(feature = "ssr")]
fn line(value: &str, what: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(AppError::bad_request(format!(
            "Keep the {what} to {max} characters."
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::bad_request(format!(
            "The {what} must be one line of plain text."
        )));
    }
    Ok(value.to_owned())
}

#[cfg(feature = "ssr")]
impl ProductFields {
    pub fn check(&self) -> Result<ProductDraft, AppError> {
        let name = line(&self.name, "name", NAME_MAX)?;
        if name.is_empty() {
            return Err(AppError::bad_request("Give the product a name."));
        }
        let slug = match self.slug.trim() {
            "" => crate::manage::slugs::slugify(&name),
            typed => typed.to_owned(),
        };
        if !crate::manage::slugs::is_slug(&slug) {
            return Err(AppError::bad_request(format!(
                "Use lower-case letters, digits and single hyphens for the address, like \
                 brass-desk-lamp, at most {} characters.",
                crate::manage::slugs::SLUG_MAX
            )));
        }
        let description = self.description.replace("\r\n", "\n");
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(AppError::bad_request(format!(
                "Keep the description to {DESCRIPTION_MAX} characters."
            )));
        }
        if description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(AppError::bad_request(
                "The description has characters that cannot be shown.",
            ));
        }
        let category = self.category.trim().to_owned();
        if category.is_empty() {
            return Err(AppError::bad_request("Choose the product's category."));
        }
        let status = ProductStatus::parse(self.status.trim())
            .ok_or_else(|| AppError::bad_request("Choose a status from the list."))?;
        let optional = |text: String| Some(text).filter(|t| !t.is_empty());
        Ok(ProductDraft {
            name,
            slug,
            description: description.trim().to_owned(),
            category,
            status,
            seo_title: optional(line(&self.seo_title, "search title", SEO_TITLE_MAX)?),
            seo_description: optional(line(
                &self.seo_description,
                "search description",
                SEO_DESCRIPTION_MAX,
            )?),
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn fields() -> ProductFields {
        ProductFields {
            name: "  Crème Brûlée Set ".into(),
            description: "Two **ramekins**.\r\n\r\nOven safe.".into(),
            category: "kitchen".into(),
            status: "draft".into(),
            ..ProductFields::default()
        }
    }

    #[test]
    fn a_blank_slug_is_made_from_the_name() {
        let draft = fields().check().unwrap();
        assert_eq!(draft.name, "Crème Brûlée Set");
        assert_eq!(draft.slug, "creme-brulee-set");
        assert_eq!(draft.description, "Two **ramekins**.\n\nOven safe.");
        assert_eq!(draft.seo_title, None);
    }

    #[test]
    fn fields_that_cannot_be_stored_as_typed_are_refused() {
        let cases: [fn(&mut ProductFields); 9] = [
            |f| f.name = " ".into(),
            |f| f.name = "a\nb".into(),
            |f| f.name = "n".repeat(NAME_MAX + 1),
            |f| f.slug = "Brass Lamp".into(),
            |f| f.slug = "brass--lamp".into(),
            |f| f.slug = "-lamp".into(),
            |f| f.category = String::new(),
            |f| f.status = "live".into(),
            |f| f.seo_description = "d".repeat(SEO_DESCRIPTION_MAX + 1),
        ];
        for change in cases {
            let mut fields = fields();
            change(&mut fields);
            assert!(fields.check().is_err(), "{fields:?}");
        }
        let mut typed = fields();
        typed.slug = "ramekins-2".into();
        assert_eq!(typed.check().unwrap().slug, "ramekins-2");
    }
}
