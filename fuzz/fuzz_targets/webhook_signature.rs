#![no_main]
// Any signature header on any body: verified or refused, never a panic, and only the exact
// signature (HMAC-SHA256 of the body under the app secret) is accepted.
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use wa_health_core::webhook::signature::verify;
use wa_health_fuzz::APP_SECRET;

fuzz_target!(|input: (&[u8], &str)| {
    let (body, header) = input;
    if verify(body, Some(header), APP_SECRET.as_bytes()).is_ok() {
        let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
        mac.update(body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(header.trim().eq_ignore_ascii_case(&expected), "accepted {header:?}");
    }
});
