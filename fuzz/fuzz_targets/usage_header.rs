#![no_main]
// X-Business-Use-Case-Usage as a server may send it: a wait in seconds or nothing, never a panic.
use libfuzzer_sys::fuzz_target;
use wa_health_core::usage::retry_after_seconds;

fuzz_target!(|header: &str| {
    let _ = retry_after_seconds(header);
});
