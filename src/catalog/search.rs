//! Full-text search in plain Rust: a shopper's text split into terms, the engines' query strings
//! built from those terms only, and spelling correction against the catalog's vocabulary.
//!
//! Terms are runs of letters and digits, lower-cased. Nothing else survives, so no query syntax
//! (quotes, `*`, `AND`, parentheses, `:`) can reach FTS5 or `to_tsquery`.

/// Words a search may combine; each costs a few index lookups.
pub const MAX_TERMS: usize = 10;

/// The search terms in `text`: lower-cased runs of letters and digits, each kept once, in order.
pub fn terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        // Lower-casing can add a combining mark ("İ" becomes "i" and a dot above), which is not
        // alphanumeric and must not reach a query.
        let word: String = word
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if !word.is_empty() && !terms.contains(&word) {
            terms.push(word);
        }
    }
    terms
}

/// Where in a product a term was found. A match in the name weighs most, then a SKU, then the
/// description; a product's score is the sum over the terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Sku,
    Description,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Name, Field::Sku, Field::Description];

    pub fn weight(self) -> i64 {
        match self {
            Field::Name => 4,
            Field::Sku => 2,
            Field::Description => 1,
        }
    }

    /// The FTS5 column of `product_search`.
    fn column(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Sku => "skus",
            Field::Description => "description",
        }
    }

    /// The tsvector weight label of `products.search_document`.
    fn label(self) -> char {
        match self {
            Field::Name => 'A',
            Field::Sku => 'B',
            Field::Description => 'C',
        }
    }
}

/// An FTS5 query: every term as a prefix, all required (`"mug"* "enam"*`), optionally limited to
/// one column. Terms hold only letters and digits, so quoting them is enough.
pub fn fts5_query(terms: &[String], field: Option<Field>) -> String {
    let all = terms
        .iter()
        .map(|term| format!("\"{term}\"*"))
        .collect::<Vec<_>>()
        .join(" ");
    match field {
        Some(field) => format!("{} : {all}", field.column()),
        None => all,
    }
}

/// A `to_tsquery('simple', …)` text: every term as a prefix, all required (`mug:* & enam:*`),
/// optionally limited to one field's weight (`mug:*A`).
pub fn tsquery(terms: &[String], field: Option<Field>) -> String {
    let label = field
        .map(|field| field.label().to_string())
        .unwrap_or_default();
    terms
        .iter()
        .map(|term| format!("{term}:*{label}"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The catalog's words with the number of products each appears in, for spelling correction.
/// Only words of letters are kept: codes and numbers are not misspelt words.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Sorted by word, so "does any word start with this term" is a binary search.
    words: Vec<(String, i64)>,
}

impl Vocabulary {
    pub fn new(words: impl IntoIterator<Item = (String, i64)>) -> Self {
        let mut words: Vec<(String, i64)> = words
            .into_iter()
            .filter(|(word, _)| !word.is_empty() && word.chars().all(char::is_alphabetic))
            .collect();
        words.sort();
        words.dedup_by(|a, b| a.0 == b.0);
        Vocabulary { words }
    }

    /// Whether some word starts with `term`, which is what a prefix search matches.
    fn has_prefix(&self, term: &str) -> bool {
        let start = self.words.partition_point(|(word, _)| word.as_str() < term);
        self.words
            .get(start)
            .is_some_and(|(word, _)| word.starts_with(term))
    }

    /// The closest word to a term that matches nothing: within 1 edit for words of up to five
    /// letters, 2 for longer ones. Ties go to the word in more products, then the first in order.
    fn closest(&self, term: &str) -> Option<&str> {
        let length = term.chars().count();
        let budget = match length {
            0..=2 => return None,
            3..=5 => 1,
            _ => 2,
        };
        self.words
            .iter()
            .filter_map(|(word, products)| {
                edit_distance_within(term, word, budget).map(|distance| (distance, -products, word))
            })
            .min()
            .map(|(_, _, word)| word.as_str())
    }

    /// `terms` with each word that matches nothing replaced by its closest known word; `None`
    /// when nothing needed, or could be, corrected.
    pub fn correct(&self, terms: &[String]) -> Option<Vec<String>> {
        let mut changed = false;
        let corrected = terms
            .iter()
            .map(|term| {
                if term.chars().all(char::is_alphabetic)
                    && !self.has_prefix(term)
                    && let Some(word) = self.closest(term)
                {
                    changed = true;
                    return word.to_owned();
                }
                term.clone()
            })
            .collect();
        changed.then_some(corrected)
    }
}

/// The Levenshtein distance between `a` and `b` (in characters) if it is at most `limit`.
pub fn edit_distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        // Every later row is at least this row's minimum, so stop once it exceeds the limit.
        if current.iter().min().is_some_and(|min| *min > limit) {
            return None;
        }
        previous = current;
    }
    previous
        .last()
        .copied()
        .filter(|distance| *distance <= limit)
}

