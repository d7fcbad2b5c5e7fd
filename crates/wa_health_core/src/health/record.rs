//! Meta's phone-number and WABA answers as the health record Chatwoot expects.
//!
//! The record is an ordered list of (key, value): the binding makes it a Ruby Hash with Symbol keys
//! in this order. Every key is always present; a value Meta did not send, or sent with the wrong
//! type, is `null` rather than an error, so one odd field never hides the rest of the health.

use serde_json::{Map, Value};

/// Fields requested from the phone number node. `whatsapp_business_manager_messaging_limit`
/// replaces the deprecated `messaging_limit_tier`; both it and `status`/`is_on_biz_app` need v24.0+.
pub const PHONE_FIELDS: &str = "id,display_phone_number,verified_name,name_status,new_name_status,\
quality_rating,whatsapp_business_manager_messaging_limit,code_verification_status,account_mode,\
throughput,last_onboarded_time,platform_type,status,is_on_biz_app,webhook_configuration,health_status";

pub const HEALTH_MINIMUM_MAJOR_VERSION: u32 = 24;

pub const WABA_FIELDS: &str = "id,name,owner_business_info";

/// The business profile fields Chatwoot reads (`GET /{phone}/whatsapp_business_profile`, #15550).
pub const BUSINESS_PROFILE_FIELDS: &str =
    "about,address,description,email,profile_picture_url,websites,vertical";

