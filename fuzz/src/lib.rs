//! The production extension's plain-Rust modules that read bytes from the network, compiled here
//! from their own files (the extension is a cdylib, so it cannot be linked as a library; this keeps
//! the fuzzed code byte for byte the shipped code). Nothing Ruby is included.

#![allow(dead_code)]

#[path = "../../ext/wa_health/src/decision.rs"]
pub mod decision;
#[path = "../../ext/wa_health/src/error.rs"]
pub mod error;
#[path = "../../ext/wa_health/src/meaning.rs"]
pub mod meaning;
#[path = "../../ext/wa_health/src/schedule.rs"]
pub mod schedule;
#[path = "../../ext/wa_health/src/secrets.rs"]
pub mod secrets;
#[path = "../../ext/wa_health/src/usage.rs"]
pub mod usage;
#[path = "../../ext/wa_health/src/webhook/mod.rs"]
pub mod webhook;

/// The secrets every target hands to the code under test, and checks no output quotes.
pub const TOKEN: &str = "EAAGfuzzTokenFUZZ0123456789abcdefXYZ";
pub const APP_SECRET: &str = "fuzz-app-secret-5f2c";
pub const PIN: &str = "482913";

pub fn secrets() -> secrets::Secrets {
    secrets::Secrets::new(TOKEN, Some(APP_SECRET)).also_redacting(PIN)
}

/// Panics (a finding) when `text` quotes a secret in any letter case.
pub fn assert_no_secret(text: &str) {
    let lower = text.to_ascii_lowercase();
    for secret in [TOKEN, APP_SECRET, PIN] {
        assert!(
            !lower.contains(&secret.to_ascii_lowercase()),
            "a secret reached the output: {text:?}"
        );
    }
}