/// The vocabulary, loaded on first use and again only after the catalog's words have changed.
/// Triggers bump `search_index_version` whenever a product's name, description or SKUs change, so
/// checking for a change is one single-row read, and reading every word happens once per change,
/// and at most once per `refresh`: while the catalog changes continuously (an import), searches
/// keep correcting against words at most that old instead of each reading them all again.
#[cfg(feature = "ssr")]
#[derive(Debug)]
pub struct VocabularyCache {
    refresh: std::time::Duration,
    loaded: tokio::sync::Mutex<Option<Loaded>>,
}

#[cfg(feature = "ssr")]
#[derive(Debug)]
struct Loaded {
    version: i64,
    at: std::time::Instant,
    vocabulary: std::sync::Arc<Vocabulary>,
}

#[cfg(feature = "ssr")]
impl Default for VocabularyCache {
    fn default() -> Self {
        VocabularyCache::new(std::time::Duration::from_secs(60))
    }
}

#[cfg(feature = "ssr")]
impl VocabularyCache {
    /// A cache that reloads a changed vocabulary no more often than every `refresh`.
    pub fn new(refresh: std::time::Duration) -> Self {
        VocabularyCache {
            refresh,
            loaded: tokio::sync::Mutex::default(),
        }
    }

    /// The vocabulary for `version`, built by `load` unless the cached one is for that version
    /// or was loaded less than `refresh` ago.
    pub async fn get<F, E>(&self, version: i64, load: F) -> Result<std::sync::Arc<Vocabulary>, E>
    where
        F: AsyncFnOnce() -> Result<Vocabulary, E>,
    {
        // Held while loading, so concurrent requests wait for one load rather than each running it.
        let mut loaded = self.loaded.lock().await;
        if let Some(cached) = loaded.as_ref()
            && (cached.version == version || cached.at.elapsed() < self.refresh)
        {
            return Ok(cached.vocabulary.clone());
        }
        let vocabulary = std::sync::Arc::new(load().await?);
        *loaded = Some(Loaded {
            version,
            at: std::time::Instant::now(),
            vocabulary: vocabulary.clone(),
        });
        Ok(vocabulary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn terms_are_lower_cased_words_without_syntax() {
        assert_eq!(
            terms("Enamel MUG  \"cast*iron\" (AND) 'x'; DROP TABLE"),
            words(&["enamel", "mug", "cast", "iron", "and", "x", "drop", "table"])
        );
        assert_eq!(terms("Sauté-pan sauté"), words(&["sauté", "pan"]));
        assert!(terms("\"*:()&|!<->'").is_empty());
    }

    #[test]
    fn queries_make_every_term_a_required_prefix() {
        let t = words(&["enam", "mug"]);
        assert_eq!(fts5_query(&t, None), "\"enam\"* \"mug\"*");
        assert_eq!(
            fts5_query(&t, Some(Field::Name)),
            "name : \"enam\"* \"mug\"*"
        );
        assert_eq!(tsquery(&t, None), "enam:* & mug:*");
        assert_eq!(tsquery(&t, Some(Field::Sku)), "enam:*B & mug:*B");
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance_within("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance_within("kitten", "sitting", 2), None);
        assert_eq!(edit_distance_within("mug", "mug", 0), Some(0));
        assert_eq!(edit_distance_within("mgu", "mug", 2), Some(2));
        assert_eq!(edit_distance_within("", "ab", 2), Some(2));
        assert_eq!(edit_distance_within("sauté", "saute", 1), Some(1));
    }

    #[test]
    fn misspelt_words_are_corrected_and_known_prefixes_kept() {
        let vocabulary = Vocabulary::new([
            ("lantern".to_owned(), 3),
            ("linen".to_owned(), 9),
            ("lines".to_owned(), 1),
            ("mug".to_owned(), 4),
            ("00012".to_owned(), 1),
        ]);
        assert_eq!(vocabulary.words.len(), 4, "numbers are left out");
        // "lanten" is one deletion from "lantern"; "mug" is known; "lin" is a prefix of known words.
        assert_eq!(
            vocabulary.correct(&words(&["lanten", "mug", "lin"])),
            Some(words(&["lantern", "mug", "lin"]))
        );
        // Equally close: the word in more products wins.
        assert_eq!(
            vocabulary.correct(&words(&["linex"])),
            Some(words(&["linen"]))
        );
        assert_eq!(vocabulary.correct(&words(&["mug", "lin"])), None);
        assert_eq!(vocabulary.correct(&words(&["qqqqzzzz"])), None);
        // Short words allow one edit, and words of two letters none.
        assert_eq!(vocabulary.correct(&words(&["mxx"])), None);
        assert_eq!(vocabulary.correct(&words(&["mux"])), Some(words(&["mug"])));
        assert_eq!(vocabulary.correct(&words(&["mx"])), None);
        assert_eq!(vocabulary.correct(&words(&["99"])), None);
    }

    #[cfg(feature = "ssr")]
    #[tokio::test]
    async fn the_cache_reloads_a_changed_vocabulary_at_most_once_per_refresh() {
        let load =
            |word: &'static str| async move || Ok::<_, ()>(Vocabulary::new([(word.to_owned(), 1)]));
        let has = |vocabulary: &Vocabulary, word: &str| vocabulary.has_prefix(word);
        let eager = VocabularyCache::new(std::time::Duration::ZERO);
        assert!(has(&eager.get(1, load("mug")).await.unwrap(), "mug"));
        assert!(
            has(&eager.get(1, load("cup")).await.unwrap(), "mug"),
            "same version: cached"
        );
        assert!(
            has(&eager.get(2, load("cup")).await.unwrap(), "cup"),
            "changed: reloaded"
        );
        let patient = VocabularyCache::new(std::time::Duration::from_secs(3600));
        assert!(has(&patient.get(1, load("mug")).await.unwrap(), "mug"));
        assert!(
            has(&patient.get(2, load("cup")).await.unwrap(), "mug"),
            "loaded too recently"
        );
    }

    /// The textbook full-matrix Levenshtein distance, to check the bounded one against.
    fn levenshtein(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]));
            }
        }
        d[a.len()][b.len()]
    }

    proptest! {
        #[test]
        fn terms_of_any_text_are_safe_in_both_query_languages(text in "\\PC{0,100}") {
            let terms = terms(&text);
            for term in &terms {
                prop_assert!(!term.is_empty());
                prop_assert!(term.chars().all(char::is_alphanumeric), "{term:?}");
            }
            // Nothing in a term can close FTS5's quotes or start tsquery syntax.
            let fts = fts5_query(&terms, None);
            prop_assert_eq!(fts.matches('"').count(), 2 * terms.len());
            let ts = tsquery(&terms, None);
            prop_assert!(!ts.contains(['\'', '(', ')', '|', '!', '<', '\\']));
        }

        #[test]
        fn bounded_distance_agrees_with_the_full_one(a in "[a-dé]{0,8}", b in "[a-dé]{0,8}", limit in 0usize..4) {
            let full = levenshtein(&a, &b);
            prop_assert_eq!(edit_distance_within(&a, &b, limit), (full <= limit).then_some(full));
        }

        #[test]
        fn a_correction_is_a_known_word_within_the_budget(known in proptest::collection::vec("[a-e]{1,8}", 1..20), term in "[a-e]{1,9}") {
            let vocabulary = Vocabulary::new(known.iter().map(|w| (w.clone(), 1)));
            if let Some(corrected) = vocabulary.correct(std::slice::from_ref(&term)) {
                let word = &corrected[0];
                prop_assert!(known.contains(word));
                prop_assert!(!known.iter().any(|w| w.starts_with(term.as_str())), "only terms that match nothing are corrected");
                let budget = if term.chars().count() <= 5 { 1 } else { 2 };
                prop_assert!(levenshtein(&term, word) <= budget);
            }
        }
    }
}
