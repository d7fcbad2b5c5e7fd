#![no_main]
// Any attempts, clock, error code and health: never a time before now, never a 9th attempt in 72 h.
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wa_health_core::meaning::Meaning;
use wa_health_core::schedule::{next_registration_at, MAX_ATTEMPTS_PER_WINDOW, WINDOW_SECONDS};

fuzz_target!(|input: (Vec<i32>, i32, Option<(Option<i64>, Option<i64>)>, &[u8])| {
    let (attempts, now, error, health) = input;
    let attempts: Vec<i64> = attempts.into_iter().take(32).map(i64::from).collect();
    let now = i64::from(now);
    let error = error.map(|(code, subcode)| Meaning::of(code, subcode, &[]));
    let health = match serde_json::from_slice::<Value>(health) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    if let Some(at) = next_registration_at(&attempts, now, error, health.as_ref()) {
        assert!(at >= now);
        let in_window = attempts
            .iter()
            .filter(|&&a| a > at.saturating_sub(WINDOW_SECONDS) && a <= at)
            .count();
        assert!(in_window < MAX_ATTEMPTS_PER_WINDOW, "a 9th attempt in 72 h");
    }
});
