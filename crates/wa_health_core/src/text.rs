//! Text that came from outside (Meta's values, an exception's message) made safe for one log line:
//! control characters escaped so that nothing can start a new line or steer a terminal, and length
//! bounded so that a 3 MB name cannot become a 3 MB message.

/// `text` on one line: `\n`, `\r` and `\t` as those two-character escapes, every other control
/// character (C0, DEL, C1, and the Unicode line and paragraph separators) as `\u{XXXX}`; cut after
/// `max_chars` characters, with `...` added when cut.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(2)));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str("...");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:04X}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as a single-line value to store (a display name): every control character (and the
/// line and paragraph separators) becomes a space, runs of white space one space, ends trimmed.
pub fn single_line_value(text: &str) -> String {
    text.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_what_could_start_a_line_or_steer_a_terminal() {
        assert_eq!(
            one_line("a\nb\r\tc\u{1b}[31m\u{2028}\u{85}", 100),
            "a\\nb\\r\\tc\\u{001B}[31m\\u{2028}\\u{0085}"
        );
        assert_eq!(one_line("Lucky Shrub", 100), "Lucky Shrub");
        assert_eq!(one_line("abcdef", 3), "abc...");
        assert_eq!(one_line("ééé", 3), "ééé");
    }

    #[test]
    fn values_become_one_line() {
        assert_eq!(
            single_line_value(" Lucky\nShrub\r\n\t Ltd\u{2028}"),
            "Lucky Shrub Ltd"
        );
        assert_eq!(single_line_value("\n"), "");
    }

    proptest! {
        #[test]
        fn never_a_control_character_and_bounded(text in "\\PC*|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{2028}a ]*", max in 0usize..64) {
            let separator = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
            let line = one_line(&text, max);
            prop_assert!(!line.chars().any(separator));
            // Each character becomes at most 8 (\u{XXXX}), plus the ellipsis.
            prop_assert!(line.chars().count() <= max * 8 + 3);
            let value = single_line_value(&text);
            prop_assert!(!value.chars().any(separator));
        }
    }
}
