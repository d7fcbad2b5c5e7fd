//! Meta's webhook body to [`Event`]s: one per change, in body order.
//!
//! Envelope: `{"object":"whatsapp_business_account","entry":[{"id","time","changes":[{"field","value"}]}]}`.
//! Meta's own published examples are not all well formed (spec/fixtures/meta/SOURCES.md, item 28):
//! `object` may be missing (webhooks/account_update_partner_added.json) and a change may carry its
//! `field` inside `value` (webhooks/account_update_partner_app_uninstalled_malformed.json). So
//! members are read by key, `object` is not required, and a change without a string `field` is
//! skipped. What is not an envelope at all is a [`PayloadError`].

use serde_json::{Map, Value};

use super::event::{text, unix_time, Event};
use super::identity::event_id;

/// Largest body accepted: 4 MiB. Meta: "Webhook payloads can be up to 3 MB." (webhooks overview,
/// "Payload size", updated Dec 2, 2025; research/meta/NOTES.md, section 5). A health event is a
/// few hundred bytes, but the endpoint sees every field of the app's subscription (a `messages`
/// body with many changes included) before it can tell them apart, so the cap admits Meta's
/// largest, whether Meta's MB is 10^6 or 2^20 bytes, with a third to spare.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of arrays and objects accepted (the envelope itself uses 5 levels).
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("webhook body too large: {0} bytes (at most {max} bytes)", max = MAX_BODY_BYTES)]
    TooLarge(usize),
    #[error("webhook body nested too deeply (over {MAX_DEPTH} levels)")]
    TooDeep,
    #[error("webhook body is not JSON ({0})")]
    NotJson(String),
    #[error("webhook body is not Meta's envelope: {0}")]
    WrongShape(&'static str),
}

