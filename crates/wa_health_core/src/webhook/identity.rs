//! Which deliveries are the same event. Meta retries a body it got no 200 for, for up to 7 days
//! ("we will keep trying ... for up to 7 days", webhooks overview; the endpoint page says 36
//! hours), and sends duplicates when several apps subscribe to the WABA; a retry carries the same
//! changes. An event's identity is a digest of what identifies its change in any delivery: the
//! entry's `id` and `time` as sent (present or not, integer or not, in range or not), the change's
//! `field`, and its `value` as sent, in a canonical form (object keys sorted), so a body that
//! re-orders keys or batches the change with others still names the same event. Two changes that
//! are identical in all of these are one event.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Hex digits of an event id: 128 bits of SHA-256, enough that two different events never share
/// one.
pub const EVENT_ID_HEX_DIGITS: usize = 32;

/// `value` with every object's keys in sorted order, whatever order serde_json keeps them in (a
/// build that enables its `preserve_order` feature keeps insertion order).
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = Map::new();
            for key in keys {
                sorted.insert(key.clone(), canonical(&map[key]));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The identity of a change: `entry_id` and `time` are the entry's members as sent (absent:
/// `None`), `value` the change's `value` as sent (absent: `None`).
pub fn event_id(
    entry_id: Option<&Value>,
    time: Option<&Value>,
    field: &str,
    value: Option<&Value>,
) -> String {
    // An array, so that no member can be confused with another; serde_json writes it compactly,
    // with strings escaped the one way it knows.
    let absent = Value::Null;
    let parts = Value::Array(vec![
        Value::String("v1".into()),
        canonical(entry_id.unwrap_or(&absent)),
        canonical(time.unwrap_or(&absent)),
        Value::String(field.into()),
        canonical(value.unwrap_or(&absent)),
    ]);
    let digest = Sha256::digest(parts.to_string().as_bytes());
    hex::encode(&digest[..EVENT_ID_HEX_DIGITS / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(entry: Value, time: Value, field: &str, value: Value) -> String {
        event_id(Some(&entry), Some(&time), field, Some(&value))
    }

    #[test]
    fn same_change_same_id_whatever_the_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"decision":"APPROVED","display_phone_number":"1"}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"display_phone_number":"1","decision":"APPROVED"}"#).unwrap();
        let ida = id(json!("7"), json!(1), "phone_number_name_update", a);
        assert_eq!(ida.len(), EVENT_ID_HEX_DIGITS);
        assert!(ida.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(ida, id(json!("7"), json!(1), "phone_number_name_update", b));
    }

    #[test]
    fn any_difference_is_another_event() {
        let base = id(json!("7"), json!(1), "f", json!({"event": "A"}));
        let others = [
            id(json!("8"), json!(1), "f", json!({"event": "A"})),
            id(json!(7), json!(1), "f", json!({"event": "A"})),
            id(json!("7"), json!(2), "f", json!({"event": "A"})),
            id(json!("7"), json!(1.5), "f", json!({"event": "A"})),
            id(json!("7"), json!("1"), "f", json!({"event": "A"})),
            id(json!("7"), json!(1), "g", json!({"event": "A"})),
            id(json!("7"), json!(1), "f", json!({"event": "B"})),
            event_id(Some(&json!("7")), None, "f", Some(&json!({"event": "A"}))),
            event_id(Some(&json!("7")), Some(&json!(1)), "f", None),
        ];
        for other in others {
            assert_ne!(base, other);
        }
        // Times past i64 and floats are as much an identity as any other.
        let huge = serde_json::from_str::<Value>("99999999999999999999").unwrap();
        assert_ne!(
            id(json!("7"), huge.clone(), "f", json!({})),
            id(json!("7"), json!(1), "f", json!({}))
        );
        assert_eq!(
            id(json!("7"), huge.clone(), "f", json!({})),
            id(json!("7"), huge, "f", json!({}))
        );
    }
}
