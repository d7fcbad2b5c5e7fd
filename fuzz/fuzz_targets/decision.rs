#![no_main]
// Any JSON a health snapshot may hold gives a decision consistent with its reason; a number
// provisioned on Cloud API is never registered.
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wa_health_core::decision::{decide, Reason};

fuzz_target!(|body: &[u8]| {
    let Ok(Value::Object(health)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let decision = decide(&health);
    assert_eq!(
        decision.register,
        matches!(decision.reason, Reason::NotVerified | Reason::PendingProvisioning)
    );
    let cloud = matches!(health.get("platform_type"), Some(Value::String(p)) if p.trim().eq_ignore_ascii_case("CLOUD_API"));
    if cloud && decision.not_applicable.is_empty() {
        assert!(!decision.register, "a provisioned number would be registered");
    }
    assert!(!decision.message.contains('\n'));
});
