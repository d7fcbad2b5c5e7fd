//! How Meta's enum-like values (`name_status`, `platform_type`, `event`, `decision`, tiers, ...) are
//! read everywhere: trimmed and ASCII-uppercased, and a blank value counts as no value.

/// `text` trimmed and ASCII-uppercased; `None` when absent or blank.
pub fn normalized(text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    (!text.is_empty()).then(|| text.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_uppercased_and_blank_is_absent() {
        assert_eq!(normalized(Some(" approved\n")).as_deref(), Some("APPROVED"));
        assert_eq!(normalized(Some("Cloud_API")).as_deref(), Some("CLOUD_API"));
        // Only ASCII letters change: a look-alike never becomes a known value.
        assert_eq!(normalized(Some("ᴀpproved")).as_deref(), Some("ᴀPPROVED"));
        assert_eq!(normalized(Some("")), None);
        assert_eq!(normalized(Some(" \t")), None);
        assert_eq!(normalized(None), None);
    }
}