/// Whether arrays and objects nest deeper than `max` anywhere in `bytes`, brackets inside strings
/// not counted. Checked before serde_json runs, whose own limit (128) is a recursion of its own.
fn nested_deeper_than(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

pub fn parse(body: &[u8]) -> Result<Vec<Event>, PayloadError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(PayloadError::TooLarge(body.len()));
    }
    if nested_deeper_than(body, MAX_DEPTH) {
        return Err(PayloadError::TooDeep);
    }
    // serde_json's message names a line and column, never the body's contents.
    let root: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let Value::Object(mut root) = root else {
        return Err(PayloadError::WrongShape("the body is not a JSON object"));
    };
    let entries = match root.remove("entry") {
        Some(Value::Array(entries)) => entries,
        None => return Err(PayloadError::WrongShape("no entry member")),
        Some(_) => return Err(PayloadError::WrongShape("entry is not an array")),
    };
    let mut events = Vec::new();
    for entry in entries {
        let Value::Object(mut entry) = entry else {
            return Err(PayloadError::WrongShape("an entry is not an object"));
        };
        let entry_id = text(entry.get("id"));
        let time = unix_time(entry.get("time"));
        let changes = match entry.remove("changes") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(changes)) => changes,
            Some(_) => return Err(PayloadError::WrongShape("changes is not an array")),
        };
        for change in changes {
            let Value::Object(mut change) = change else {
                return Err(PayloadError::WrongShape("a change is not an object"));
            };
            let Some(Value::String(field)) = change.get("field") else {
                continue;
            };
            let field = field.clone();
            let raw_value = change.remove("value");
            let id = event_id(
                entry.get("id"),
                entry.get("time"),
                &field,
                raw_value.as_ref(),
            );
            let value = match raw_value {
                Some(Value::Object(value)) => value,
                _ => Map::new(),
            };
            events.push(Event::from_change(
                &field,
                entry_id.clone(),
                time,
                value,
                id,
            ));
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::super::event::Kind;
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The `body` of a corpus file (spec/fixtures/meta/webhooks/<name>), re-serialized.
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../spec/fixtures/meta/webhooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let file: Value = serde_json::from_slice(&std::fs::read(&path).expect(&path)).unwrap();
        serde_json::to_vec(&file["body"]).unwrap()
    }

    #[test]
    fn name_approval_from_meta_reference() {
        let events = parse(&fixture("phone_number_name_update_approved.json")).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.kind, Kind::NameUpdate);
        assert_eq!(e.waba_id.as_deref(), Some("102290129340398"));
        assert_eq!(e.time, Some(1739321024));
        assert_eq!(e.display_phone_number.as_deref(), Some("15550783881"));
        assert_eq!(e.decision.as_deref(), Some("APPROVED"));
        assert_eq!(e.requested_verified_name.as_deref(), Some("Lucky Shrub"));
        assert_eq!(e.rejection_reason, None);
    }

    #[test]
    fn ban_restriction_violation_disconnection_and_limits() {
        let ban = parse(&fixture("account_update_disabled_update_reinstate.json")).unwrap();
        let info = ban[0].ban_info.clone().unwrap();
        assert_eq!(info.waba_ban_state.as_deref(), Some("REINSTATE"));
        assert_eq!(info.waba_ban_date.as_deref(), Some("April 17, 2025"));

        let restricted = parse(&fixture("account_update_account_restriction.json")).unwrap();
        let types: Vec<_> = restricted[0]
            .restriction_info
            .iter()
            .map(|r| (r.restriction_type.clone().unwrap(), r.expiration))
            .collect();
        assert_eq!(
            types,
            [
                (
                    "RESTRICTED_BIZ_INITIATED_MESSAGING".into(),
                    Some(1641330498)
                ),
                (
                    "RESTRICTED_ADD_PHONE_NUMBER_ACTION".into(),
                    Some(1641330498)
                )
            ]
        );
        let placeholders = parse(&fixture(
            "account_update_account_restriction_with_placeholders.json",
        ))
        .unwrap();
        assert_eq!(placeholders[0].restriction_info.len(), 3);
        assert!(placeholders[0]
            .restriction_info
            .iter()
            .all(|r| r.expiration.is_none()));
        assert_eq!(placeholders[0].phone_digits(), None);

        let violation = parse(&fixture("account_update_account_violation_adult.json")).unwrap();
        let violation_type = violation[0].violation_info.clone().unwrap().violation_type;
        assert_eq!(violation_type.as_deref(), Some("ADULT"));

        let removed = parse(&fixture(
            "account_update_partner_removed_disconnection_info.json",
        ))
        .unwrap();
        let info = removed[0].disconnection_info.clone().unwrap();
        assert_eq!(info.reason.as_deref(), Some("PRIMARY_INACTIVITY"));
        assert_eq!(info.initiated_by.as_deref(), Some("SYSTEM"));

        let caps = parse(&fixture("business_capability_update_limits.json")).unwrap();
        let limits = caps[0].limits.clone().unwrap();
        assert_eq!(
            limits.max_daily_conversations_per_business,
            Some(json!(2000))
        );
        assert_eq!(limits.max_phone_numbers_per_waba, Some(json!(25)));
    }

    #[test]
    fn meta_malformed_examples_do_not_fail() {
        // `field` inside value: skipped, not an error.
        let body = fixture("account_update_partner_app_uninstalled_malformed.json");
        assert_eq!(parse(&body).unwrap(), vec![]);
        // No `object`.
        let events = parse(&fixture("account_update_partner_added.json")).unwrap();
        assert_eq!(events[0].event.as_deref(), Some("PARTNER_ADDED"));
    }

    #[test]
    fn unknown_fields_and_odd_members_keep_the_other_changes() {
        let body = json!({"entry": [{"id": 123, "time": "1700000000", "changes": [
            {"field": "messages", "value": {"statuses": []}},
            {"value": {"event": "X"}},
            {"field": 7, "value": {}},
            {"field": "account_update", "value": "not an object"},
            {"field": "phone_number_name_update", "value": {"decision": "APPROVED", "rejection_reason": null}}
        ]}]});
        let events = parse(body.to_string().as_bytes()).unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Unknown, Kind::AccountUpdate, Kind::NameUpdate]
        );
        assert!(events
            .iter()
            .all(|e| e.waba_id.as_deref() == Some("123") && e.time == Some(1700000000)));
    }

    #[test]
    fn bad_bodies_are_typed_errors() {
        let cases: Vec<(Vec<u8>, PayloadError)> = vec![
            (b"not json".to_vec(), PayloadError::NotJson(String::new())),
            (b"[1,2]".to_vec(), PayloadError::WrongShape("")),
            (br#"{"entry":{}}"#.to_vec(), PayloadError::WrongShape("")),
            (br#"{"object":"x"}"#.to_vec(), PayloadError::WrongShape("")),
            (br#"{"entry":[1]}"#.to_vec(), PayloadError::WrongShape("")),
            (
                br#"{"entry":[{"changes":{}}]}"#.to_vec(),
                PayloadError::WrongShape(""),
            ),
            (
                br#"{"entry":[{"changes":[null]}]}"#.to_vec(),
                PayloadError::WrongShape(""),
            ),
            (vec![b' '; MAX_BODY_BYTES + 1], PayloadError::TooLarge(0)),
            // Meta's documented largest ("up to 3 MB") is not too large: only not JSON.
            (
                vec![b' '; 3 * 1024 * 1024],
                PayloadError::NotJson(String::new()),
            ),
            ("[".repeat(65).into_bytes(), PayloadError::TooDeep),
            (vec![0xff, 0xfe], PayloadError::NotJson(String::new())),
        ];
        for (body, expected) in cases {
            let error = parse(&body).unwrap_err();
            assert_eq!(
                std::mem::discriminant(&error),
                std::mem::discriminant(&expected),
                "{error}"
            );
        }
        // Brackets inside strings do not count towards the depth.
        let deep_text = format!(r#"{{"entry":[],"x":"{}"}}"#, "[".repeat(100));
        assert_eq!(parse(deep_text.as_bytes()), Ok(vec![]));
        let within = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(matches!(
            parse(within.as_bytes()),
            Err(PayloadError::WrongShape(_))
        ));
    }

    #[test]
    fn times_that_are_absent_fractional_or_too_large_still_parse() {
        let body = |time: &str| {
            format!(
                r#"{{"entry":[{{"id":"1","time":{time},"changes":[{{"field":"security","value":{{"event":"PIN_CHANGED"}}}}]}}]}}"#
            )
        };
        let time_of = |time: &str| parse(body(time).as_bytes()).unwrap()[0].time;
        assert_eq!(time_of("1739321024"), Some(1739321024));
        assert_eq!(time_of("1739321024.75"), Some(1739321024));
        assert_eq!(time_of("\"1739321024\""), Some(1739321024));
        assert_eq!(time_of("99999999999999999999"), None);
        assert_eq!(time_of("9223372036854775808"), None);
        assert_eq!(time_of("1e300"), None);
        assert_eq!(time_of("null"), None);
        let untimed = r#"{"entry":[{"id":"1","changes":[{"field":"security","value":{}}]}]}"#;
        assert_eq!(parse(untimed.as_bytes()).unwrap()[0].time, None);
        // Each still has an identity of its own, the same on every delivery.
        let ids: Vec<String> = [
            "1739321024",
            "1739321024.75",
            "99999999999999999999",
            "null",
        ]
        .iter()
        .map(|t| parse(body(t).as_bytes()).unwrap()[0].event_id.clone())
        .collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert_eq!(
            parse(body("99999999999999999999").as_bytes()).unwrap()[0].event_id,
            ids[2]
        );
    }

    #[test]
    fn every_change_of_a_body_has_its_own_identity_and_a_redelivery_the_same() {
        // 40 changes of one field in one second, and one change twice.
        let mut changes: Vec<Value> = (0..40)
            .map(|i| json!({"field": "phone_number_quality_update",
                "value": {"display_phone_number": "15550783881", "event": "FLAGGED", "current_limit": format!("TIER_{i}K")}}))
            .collect();
        changes.push(changes[0].clone());
        let body = json!({"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "time": 1739321024, "changes": changes}]});
        let first = parse(body.to_string().as_bytes()).unwrap();
        let again = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(first.len(), 41);
        let ids: Vec<&str> = first.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(
            ids,
            again
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>()
        );
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 40);
        assert_eq!(ids[0], ids[40]);
        // The same change alone in a body, or next to others, is the same event.
        let alone = json!({"entry": [{"time": 1739321024, "id": "102290129340398", "changes": [changes[3].clone()]}]});
        assert_eq!(
            parse(alone.to_string().as_bytes()).unwrap()[0].event_id,
            ids[3]
        );
    }

    #[test]
    fn partner_events_name_the_customer_waba() {
        let events = parse(&fixture("account_update_partner_app_uninstalled.json")).unwrap();
        assert_eq!(events[0].waba_id.as_deref(), Some("184943124712545"));
        assert_eq!(events[0].entry_id.as_deref(), Some("2949482758682047"));
        let events = parse(&fixture("account_update_partner_added.json")).unwrap();
        assert_eq!(events[0].waba_id.as_deref(), Some("980198427658004"));
        let events = parse(&fixture("phone_number_name_update_approved.json")).unwrap();
        assert_eq!(events[0].waba_id, events[0].entry_id);
    }

    #[test]
    fn error_messages_never_quote_the_body() {
        let secretish = br#"{"entry": [ "s3cr3t-value" }"#;
        let message = parse(secretish).unwrap_err().to_string();
        assert!(!message.contains("s3cr3t"), "{message}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&body);
        }

        #[test]
        fn arbitrary_json_never_panics(value in crate::test_support::json()) {
            let _ = parse(value.to_string().as_bytes());
            let wrapped = json!({"entry": [{"id": "1", "time": 1, "changes": [
                {"field": "account_update", "value": value.clone()},
                {"field": "phone_number_quality_update", "value": {"event": value.clone(), "current_limit": value.clone()}},
                {"field": "phone_number_name_update", "value": value}
            ]}]});
            let events = parse(wrapped.to_string().as_bytes()).unwrap();
            prop_assert_eq!(events.len(), 3);
        }
    }
}
