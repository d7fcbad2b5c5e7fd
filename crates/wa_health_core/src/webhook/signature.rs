//! Meta's `X-Hub-Signature-256` check and the subscription challenge. Neither the app secret, the
//! verify token nor the expected signature ever appears in an error.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";
/// Longest `hub.challenge` echoed back. Meta sends a number; anything long or unusual is refused
/// rather than reflected into a response body.
pub const MAX_CHALLENGE_BYTES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("webhook signature missing: no X-Hub-Signature-256 header")]
    Missing,
    #[error("webhook signature malformed: X-Hub-Signature-256 must be sha256= followed by 64 hex digits")]
    Malformed,
    #[error(
        "webhook signature does not match the body (another app secret, or the body was changed)"
    )]
    Mismatch,
}

/// Checks `header` (the `X-Hub-Signature-256` value) against HMAC-SHA256(`app_secret`, `body`), in
/// constant time. `app_secret` must not be empty (the binding refuses an empty one before this).
pub fn verify(body: &[u8], header: Option<&str>, app_secret: &[u8]) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digits = header
        .get(..PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(PREFIX))
        .map(|_| &header[PREFIX.len()..])
        .ok_or(SignatureError::Malformed)?;
    if hex_digits.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_digits).map_err(|_| SignatureError::Malformed)?;
    // new_from_slice accepts keys of any length: it cannot fail for HMAC.
    let mut mac = HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Hub-Signature-256` value Meta would send for `body`.
#[cfg(test)]
pub fn sign(body: &[u8], app_secret: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

/// Equality in time that depends on neither the contents nor the lengths: both sides are MACed
/// under the same key and the MACs compared with `verify_slice` (constant time).
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    const KEY: &[u8] = b"wa_health verify token comparison";
    let tag = |bytes: &[u8]| {
        let mut mac = HmacSha256::new_from_slice(KEY).expect("HMAC takes keys of any length");
        mac.update(bytes);
        mac
    };
    let expected_tag = tag(expected).finalize().into_bytes();
    tag(given).verify_slice(&expected_tag).is_ok()
}

/// The subscription check: the challenge to answer with when `mode` is `subscribe` and `token`
/// equals `verify_token`, else `None`. A challenge that is empty, over [`MAX_CHALLENGE_BYTES`] or
/// has anything but ASCII letters, digits, `-`, `_` and `.` is `None` too.
pub fn challenge<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    verify_token: &str,
) -> Option<&'a str> {
    let token_ok = same_secret(token.unwrap_or("").as_bytes(), verify_token.as_bytes());
    let challenge = challenge.filter(|c| {
        !c.is_empty()
            && c.len() <= MAX_CHALLENGE_BYTES
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    // Both checks run before either result is used, so the timing does not say which failed.
    (mode == Some("subscribe") && token.is_some() && !verify_token.is_empty() && token_ok)
        .then_some(challenge)
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"test-app-secret";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"what do ya want for nothing?", b"Jefe"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn accepts_meta_signature_in_either_hex_case_and_with_spaces() {
        let header = sign(BODY, SECRET);
        assert_eq!(verify(BODY, Some(&header), SECRET), Ok(()));
        let upper = format!("sha256={}", header[7..].to_ascii_uppercase());
        assert_eq!(verify(BODY, Some(&upper), SECRET), Ok(()));
        assert_eq!(verify(BODY, Some(&format!(" {header}\n")), SECRET), Ok(()));
    }

    #[test]
    fn refuses_missing_malformed_and_wrong_signatures() {
        let good = sign(BODY, SECRET);
        assert_eq!(verify(BODY, None, SECRET), Err(SignatureError::Missing));
        assert_eq!(
            verify(BODY, Some("  "), SECRET),
            Err(SignatureError::Missing)
        );
        for malformed in [
            "sha1=abc",
            &good[7..],
            "sha256=",
            &good[..good.len() - 1],
            &format!("{good}00"),
            &format!("sha256={}", "zz".repeat(32)),
            "sha256=é",
        ] {
            assert_eq!(
                verify(BODY, Some(malformed), SECRET),
                Err(SignatureError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            verify(BODY, Some(&good), b"another-secret"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"{}", Some(&good), SECRET),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn messages_never_quote_the_secret_or_the_expected_signature() {
        let expected = sign(BODY, SECRET);
        for error in [
            SignatureError::Missing,
            SignatureError::Malformed,
            SignatureError::Mismatch,
        ] {
            let message = error.to_string();
            assert!(!message.contains("test-app-secret"));
            assert!(!message.contains(&expected[7..]));
        }
    }

    #[test]
    fn challenge_answers_only_a_subscribe_with_the_right_token() {
        let ok = challenge(Some("subscribe"), Some("vt"), Some("1158201444"), "vt");
        assert_eq!(ok, Some("1158201444"));
        assert_eq!(
            challenge(Some("subscribe"), Some("vx"), Some("1"), "vt"),
            None
        );
        assert_eq!(
            challenge(Some("subscribe"), Some("vtt"), Some("1"), "vt"),
            None
        );
        assert_eq!(challenge(Some("subscribe"), None, Some("1"), "vt"), None);
        assert_eq!(
            challenge(Some("unsubscribe"), Some("vt"), Some("1"), "vt"),
            None
        );
        assert_eq!(challenge(None, Some("vt"), Some("1"), "vt"), None);
        assert_eq!(challenge(Some("subscribe"), Some("vt"), None, "vt"), None);
        assert_eq!(
            challenge(Some("subscribe"), Some("vt"), Some(""), "vt"),
            None
        );
        let script = "<script>alert(1)</script>";
        assert_eq!(
            challenge(Some("subscribe"), Some("vt"), Some(script), "vt"),
            None
        );
        let long = "1".repeat(MAX_CHALLENGE_BYTES + 1);
        assert_eq!(
            challenge(Some("subscribe"), Some("vt"), Some(&long), "vt"),
            None
        );
    }

    proptest! {
        #[test]
        fn any_flipped_bit_fails(body in proptest::collection::vec(any::<u8>(), 0..512),
                                 secret in proptest::collection::vec(any::<u8>(), 1..64),
                                 bit in 0usize..4096, in_signature in any::<bool>()) {
            let header = sign(&body, &secret);
            prop_assert_eq!(verify(&body, Some(&header), &secret), Ok(()));
            if in_signature {
                let mut raw = hex::decode(&header[7..]).unwrap();
                let bit = bit % (raw.len() * 8);
                raw[bit / 8] ^= 1 << (bit % 8);
                let flipped = format!("sha256={}", hex::encode(raw));
                prop_assert_eq!(verify(&body, Some(&flipped), &secret), Err(SignatureError::Mismatch));
            } else if !body.is_empty() {
                let mut flipped = body.clone();
                let bit = bit % (flipped.len() * 8);
                flipped[bit / 8] ^= 1 << (bit % 8);
                prop_assert_eq!(verify(&flipped, Some(&header), &secret), Err(SignatureError::Mismatch));
            }
        }

        #[test]
        fn arbitrary_headers_never_panic(header in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = verify(&body, Some(&header), SECRET);
        }

        #[test]
        fn only_the_exact_token_passes(token in "[a-zA-Z0-9]{0,40}", other in "[a-zA-Z0-9]{0,40}") {
            let answer = challenge(Some("subscribe"), Some(&other), Some("42"), &token);
            prop_assert_eq!(answer.is_some(), other == token && !token.is_empty());
        }
    }
}
