//! The access token and app secret: the proof Meta asks for, and their removal from any text that
//! could reach a log, an exception message or `inspect`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const REDACTED: &str = "[REDACTED]";

/// Shortest run of token-like characters after Meta's `EAA` prefix that is treated as a token even
/// when it is not ours (Meta sometimes quotes a truncated or different token back).
const MIN_FOREIGN_TOKEN_LEN: usize = 16;

#[derive(Clone)]
pub struct Secrets {
    access_token: String,
    app_secret: Option<String>,
    /// Other values that must never be echoed (a registration PIN).
    extra: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([REDACTED])")
    }
}

impl Secrets {
    pub fn new(access_token: &str, app_secret: Option<&str>) -> Self {
        Secrets {
            access_token: access_token.to_string(),
            app_secret: app_secret.filter(|s| !s.is_empty()).map(str::to_string),
            extra: Vec::new(),
        }
    }

    pub fn also_redacting(mut self, value: &str) -> Self {
        if !value.is_empty() {
            self.extra.push(value.to_string());
        }
        self
    }

    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// `hex(HMAC-SHA256(key = app_secret, message = access_token))`, as Meta documents it.
    pub fn appsecret_proof(&self) -> Option<String> {
        let secret = self.app_secret.as_ref()?;
        Some(appsecret_proof(secret, &self.access_token))
    }

    /// `text` without any of the secrets, also when quoted percent-encoded (as in a URL or a form
    /// body) or in another letter case, and without anything shaped like a Meta token.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        let all = std::iter::once(&self.access_token)
            .chain(self.app_secret.iter())
            .chain(self.extra.iter());
        for secret in all.filter(|secret| secret.len() >= 4) {
            let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            let percent = percent_encode_all(secret);
            for form_of_secret in [secret.as_str(), &form, &percent] {
                out = replace_ignoring_ascii_case(&out, form_of_secret, REDACTED);
            }
        }
        redact_meta_tokens(&out)
    }
}

/// Every byte that is not an ASCII letter or digit as `%XX`.
fn percent_encode_all(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `text` with every occurrence of `needle` (compared ignoring ASCII case) replaced. ASCII
/// lower-casing keeps every byte offset, so offsets found in the lower-cased copy hold in `text`.
fn replace_ignoring_ascii_case(text: &str, needle: &str, with: &str) -> String {
    let haystack = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = haystack[from..].find(&needle) {
        let start = from + found;
        out.push_str(&text[from..start]);
        out.push_str(with);
        from = start + needle.len();
    }
    out.push_str(&text[from..]);
    out
}

/// Longest log line [`log_line`] makes, in characters.
pub const MAX_LOG_LINE_CHARS: usize = 2048;

/// `text` made fit for a log line: without any of `values` (in every form [`Secrets::redact`]
/// knows) or anything shaped like a Meta token, on one line (`text::one_line`), bounded.
pub fn log_line<'a>(text: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    let secrets = values
        .into_iter()
        .fold(Secrets::new("", None), Secrets::also_redacting);
    crate::text::one_line(&secrets.redact(text), MAX_LOG_LINE_CHARS)
}

pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Hand-written rather than a regex dependency: one fixed prefix and a character class.
fn redact_meta_tokens(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("EAA") {
        let (before, candidate) = rest.split_at(pos);
        out.push_str(before);
        let run = candidate
            .find(|c: char| !is_token_char(c))
            .unwrap_or(candidate.len());
        if run >= MIN_FOREIGN_TOKEN_LEN {
            out.push_str(REDACTED);
        } else {
            out.push_str(&candidate[..run.max(3)]);
        }
        rest = &candidate[run.max(3)..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_percent_encoded_and_in_any_case() {
        let secrets =
            Secrets::new("tok/en+with=signs", Some("AppSecret123")).also_redacting("verify me");
        for quoted in [
            "tok/en+with=signs",
            "TOK/EN+WITH=SIGNS",
            "tok%2Fen%2Bwith%3Dsigns",
            "tok%2fen%2bwith%3dsigns",
            "appsecret123",
            "verify+me",
            "verify%20me",
        ] {
            let text = format!("Meta said: {quoted}.");
            assert_eq!(secrets.redact(&text), "Meta said: [REDACTED].", "{quoted}");
        }
    }

    #[test]
    fn proof_matches_the_rfc_style_known_vector() {
        // The widely published HMAC-SHA256 example (key "key", the quick brown fox).
        assert_eq!(
            appsecret_proof("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn no_proof_without_a_secret() {
        assert_eq!(Secrets::new("tok", None).appsecret_proof(), None);
        assert_eq!(Secrets::new("tok", Some("")).appsecret_proof(), None);
        assert!(Secrets::new("tok", Some("s")).appsecret_proof().is_some());
    }

    #[test]
    fn redacts_our_secrets_and_foreign_meta_tokens() {
        let s = Secrets::new("my-access-token", Some("my-app-secret"));
        let text = "a my-access-token b my-app-secret c EAAGm0PX4ZCpsBAabcdefgh d EAAshort";
        let red = s.redact(text);
        assert_eq!(red, "a [REDACTED] b [REDACTED] c [REDACTED] d EAAshort");
    }

    #[test]
    fn log_lines_are_redacted_and_one_line() {
        let text = "handler raised: secret=AppSecret123\nverify=Verify%20Me token EAAGabcdefghijklmnop1234 pin 654321";
        let line = log_line(text, ["AppSecret123", "Verify Me", "654321", ""]);
        assert_eq!(
            line,
            "handler raised: secret=[REDACTED]\\nverify=[REDACTED] token [REDACTED] pin [REDACTED]"
        );
        assert!(log_line(&"x".repeat(5000), []).chars().count() <= MAX_LOG_LINE_CHARS + 3);
    }

    #[test]
    fn redacts_extra_values_such_as_a_pin() {
        let s = Secrets::new("tok-123", None).also_redacting("654321");
        assert_eq!(s.redact("PIN 654321 mismatch"), "PIN [REDACTED] mismatch");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let s = Secrets::new("my-access-token", Some("my-app-secret"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("my-access-token"));
        assert!(!shown.contains("my-app-secret"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Meta-style tokens, hex app secrets and 6-digit PINs quoted anywhere in any text,
            /// any number of times, are all gone after redaction.
            #[test]
            fn quoted_secrets_never_survive(
                token in "EAA[A-Za-z0-9]{20,200}",
                app_secret in "[0-9a-f]{32}",
                pin in "[0-9]{6}",
                pieces in proptest::collection::vec((".{0,12}", 0usize..4), 0..8),
            ) {
                let secrets = Secrets::new(&token, Some(&app_secret)).also_redacting(&pin);
                let mut text = String::new();
                for (filler, which) in pieces {
                    text.push_str(&filler);
                    match which {
                        0 => text.push_str(&token),
                        1 => text.push_str(&app_secret),
                        2 => text.push_str(&pin),
                        _ => {}
                    }
                }
                let out = secrets.redact(&text);
                prop_assert!(!out.contains(&token));
                prop_assert!(!out.contains(&app_secret));
                prop_assert!(!out.contains(&pin));
            }

            /// Text without secrets or anything token-like is left as it was.
            #[test]
            fn innocent_text_is_unchanged(text in "[^E]{0,64}") {
                let secrets = Secrets::new("EAAGsecret0123456789abcdef", Some("app-secret-value"));
                prop_assert_eq!(secrets.redact(&text), text);
            }
        }
    }
}
