//! The registration decision: should `POST /{phone_number_id}/register` be called for a number,
//! given its health?
//!
//! This replaces Chatwoot's dual-condition check. A number needs registration when it is not
//! verified (`code_verification_status` is anything but `VERIFIED`, including absent or null), or
//! when it is verified but Meta has not finished provisioning it (`platform_type` or the throughput
//! level is `NOT_APPLICABLE`). Unlike Chatwoot, the throughput level is read whatever form it takes:
//! `throughput.level` when `throughput` is an object, and the flat `throughput_level` key.
//!
//! Two facts from real answers come first (spec/fixtures/meta/SOURCES.md):
//! - A number provisioned on Cloud API (`platform_type` `CLOUD_API`, no `NOT_APPLICABLE` throughput)
//!   is never registered again, whatever its verification says: Meta keeps `VERIFIED` for only 14
//!   days after the one-time code, and live numbers read `NOT_VERIFIED` or `EXPIRED` afterwards.
//! - A number on the On-Premises API (`ON_PREMISE`) is never registered automatically: registering
//!   it on Cloud API is the last step of Meta's migration, which deregisters it from On-Premises
//!   ("Migrate from On-Premises API to Cloud API", developers.facebook.com).
//!
//! Values are compared [`normalized`] (trimmed, ASCII-uppercased); a value that is not a JSON string
//! never matches anything.

use serde_json::{Map, Value};

use crate::normalize::normalized;

/// Why [`decide`] answered as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `code_verification_status` is not `VERIFIED` (absent, null and non-strings included).
    NotVerified,
    /// Verified, but `platform_type` or the throughput level is `NOT_APPLICABLE`.
    PendingProvisioning,
    /// Provisioned (on Cloud API, or verified with nothing `NOT_APPLICABLE`): no registration needed.
    Provisioned,
    /// On the On-Premises API: registering on Cloud API would migrate it, never done automatically.
    OnPremise,
}

impl Reason {
    /// The reason as a stable snake_case identifier (used as a Ruby Symbol name).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotVerified => "not_verified",
            Reason::PendingProvisioning => "pending_provisioning",
            Reason::Provisioned => "provisioned",
            Reason::OnPremise => "on_premise",
        }
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Whether the number should be registered.
    pub register: bool,
    /// Why.
    pub reason: Reason,
    /// `name_status` or `new_name_status` is `PENDING_REVIEW`: a registration attempt may fail with
    /// error 100 / 2388001 until Meta approves the display name.
    pub display_name_pending: bool,
    /// Provisioned on Cloud API while `code_verification_status` is not `VERIFIED`: normal for a
    /// number registered more than 14 days ago.
    pub verification_expired: bool,
    /// The fields whose value is `NOT_APPLICABLE` (`platform_type`, `throughput.level`,
    /// `throughput_level`): any means registration is incomplete (Chatwoot's "Complete
    /// Registration" banner).
    pub not_applicable: Vec<&'static str>,
    /// One or two readable English sentences for an operator.
    pub message: String,
}

const VERIFIED: &str = "VERIFIED";
const CLOUD_API: &str = "CLOUD_API";
const ON_PREMISE: &str = "ON_PREMISE";
const NOT_APPLICABLE: &str = "NOT_APPLICABLE";
const PENDING_REVIEW: &str = "PENDING_REVIEW";

/// Longest value (in characters) quoted in a message before it is cut short.
const MAX_QUOTED_CHARS: usize = 64;

/// Whether `value` is a string equal to `expected` once [`normalized`]. `expected` must already be
/// in normalized form.
fn is(value: Option<&Value>, expected: &str) -> bool {
    normalized(value.and_then(Value::as_str)).is_some_and(|v| v == expected)
}

/// The field names (as shown to an operator) whose value is `NOT_APPLICABLE`.
fn not_applicable_fields(health: &Map<String, Value>) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if is(health.get("platform_type"), NOT_APPLICABLE) {
        fields.push("platform_type");
    }
    if let Some(Value::Object(throughput)) = health.get("throughput") {
        if is(throughput.get("level"), NOT_APPLICABLE) {
            fields.push("throughput.level");
        }
    }
    if is(health.get("throughput_level"), NOT_APPLICABLE) {
        fields.push("throughput_level");
    }
    fields
}