pub type HealthRecord = Vec<(&'static str, Value)>;

fn text(value: Option<Value>) -> Value {
    match value {
        Some(s @ Value::String(_)) => s,
        // Ids have been seen as JSON numbers; Chatwoot compares them as strings.
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::Null,
    }
}

fn object(value: Option<Value>) -> Value {
    match value {
        Some(v @ Value::Object(_)) => v,
        _ => Value::Null,
    }
}

fn boolean(value: Option<Value>) -> Value {
    match value {
        Some(v @ Value::Bool(_)) => v,
        _ => Value::Null,
    }
}

fn member(value: &Value, key: &str) -> Option<Value> {
    value.as_object().and_then(|m| m.get(key)).cloned()
}

/// The record from the phone answer, the optional WABA answer, and the WABA id the caller passed
/// (Chatwoot's `business_id` is that argument, not something read from Meta). The answers are
/// consumed, so their values move into the record instead of being copied.
pub fn record_from_answers(
    mut phone: Map<String, Value>,
    waba: Option<Map<String, Value>>,
    business_account_id: Option<&str>,
) -> HealthRecord {
    let mut phone = |key: &str| phone.remove(key);
    let throughput = object(phone("throughput"));
    let throughput_level = text(member(&throughput, "level"));
    let health_status = object(phone("health_status"));
    let can_send_message = text(member(&health_status, "can_send_message"));
    let messaging_limit = match text(phone("whatsapp_business_manager_messaging_limit")) {
        Value::Null => text(phone("messaging_limit_tier")),
        limit => limit,
    };
    let business_id = business_account_id.map_or(Value::Null, |id| Value::String(id.into()));

    // A key read from the phone's answer under the same name, as text.
    macro_rules! text_of {
        ($key:literal) => {
            ($key, text(phone($key)))
        };
    }
    let mut record: HealthRecord = vec![
        text_of!("display_phone_number"),
        text_of!("verified_name"),
        text_of!("name_status"),
        text_of!("quality_rating"),
        ("messaging_limit_tier", messaging_limit),
        text_of!("account_mode"),
        text_of!("code_verification_status"),
        ("throughput", throughput),
        text_of!("last_onboarded_time"),
        text_of!("platform_type"),
        ("business_id", business_id),
        text_of!("id"),
        text_of!("status"),
        text_of!("new_name_status"),
        ("throughput_level", throughput_level),
        ("is_on_biz_app", boolean(phone("is_on_biz_app"))),
        (
            "webhook_configuration",
            object(phone("webhook_configuration")),
        ),
        ("can_send_message", can_send_message),
        ("health_status", health_status),
    ];
    if let Some(waba) = waba {
        record.extend(waba_keys(Value::Object(waba), business_account_id));
    }
    record
}

/// The WABA's keys from its answer (`Null` when its read failed): the id read, else the one given.
pub(crate) fn waba_keys(
    waba: Value,
    business_account_id: Option<&str>,
) -> [(&'static str, Value); 4] {
    let owner = object(member(&waba, "owner_business_info"));
    let waba_id = match text(member(&waba, "id")) {
        Value::Null => business_account_id.map_or(Value::Null, |id| Value::String(id.into())),
        id => id,
    };
    [
        ("business_account_id", waba_id),
        ("business_account_name", text(member(&waba, "name"))),
        ("business_portfolio_id", text(member(&owner, "id"))),
        ("business_portfolio_name", text(member(&owner, "name"))),
    ]
}

/// The business profile from `{"data": [{...}]}`: the first element's fields Chatwoot reads
/// (spec/fixtures/meta/business_profile_*.json). Meta's OpenAPI example wraps the element in a
/// `business_profile` key (business_profile_nested_wrapper_openapi.json); both shapes are read.
pub(crate) fn business_profile(mut answer: Map<String, Value>) -> Value {
    let Some(Value::Array(data)) = answer.remove("data") else {
        return Value::Null;
    };
    let Some(Value::Object(mut first)) = data.into_iter().next() else {
        return Value::Null;
    };
    if let Some(Value::Object(inner)) = first.remove("business_profile") {
        first = inner;
    }
    let profile: Map<String, Value> = BUSINESS_PROFILE_FIELDS
        .split(',')
        .map(|field| {
            (
                field.to_string(),
                first.remove(field).unwrap_or(Value::Null),
            )
        })
        .collect();
    Value::Object(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// [`record_from_answers`] on copies of the answers.
    fn build_record(
        phone: &Map<String, Value>,
        waba: Option<&Map<String, Value>>,
        business_account_id: Option<&str>,
    ) -> HealthRecord {
        record_from_answers(phone.clone(), waba.cloned(), business_account_id)
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn get<'a>(record: &'a HealthRecord, key: &str) -> &'a Value {
        &record.iter().find(|(k, _)| *k == key).unwrap().1
    }

    #[test]
    fn keeps_chatwoots_keys_in_order_and_always_present() {
        let record = build_record(&Map::new(), None, None);
        let keys: Vec<&str> = record.iter().map(|(k, _)| *k).collect();
        // Chatwoot's first keys, in its order: the six cards, then what the banner reads.
        let mut chatwoot = properties::TEXT[..6].to_vec();
        chatwoot.extend(["code_verification_status", "throughput"]);
        chatwoot.extend(&properties::TEXT[7..10]);
        assert_eq!(&keys[..11], &chatwoot[..]);
        assert_eq!(keys.len(), 19);
        assert!(record.iter().all(|(_, v)| v.is_null()));
    }

    #[test]
    fn reads_every_field() {
        let phone = map(json!({
            "id": "1001", "display_phone_number": "+1 555 0100", "verified_name": "Acme",
            "name_status": "APPROVED", "new_name_status": "PENDING_REVIEW", "quality_rating": "GREEN",
            "whatsapp_business_manager_messaging_limit": "TIER_2K", "code_verification_status": "VERIFIED",
            "account_mode": "LIVE", "throughput": {"level": "STANDARD"},
            "last_onboarded_time": "2024-01-01T00:00:00+0000", "platform_type": "CLOUD_API",
            "status": "CONNECTED", "is_on_biz_app": false,
            "webhook_configuration": {"application": "https://x"},
            "health_status": {"can_send_message": "LIMITED", "entities": []}
        }));
        let waba = map(json!({"id": "2001", "name": "Acme WABA",
            "owner_business_info": {"id": "3001", "name": "Acme Inc"}}));
        let record = build_record(&phone, Some(&waba), Some("2001"));
        assert_eq!(get(&record, "messaging_limit_tier"), "TIER_2K");
        assert_eq!(get(&record, "throughput"), &json!({"level": "STANDARD"}));
        assert_eq!(get(&record, "throughput_level"), "STANDARD");
        assert_eq!(get(&record, "business_id"), "2001");
        assert_eq!(get(&record, "can_send_message"), "LIMITED");
        assert_eq!(get(&record, "is_on_biz_app"), &json!(false));
        assert_eq!(get(&record, "new_name_status"), "PENDING_REVIEW");
        assert_eq!(get(&record, "business_account_name"), "Acme WABA");
        assert_eq!(get(&record, "business_portfolio_id"), "3001");
        assert_eq!(get(&record, "business_portfolio_name"), "Acme Inc");
        assert_eq!(record.len(), 23);
    }

    #[test]
    fn falls_back_to_the_deprecated_tier() {
        let record = build_record(&map(json!({"messaging_limit_tier": "TIER_1K"})), None, None);
        assert_eq!(get(&record, "messaging_limit_tier"), "TIER_1K");
    }

    #[test]
    fn wrong_types_become_null_or_strings() {
        let phone = map(json!({
            "id": 1001, "throughput": "STANDARD", "is_on_biz_app": "yes",
            "health_status": ["AVAILABLE"], "quality_rating": {"x": 1}
        }));
        let record = build_record(&phone, None, None);
        assert_eq!(get(&record, "id"), "1001");
        assert!(get(&record, "throughput").is_null());
        assert!(get(&record, "throughput_level").is_null());
        assert!(get(&record, "is_on_biz_app").is_null());
        assert!(get(&record, "health_status").is_null());
        assert!(get(&record, "can_send_message").is_null());
        assert!(get(&record, "quality_rating").is_null());
    }

    #[test]
    fn waba_without_id_uses_the_requested_one() {
        let record = build_record(&Map::new(), Some(&Map::new()), Some("77"));
        assert_eq!(get(&record, "business_account_id"), "77");
        assert!(get(&record, "business_portfolio_id").is_null());
    }

    mod properties {
        use super::*;
        use crate::test_support;
        use proptest::prelude::*;

        pub(super) const TEXT: &[&str] = &[
            "display_phone_number",
            "verified_name",
            "name_status",
            "quality_rating",
            "messaging_limit_tier",
            "account_mode",
            "code_verification_status",
            "last_onboarded_time",
            "platform_type",
            "business_id",
            "id",
            "status",
            "new_name_status",
            "throughput_level",
            "can_send_message",
            "business_account_id",
            "business_account_name",
            "business_portfolio_id",
            "business_portfolio_name",
        ];
        const OBJECTS: &[&str] = &["throughput", "webhook_configuration", "health_status"];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Whatever Meta sends, the record has the same keys in the same order, and each value
            /// is of its key's type or nil: a field of the wrong type never raises or leaks through.
            #[test]
            fn records_always_have_the_same_shape(
                phone in test_support::object(),
                waba in proptest::option::of(test_support::object()),
                waba_id in proptest::option::of("[0-9]{1,16}"),
            ) {
                let empty = build_record(&Map::new(), waba.as_ref().map(|_| &phone), waba_id.as_deref());
                let record = build_record(&phone, waba.as_ref(), waba_id.as_deref());
                let keys: Vec<&str> = record.iter().map(|(k, _)| *k).collect();
                let expected: Vec<&str> = empty.iter().map(|(k, _)| *k).collect();
                prop_assert_eq!(&keys, &expected);
                prop_assert_eq!(keys.len(), if waba.is_some() { 23 } else { 19 });
                for (key, value) in &record {
                    let ok = if TEXT.contains(key) {
                        matches!(value, Value::String(_) | Value::Null)
                    } else if OBJECTS.contains(key) {
                        matches!(value, Value::Object(_) | Value::Null)
                    } else {
                        *key == "is_on_biz_app" && matches!(value, Value::Bool(_) | Value::Null)
                    };
                    prop_assert!(ok, "{} = {}", key, value);
                }
            }

            /// Values of the right type come through unchanged; numbers become their text.
            #[test]
            fn right_types_pass_through(phone in test_support::object()) {
                let record = build_record(&phone, None, None);
                let get = |key: &str| &record.iter().find(|(k, _)| *k == key).unwrap().1;
                for key in ["verified_name", "quality_rating", "account_mode", "status", "id"] {
                    match phone.get(key) {
                        Some(Value::String(s)) => prop_assert_eq!(get(key), &Value::String(s.clone())),
                        Some(Value::Number(n)) => prop_assert_eq!(get(key), &Value::String(n.to_string())),
                        _ => prop_assert!(get(key).is_null()),
                    }
                }
                match phone.get("throughput") {
                    Some(v @ Value::Object(_)) => prop_assert_eq!(get("throughput"), v),
                    _ => prop_assert!(get("throughput").is_null()),
                }
                match phone.get("is_on_biz_app") {
                    Some(v @ Value::Bool(_)) => prop_assert_eq!(get("is_on_biz_app"), v),
                    _ => prop_assert!(get("is_on_biz_app").is_null()),
                }
            }
        }
    }
}
