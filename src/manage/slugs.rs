//! Addresses (`/p/{slug}`, `/c/{slug}`) staff give products and categories.

/// The longest slug.
pub const SLUG_MAX: usize = 100;

/// An address made from a name: lower-case ASCII words joined by hyphens ("Crème Brûlée Set" →
/// "creme-brulee-set").
#[cfg(feature = "ssr")]
pub fn slugify(name: &str) -> String {
    let slug = slug::slugify(name);
    match slug.char_indices().nth(SLUG_MAX) {
        Some((cut, _)) => slug[..cut].trim_end_matches('-').to_owned(),
        None => slug,
    }
}

/// Whether `text` is an address the shop writes: lower-case ASCII words joined by single hyphens.
#[cfg(feature = "ssr")]
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= SLUG_MAX
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_made_of_lower_case_words_and_single_hyphens() {
        assert_eq!(slugify("  Crème Brûlée Set "), "creme-brulee-set");
        assert_eq!(slugify(&"word ".repeat(40)).len(), SLUG_MAX - 1);
        assert!(is_slug("brass-lamp-2"));
        for bad in ["", "Brass", "brass--lamp", "-lamp", "lamp-", "brass lamp"] {
            assert!(!is_slug(bad), "{bad}");
        }
    }
}
