#![no_main]
// Text that quotes the secrets anywhere, in any case or percent-encoded, comes out without them.
use libfuzzer_sys::fuzz_target;
use wa_health_fuzz::{assert_no_secret, secrets, APP_SECRET, PIN, TOKEN};

fuzz_target!(|input: (&str, u8, &str)| {
    let (prefix, which, suffix) = input;
    let secret = [TOKEN, APP_SECRET, PIN][usize::from(which % 3)];
    let quoted = match which / 3 % 3 {
        0 => secret.to_string(),
        1 => secret.to_ascii_uppercase(),
        _ => form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
    };
    let redacted = secrets().redact(&format!("{prefix}{quoted}{suffix}"));
    assert_no_secret(&redacted);
});
