//! What every fuzz target shares: the secrets handed to the code under test (wa_health_core, the
//! shipped code itself) and the check that no output quotes them.

use wa_health_core::secrets::Secrets;

pub const TOKEN: &str = "EAAGfuzzTokenFUZZ0123456789abcdefXYZ";
pub const APP_SECRET: &str = "fuzz-app-secret-5f2c";
pub const PIN: &str = "482913";

pub fn secrets() -> Secrets {
    Secrets::new(TOKEN, Some(APP_SECRET)).also_redacting(PIN)
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