/// How a value is quoted in a message: trimmed string contents (control characters replaced,
/// cut after [`MAX_QUOTED_CHARS`] characters), `missing` when absent or null, or the compact JSON
/// of any other value.
fn describe(value: Option<&Value>) -> String {
    let raw = match value {
        None | Some(Value::Null) => return "missing".to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => other.to_string(),
    };
    if raw.is_empty() {
        return "empty".to_string();
    }
    let mut out: String = raw
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if raw.chars().count() > MAX_QUOTED_CHARS {
        out.push_str("...");
    }
    out
}

/// Whether a `name_status` value says the display name is approved (`APPROVED` or
/// `AVAILABLE_WITHOUT_REVIEW`).
pub fn name_status_approved(name_status: Option<&str>) -> bool {
    matches!(
        normalized(name_status).as_deref(),
        Some("APPROVED" | "AVAILABLE_WITHOUT_REVIEW")
    )
}

/// Whether a `name_status` or `new_name_status` value is `PENDING_REVIEW`.
pub fn name_in_review(status: Option<&str>) -> bool {
    normalized(status).as_deref() == Some(PENDING_REVIEW)
}

/// Whether the display name is approved: `name_status` is approved ([`name_status_approved`]),
/// and `new_name_status` (a pending name change) is not in review.
pub fn display_name_approved(health: &Map<String, Value>) -> bool {
    name_status_approved(text(health, "name_status"))
        && !name_in_review(text(health, "new_name_status"))
}

/// Whether `name_status` or `new_name_status` is `PENDING_REVIEW`.
fn display_name_pending(health: &Map<String, Value>) -> bool {
    name_in_review(text(health, "name_status")) || name_in_review(text(health, "new_name_status"))
}

/// The member `key` when it is a JSON string.
fn text<'a>(health: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    health.get(key).and_then(Value::as_str)
}

