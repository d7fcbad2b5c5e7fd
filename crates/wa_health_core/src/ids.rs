//! The shape of a Graph id, the one rule every place that takes or compares an id applies: decimal
//! ASCII digits, nothing else (anything else could change a request's path or query), and not too
//! many of them.

/// Longest Graph id accepted (real ones have 15-17 digits); Ruby's check reads it from here.
pub const MAX_GRAPH_ID_DIGITS: usize = 32;

/// Whether `text` is a Graph id: 1 to [`MAX_GRAPH_ID_DIGITS`] ASCII digits.
pub fn is_graph_id(text: &str) -> bool {
    (1..=MAX_GRAPH_ID_DIGITS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_ids_are_up_to_32_ascii_digits() {
        assert!(is_graph_id("1"));
        assert!(is_graph_id("102290129340398"));
        assert!(is_graph_id(&"9".repeat(MAX_GRAPH_ID_DIGITS)));
        for bad in [
            "", "12/34", "1?x=y", "..", "1 2", " 12", "1\n2", "١٢٣", "-1", "1e5",
        ] {
            assert!(!is_graph_id(bad), "{bad:?}");
        }
        assert!(!is_graph_id(&"9".repeat(MAX_GRAPH_ID_DIGITS + 1)));
    }
}
