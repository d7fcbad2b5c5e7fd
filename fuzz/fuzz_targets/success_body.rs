#![no_main]
// A 2xx body: Meta's JSON object, its error envelope, or anything else, never a panic.
use libfuzzer_sys::fuzz_target;
use wa_health_core::error::parse_success_body;

fuzz_target!(|body: &[u8]| {
    let _ = parse_success_body(body);
});
