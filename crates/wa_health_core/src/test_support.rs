//! Strategies shared by the property tests: arbitrary JSON, including the shapes Meta sends.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys that matter somewhere in the gem besides the phone number fields the health read asks for
/// (`health::PHONE_FIELDS`), mixed with arbitrary ones, so that generated objects often hit real
/// fields with values of every type.
const KEYS: &[&str] = &[
    "messaging_limit_tier",
    "id",
    "error",
    "code",
    "error_subcode",
    "message",
    "type",
    "fbtrace_id",
    "is_transient",
    "error_user_title",
    "error_user_msg",
    "throughput_level",
    "level",
    "platform_type",
    "status",
    "is_on_biz_app",
    "webhook_configuration",
    "health_status",
    "can_send_message",
    "name",
    "owner_business_info",
    "success",
    // Webhook envelopes and health events.
    "entry",
    "changes",
    "field",
    "value",
    "time",
    "event",
    "decision",
    "phone_number",
    "requested_verified_name",
    "rejection_reason",
    "current_limit",
    "old_limit",
    "max_daily_conversations_per_business",
    "ban_info",
    "waba_ban_state",
    "restriction_info",
    "restriction_type",
    "expiration",
    "violation_info",
    "disconnection_info",
];

fn key() -> impl Strategy<Value = String> {
    let phone_fields: Vec<&'static str> = crate::health::PHONE_FIELDS.split(',').collect();
    prop_oneof![
        2 => proptest::sample::select(KEYS).prop_map(str::to_string),
        2 => proptest::sample::select(phone_fields).prop_map(str::to_string),
        1 => ".{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        proptest::sample::select(
            &[
                "VERIFIED",
                "NOT_VERIFIED",
                "NOT_APPLICABLE",
                "PENDING_REVIEW",
                "APPROVED",
                "CLOUD_API",
                "STANDARD",
                "190",
                " 100 ",
                "2388001",
                "",
                "EAAGm0PX4ZCpsBAabcdefghijk",
                "REJECTED",
                "FLAGGED",
                "DISABLED_UPDATE",
                "DISABLE",
                "PARTNER_REMOVED",
                "TIER_10K",
                "TIER_UNLIMITED",
            ][..]
        )
        .prop_map(|s| Value::String(s.to_string())),
        ".{0,24}".prop_map(Value::String),
    ]
}

/// Any JSON value, nested up to a few levels.
pub fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Any JSON object.
pub fn object() -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::vec((key(), json()), 0..12).prop_map(|pairs| pairs.into_iter().collect())
}

/// Meta's error envelope with every member optional and of any type.
pub fn error_envelope() -> impl Strategy<Value = Value> {
    object().prop_map(|error| {
        let mut envelope = Map::new();
        envelope.insert("error".to_string(), Value::Object(error));
        Value::Object(envelope)
    })
}

/// Bytes that are sometimes JSON, sometimes almost JSON, sometimes anything.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json().prop_map(|v| v.to_string().into_bytes()),
        error_envelope().prop_map(|v| v.to_string().into_bytes()),
        (json(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
}