/// Decide whether the number should be registered.
///
/// `health` is a JSON object as produced from a Ruby Hash whose keys (Symbols or Strings at any
/// level) were turned into strings. In order:
///
/// 1. `platform_type` is `ON_PREMISE`: do not register, [`Reason::OnPremise`].
/// 2. `platform_type` is `CLOUD_API` and no throughput level is `NOT_APPLICABLE`: do not register,
///    [`Reason::Provisioned`], whatever `code_verification_status` says (`verification_expired`
///    when it is not `VERIFIED`).
/// 3. `code_verification_status` not `VERIFIED` (absent, null, non-string or any other value):
///    register, [`Reason::NotVerified`].
/// 4. Else `platform_type` is `NOT_APPLICABLE`, or the throughput level is (`throughput.level`
///    when `throughput` is an object, or the flat `throughput_level`; either counts): register,
///    [`Reason::PendingProvisioning`].
/// 5. Else: do not register, [`Reason::Provisioned`].
pub fn decide(health: &Map<String, Value>) -> Decision {
    let pending_name = display_name_pending(health);
    let verification = health.get("code_verification_status");
    let verified = is(verification, VERIFIED);
    let platform = health.get("platform_type");
    let not_applicable = not_applicable_fields(health);
    let mut verification_expired = false;

    let (register, reason, mut message) = if is(platform, ON_PREMISE) {
        (
            false,
            Reason::OnPremise,
            "Phone number is on the On-Premises API (platform_type: ON_PREMISE); registering it on Cloud API would migrate it away from On-Premises (Meta's migration guide), so it is not registered automatically.".to_string(),
        )
    } else if is(platform, CLOUD_API) && not_applicable.is_empty() {
        let mut message =
            "Phone number is provisioned on Cloud API; no registration needed.".to_string();
        if !verified {
            verification_expired = true;
            message.push_str(&format!(
                " Its code verification reads {}: that is normal, Meta keeps VERIFIED for only 14 days after the one-time code.",
                describe(verification)
            ));
        }
        (false, Reason::Provisioned, message)
    } else if !verified {
        (
            true,
            Reason::NotVerified,
            format!(
                "Phone number is not verified (code_verification_status: {}); registration is needed.",
                describe(verification)
            ),
        )
    } else if not_applicable.is_empty() {
        (
            false,
            Reason::Provisioned,
            "Phone number is verified and provisioned; no registration needed.".to_string(),
        )
    } else {
        let found = not_applicable
            .iter()
            .map(|f| format!("{f}: {NOT_APPLICABLE}"))
            .collect::<Vec<_>>()
            .join(", ");
        (
            true,
            Reason::PendingProvisioning,
            format!(
                "Phone number is verified but not provisioned ({found}); registration is needed."
            ),
        )
    };

    if pending_name {
        message.push_str(
            " The display name is pending review; registration may fail with 2388001 until Meta approves it.",
        );
    }

    Decision {
        register,
        reason,
        display_name_pending: pending_name,
        verification_expired,
        not_applicable,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    /// The health Hash as Chatwoot's service builds it (every key present, throughput an object).
    fn chatwoot_health(cvs: Value, platform: Value, level: Value) -> Map<String, Value> {
        obj(json!({
            "display_phone_number": "+1 555 0100",
            "verified_name": "Acme",
            "name_status": "APPROVED",
            "quality_rating": "GREEN",
            "messaging_limit_tier": "TIER_1K",
            "account_mode": "LIVE",
            "code_verification_status": cvs,
            "throughput": {"level": level},
            "last_onboarded_time": null,
            "platform_type": platform,
            "business_id": "123",
        }))
    }

    /// Live numbers seen in real answers: CONNECTED on CLOUD_API, throughput STANDARD, verification
    /// EXPIRED (spec/fixtures/meta/phone_cloud_api_expired_connected_live.json) or NOT_VERIFIED
    /// (waba_with_phone_numbers_cloud_api_not_verified.json).
    #[test]
    fn a_live_cloud_api_number_with_an_expired_verification_is_not_registered() {
        for cvs in ["EXPIRED", "NOT_VERIFIED", "UNVERIFIED"] {
            let h = obj(
                json!({"code_verification_status": cvs, "platform_type": "CLOUD_API",
                "throughput": {"level": "STANDARD"}, "status": "CONNECTED"}),
            );
            let d = decide(&h);
            assert_eq!(
                (d.register, d.reason),
                (false, Reason::Provisioned),
                "{cvs}"
            );
            assert!(d.verification_expired);
            assert!(d.not_applicable.is_empty());
            assert!(d.message.contains("that is normal"), "{}", d.message);
        }
        let verified = decide(&obj(json!({"code_verification_status": "VERIFIED",
            "platform_type": "CLOUD_API", "throughput": {"level": "HIGH"}})));
        assert!(!verified.verification_expired);
    }

    #[test]
    fn a_number_neither_verified_nor_provisioned_still_registers() {
        let h = obj(json!({"code_verification_status": "NOT_VERIFIED",
            "platform_type": "NOT_APPLICABLE", "throughput": {"level": "NOT_APPLICABLE"}}));
        let d = decide(&h);
        assert_eq!((d.register, d.reason), (true, Reason::NotVerified));
        assert!(!d.not_applicable.is_empty());
        // On Cloud API but without messaging capacity: not provisioned yet either.
        let h = obj(json!({"code_verification_status": "EXPIRED",
            "platform_type": "CLOUD_API", "throughput": {"level": "NOT_APPLICABLE"}}));
        assert!(decide(&h).register);
    }

    #[test]
    fn an_on_premise_number_is_never_registered_automatically() {
        for cvs in ["VERIFIED", "NOT_VERIFIED"] {
            let h = obj(
                json!({"code_verification_status": cvs, "platform_type": "ON_PREMISE",
                "throughput": {"level": "STANDARD"}}),
            );
            let d = decide(&h);
            assert_eq!((d.register, d.reason), (false, Reason::OnPremise));
            assert!(d.message.contains("On-Premises"));
        }
    }

    #[test]
    fn reason_strings() {
        assert_eq!(Reason::NotVerified.as_str(), "not_verified");
        assert_eq!(Reason::PendingProvisioning.as_str(), "pending_provisioning");
        assert_eq!(Reason::Provisioned.as_str(), "provisioned");
        assert_eq!(Reason::OnPremise.as_str(), "on_premise");
    }

    #[test]
    fn not_verified_registers() {
        // platform_type unknown (not read): only the verification says anything.
        let d = decide(&chatwoot_health(
            json!("NOT_VERIFIED"),
            json!(null),
            json!("STANDARD"),
        ));
        assert!(d.register);
        assert_eq!(d.reason, Reason::NotVerified);
        assert!(!d.display_name_pending);
        assert_eq!(
            d.message,
            "Phone number is not verified (code_verification_status: NOT_VERIFIED); registration is needed."
        );
    }

    #[test]
    fn absent_null_or_non_string_verification_counts_as_not_verified() {
        let mut h = chatwoot_health(json!(null), json!(null), json!("STANDARD"));
        let d = decide(&h);
        assert_eq!((d.register, d.reason), (true, Reason::NotVerified));
        assert!(d.message.contains("code_verification_status: missing"));

        h.remove("code_verification_status");
        let d = decide(&h);
        assert_eq!((d.register, d.reason), (true, Reason::NotVerified));

        h.insert("code_verification_status".into(), json!(true));
        let d = decide(&h);
        assert_eq!((d.register, d.reason), (true, Reason::NotVerified));
        assert!(d.message.contains("code_verification_status: true"));

        h.insert("code_verification_status".into(), json!(["VERIFIED"]));
        assert_eq!(decide(&h).reason, Reason::NotVerified);

        h.insert("code_verification_status".into(), json!("EXPIRED"));
        assert_eq!(decide(&h).reason, Reason::NotVerified);

        assert_eq!(decide(&Map::new()).reason, Reason::NotVerified);
    }

    #[test]
    fn verified_and_provisioned_does_not_register() {
        let d = decide(&chatwoot_health(
            json!("VERIFIED"),
            json!("CLOUD_API"),
            json!("STANDARD"),
        ));
        assert!(!d.register);
        assert_eq!(d.reason, Reason::Provisioned);
        assert_eq!(
            d.message,
            "Phone number is provisioned on Cloud API; no registration needed."
        );
        let d = decide(&chatwoot_health(
            json!("VERIFIED"),
            json!(null),
            json!("STANDARD"),
        ));
        assert_eq!(
            (d.reason, d.message.as_str()),
            (
                Reason::Provisioned,
                "Phone number is verified and provisioned; no registration needed."
            )
        );
    }

    #[test]
    fn verified_but_platform_not_applicable_registers() {
        let d = decide(&chatwoot_health(
            json!("VERIFIED"),
            json!("NOT_APPLICABLE"),
            json!("STANDARD"),
        ));
        assert!(d.register);
        assert_eq!(d.reason, Reason::PendingProvisioning);
        assert_eq!(
            d.message,
            "Phone number is verified but not provisioned (platform_type: NOT_APPLICABLE); registration is needed."
        );
    }

    #[test]
    fn verified_but_throughput_object_level_not_applicable_registers() {
        // This is the case Chatwoot misses: the throughput Hash has string keys.
        let d = decide(&chatwoot_health(
            json!("VERIFIED"),
            json!("CLOUD_API"),
            json!("NOT_APPLICABLE"),
        ));
        assert!(d.register);
        assert_eq!(d.reason, Reason::PendingProvisioning);
        assert!(d.message.contains("(throughput.level: NOT_APPLICABLE)"));
    }

    #[test]
    fn flat_throughput_level_is_checked_too() {
        let mut h = chatwoot_health(json!("VERIFIED"), json!("CLOUD_API"), json!("STANDARD"));
        h.insert("throughput_level".into(), json!("NOT_APPLICABLE"));
        let d = decide(&h);
        assert_eq!((d.register, d.reason), (true, Reason::PendingProvisioning));
        assert!(d.message.contains("(throughput_level: NOT_APPLICABLE)"));

        // Flat key alone, throughput absent.
        let h = obj(
            json!({"code_verification_status": "VERIFIED", "throughput_level": "not_applicable"}),
        );
        assert_eq!(decide(&h).reason, Reason::PendingProvisioning);

        // throughput not an object: only the flat key counts.
        let h = obj(json!({
            "code_verification_status": "VERIFIED",
            "throughput": "NOT_APPLICABLE",
            "throughput_level": "STANDARD",
        }));
        assert_eq!(decide(&h).reason, Reason::Provisioned);
    }

    #[test]
    fn all_not_applicable_fields_are_named() {
        let mut h = chatwoot_health(
            json!("VERIFIED"),
            json!("NOT_APPLICABLE"),
            json!("NOT_APPLICABLE"),
        );
        h.insert("throughput_level".into(), json!("NOT_APPLICABLE"));
        let d = decide(&h);
        assert_eq!(
            d.message,
            "Phone number is verified but not provisioned (platform_type: NOT_APPLICABLE, \
             throughput.level: NOT_APPLICABLE, throughput_level: NOT_APPLICABLE); registration is needed."
        );
    }

    #[test]
    fn comparison_trims_and_uppercases() {
        let d = decide(&chatwoot_health(
            json!("  verified\n"),
            json!(" Not_Applicable "),
            json!("standard"),
        ));
        assert_eq!(d.reason, Reason::PendingProvisioning);
        let d = decide(&chatwoot_health(
            json!("Verified"),
            json!("cloud_api"),
            json!("\tnot_applicable"),
        ));
        assert_eq!(d.reason, Reason::PendingProvisioning);
        // Uppercasing is ASCII only: a dotless/dotted i does not turn into I.
        let d = decide(&chatwoot_health(
            json!("verıfıed"),
            json!("NOT_APPLICABLE"),
            json!("STANDARD"),
        ));
        assert_eq!(d.reason, Reason::NotVerified);
    }

    #[test]
    fn non_string_values_never_match() {
        let d = decide(&chatwoot_health(
            json!("VERIFIED"),
            json!(null),
            json!(null),
        ));
        assert_eq!(d.reason, Reason::Provisioned);
        let d = decide(&chatwoot_health(
            json!("VERIFIED"),
            json!(1),
            json!(["NOT_APPLICABLE"]),
        ));
        assert_eq!(d.reason, Reason::Provisioned);
        let h = obj(json!({
            "code_verification_status": "VERIFIED",
            "platform_type": {"NOT_APPLICABLE": true},
            "throughput": {"level": {"level": "NOT_APPLICABLE"}},
        }));
        assert_eq!(decide(&h).reason, Reason::Provisioned);
    }

    #[test]
    fn display_name_pending_appends_sentence() {
        let mut h = chatwoot_health(
            json!("VERIFIED"),
            json!("NOT_APPLICABLE"),
            json!("STANDARD"),
        );
        h.insert("name_status".into(), json!("PENDING_REVIEW"));
        let d = decide(&h);
        assert!(d.display_name_pending);
        assert_eq!(
            d.message,
            "Phone number is verified but not provisioned (platform_type: NOT_APPLICABLE); registration is needed. \
             The display name is pending review; registration may fail with 2388001 until Meta approves it."
        );

        let mut h = chatwoot_health(json!("VERIFIED"), json!("CLOUD_API"), json!("STANDARD"));
        h.insert("new_name_status".into(), json!(" pending_review "));
        let d = decide(&h);
        assert!(d.display_name_pending);
        assert!(!d.register);
        assert!(d.message.ends_with("until Meta approves it."));
    }

    #[test]
    fn display_name_approval() {
        let base = |name: Value, new_name: Option<Value>| {
            let mut h = obj(json!({ "name_status": name }));
            if let Some(n) = new_name {
                h.insert("new_name_status".into(), n);
            }
            h
        };
        assert!(display_name_approved(&base(json!("APPROVED"), None)));
        assert!(display_name_approved(&base(json!(" approved "), None)));
        assert!(display_name_approved(&base(
            json!("AVAILABLE_WITHOUT_REVIEW"),
            None
        )));
        assert!(display_name_approved(&base(
            json!("APPROVED"),
            Some(json!(null))
        )));
        assert!(display_name_approved(&base(
            json!("APPROVED"),
            Some(json!("APPROVED"))
        )));
        assert!(!display_name_approved(&base(
            json!("APPROVED"),
            Some(json!("PENDING_REVIEW"))
        )));
        assert!(!display_name_approved(&base(json!("PENDING_REVIEW"), None)));
        assert!(!display_name_approved(&base(json!("DECLINED"), None)));
        assert!(!display_name_approved(&base(json!("REJECTED"), None)));
        assert!(!display_name_approved(&base(json!(null), None)));
        assert!(!display_name_approved(&base(json!(1), None)));
        assert!(!display_name_approved(&Map::new()));
    }

    #[test]
    fn long_or_odd_values_are_quoted_safely() {
        let long = "X".repeat(500);
        let h = obj(json!({ "code_verification_status": format!("bad\n{long}") }));
        let d = decide(&h);
        assert!(!d.message.contains('\n'));
        assert!(d.message.contains("..."));
        assert!(d.message.len() < 200);
        let h = obj(json!({ "code_verification_status": "   " }));
        assert!(decide(&h)
            .message
            .contains("code_verification_status: empty"));
    }

    fn status_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!(null)),
            Just(json!("VERIFIED")),
            Just(json!(" verified ")),
            Just(json!("NOT_VERIFIED")),
            Just(json!("NOT_APPLICABLE")),
            Just(json!("not_applicable")),
            Just(json!("CLOUD_API")),
            Just(json!("ON_PREMISE")),
            Just(json!("EXPIRED")),
            Just(json!("STANDARD")),
            Just(json!("PENDING_REVIEW")),
            Just(json!("APPROVED")),
            Just(json!(7)),
            Just(json!({"level": "NOT_APPLICABLE"})),
            ".{0,12}".prop_map(Value::String),
        ]
    }

    fn health_strategy() -> impl Strategy<Value = Map<String, Value>> {
        let keys = [
            "code_verification_status",
            "platform_type",
            "throughput",
            "throughput_level",
            "name_status",
            "new_name_status",
        ];
        proptest::collection::vec(proptest::option::of(status_value()), keys.len()).prop_map(
            move |vals| {
                let mut m = Map::new();
                for (k, v) in keys.iter().zip(vals) {
                    if let Some(v) = v {
                        m.insert((*k).to_string(), v);
                    }
                }
                m
            },
        )
    }

    proptest! {
        #[test]
        fn decision_is_consistent(h in health_strategy()) {
            let d = decide(&h);
            prop_assert_eq!(d.register, matches!(d.reason, Reason::NotVerified | Reason::PendingProvisioning));
            let verified = matches!(h.get("code_verification_status"),
                Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("VERIFIED"));
            let platform = |name: &str| matches!(h.get("platform_type"),
                Some(Value::String(s)) if s.trim().eq_ignore_ascii_case(name));
            if d.reason == Reason::NotVerified {
                prop_assert!(!verified);
            }
            // A number on Cloud API with nothing NOT_APPLICABLE, or on On-Premises, never registers.
            if platform("ON_PREMISE") || (platform("CLOUD_API") && d.not_applicable.is_empty()) {
                prop_assert!(!d.register);
            }
            prop_assert_eq!(d.verification_expired, d.reason == Reason::Provisioned && !verified && platform("CLOUD_API"));
            prop_assert!(d.message.starts_with("Phone number is "));
            prop_assert!(!d.message.contains('\n'));
            prop_assert_eq!(
                d.display_name_pending,
                d.message.contains("The display name is pending review")
            );
            if display_name_approved(&h) {
                prop_assert!(!d.display_name_pending);
            }
        }
    }

    mod arbitrary_json {
        use super::*;
        use crate::test_support;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Any JSON object (any keys, values of any type) gives a decision with a one-line,
            /// bounded message, consistent with the reason.
            #[test]
            fn any_object_gives_a_sane_decision(h in test_support::object()) {
                let d = decide(&h);
                prop_assert_eq!(d.register, matches!(d.reason, Reason::NotVerified | Reason::PendingProvisioning));
                prop_assert!(d.message.starts_with("Phone number is "));
                prop_assert!(!d.message.contains('\n'));
                prop_assert!(d.message.chars().count() < 600, "{}", d.message);
            }
        }
    }
}
