//! Meta's usage headers (`X-Business-Use-Case-Usage`, `X-App-Usage`).

use serde_json::Value;

/// Seconds until access is regained, from `X-Business-Use-Case-Usage`
/// (`estimated_time_to_regain_access` is in minutes). `None` when the header does not say: a
/// missing header or a zero estimate is not "retry now".
pub fn retry_after_seconds(business_use_case_usage: &str) -> Option<u64> {
    let parsed: Value = serde_json::from_str(business_use_case_usage).ok()?;
    let minutes = parsed
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|entry| entry.get("estimated_time_to_regain_access"))
        .filter_map(|v| {
            v.as_u64()
                .or_else(|| v.as_f64().map(|f| f.max(0.0).ceil() as u64))
        })
        .max()?;
    (minutes > 0).then(|| minutes.saturating_mul(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_largest_estimate_in_seconds() {
        let header = r#"{"1":[{"estimated_time_to_regain_access":3},{"estimated_time_to_regain_access":10}],"2":[{"call_count":5}]}"#;
        assert_eq!(retry_after_seconds(header), Some(600));
    }

    #[test]
    fn zero_missing_or_garbage_says_nothing() {
        assert_eq!(
            retry_after_seconds(r#"{"1":[{"estimated_time_to_regain_access":0}]}"#),
            None
        );
        assert_eq!(retry_after_seconds(r#"{"1":[{"call_count":5}]}"#), None);
        assert_eq!(retry_after_seconds("not json"), None);
        assert_eq!(retry_after_seconds("[]"), None);
    }
}
