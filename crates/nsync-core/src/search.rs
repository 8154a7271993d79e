//! The search key: what typeahead matches against.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for case- and accent-insensitive substring matching: compatibility
/// decomposition, combining marks dropped, lower-cased. `"Café Ünïon"` becomes `"cafe union"`.
///
/// Done in Rust rather than SQL so both backends match exactly the same way.
pub fn fold_for_search(text: &str) -> String {
    // ASCII is its own NFKD form and has no combining marks: the common case, ten times faster.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}
