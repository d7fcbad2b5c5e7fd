//! From a health event to what changes in the number's snapshot and what to do about it.
//!
//! The snapshot is the health Hash `WaHealth.fetch` returns (or one stored from it), as JSON. The
//! outcome is the members to set in it and actions as data; the caller merges and acts.
//!
//! Order and repeats: Meta delivers events late, twice or out of order. The snapshot remembers, per
//! `field`, the time of the latest event applied and a fingerprint of each event applied at that
//! second ([`APPLIED_EVENTS`]), plus the latest time of all ([`LAST_EVENT_AT`]). An event older than
//! the latest of its field, or one already applied, changes nothing and yields no action. Per field
//! rather than overall, so that a name approval delivered after a later quality update is not lost.
//! An event without a time cannot be ordered: it is applied, and remembered nowhere.
//!
//! What remembers every event applied, whatever the snapshot keeps, is the event ledger the Ruby
//! side claims each event's `event_id` in before the app's handler runs (lib/wa_health/event_ledger.rb):
//! the snapshot's memory is bounded ([`MAX_KEYS_PER_SECOND`]) and lost when the app stores a fresh
//! health read over it.
//!
//! Read time: a health read made after an event already shows what a name or quality event says.
//! Such an event ([`Skip::OlderThanRead`]) changes nothing and asks nothing, except the approval
//! of a registered number's name change, which no read shows as done (the number must be
//! registered again).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::action::{Action, ActionType};
use super::event::{digits, Event, Kind};
use super::rules::{approves_name_change, member, Rules};
use crate::ids::is_graph_id;

pub const LAST_EVENT_AT: &str = "last_event_at";
pub const APPLIED_EVENTS: &str = "applied_events";
/// The snapshot member that may hold when its health was read, Unix seconds (used when the caller
/// gives no read time).
pub const READ_AT: &str = "read_at";
/// An event is older than a read when it happened more than this many seconds before it: Meta's
/// clock and the app's may differ, and a Graph read made just after a change may not show it yet.
/// Within the margin the event is applied as usual.
pub const READ_REFLECTS_AFTER_SECONDS: i64 = 300;
/// Fingerprints kept for one field and second (a body rarely holds more than one change per field).
const MAX_KEYS_PER_SECOND: usize = 32;

/// Why an event changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not a health field.
    NotHealth,
    /// It names another phone number than the snapshot's.
    OtherNumber,
    /// It comes from another WABA than the snapshot's.
    OtherAccount,
    /// Older than the latest event of its field already applied.
    Stale,
    /// Already applied.
    Duplicate,
    /// A name or quality event older than the snapshot's health read, which already shows it.
    OlderThanRead,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::NotHealth => "not_health",
            Skip::OtherNumber => "other_number",
            Skip::OtherAccount => "other_account",
            Skip::Stale => "stale",
            Skip::Duplicate => "duplicate",
            Skip::OlderThanRead => "older_than_read",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Snapshot members to set (top-level keys).
    pub changes: Map<String, Value>,
    pub actions: Vec<Action>,
    pub skipped: Option<Skip>,
}

fn skipped(skip: Skip) -> Outcome {
    Outcome {
        skipped: Some(skip),
        ..Outcome::default()
    }
}

/// The snapshot's Graph id under `key` (surrounding white space ignored), when it is one.
fn graph_id(text: &str) -> Option<&str> {
    let text = text.trim();
    is_graph_id(text).then_some(text)
}

/// Identifies one delivery of one change: every member of the event (sorted keys), its
/// `event_id` and Meta's value included.
fn fingerprint(event: &Event) -> String {
    let members: Map<String, Value> = event
        .pairs()
        .into_iter()
        .filter(|(key, _)| *key != "kind")
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    let digest = Sha256::digest(Value::Object(members).to_string().as_bytes());
    hex::encode(&digest[..8])
}

/// The latest time applied for `field` and the fingerprints applied at that time.
fn cursor(snapshot: &Map<String, Value>, field: &str) -> Option<(i64, Vec<String>)> {
    let entry = snapshot.get(APPLIED_EVENTS)?.as_object()?.get(field)?;
    let at = entry.get("at")?.as_i64()?;
    let keys = match entry.get("keys") {
        Some(Value::Array(keys)) => keys
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    Some((at, keys))
}

/// Whether the event is about another number or WABA than the snapshot's (when both sides say).
fn elsewhere(snapshot: &Map<String, Value>, event: &Event) -> Option<Skip> {
    let own_phone = member(snapshot, "display_phone_number").map(digits);
    if let (Some(theirs), Some(own)) = (event.phone_digits(), own_phone) {
        if !own.is_empty() && own != theirs {
            return Some(Skip::OtherNumber);
        }
    }
    // An account alert about one phone number names it by its Graph id.
    let phone_entity = event
        .entity_type
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("PHONE_NUMBER"));
    let own_id = member(snapshot, "id").and_then(graph_id);
    let their_id = event.entity_id.as_deref().and_then(graph_id);
    if let (true, Some(theirs), Some(own)) = (phone_entity, their_id, own_id) {
        if theirs != own {
            return Some(Skip::OtherNumber);
        }
    }
    let own_waba = ["business_account_id", "business_id"]
        .iter()
        .find_map(|key| member(snapshot, key).and_then(graph_id));
    let their_waba = event.waba_id.as_deref().and_then(graph_id);
    match (their_waba, own_waba) {
        (Some(theirs), Some(own)) if theirs != own => Some(Skip::OtherAccount),
        _ => None,
    }
}

/// Whether the event is a name or quality event that happened before the health read (see
/// [`READ_REFLECTS_AFTER_SECONDS`]); `read_at` is the caller's, else the snapshot's [`READ_AT`].
fn older_than_read(snapshot: &Map<String, Value>, event: &Event, read_at: Option<i64>) -> bool {
    if !matches!(event.kind, Kind::NameUpdate | Kind::QualityUpdate) {
        return false;
    }
    let read_at = read_at.or_else(|| snapshot.get(READ_AT).and_then(Value::as_i64));
    match (event.time, read_at) {
        (Some(time), Some(read_at)) => {
            time.saturating_add(READ_REFLECTS_AFTER_SECONDS) < read_at
                && !approves_name_change(snapshot, event)
        }
        _ => false,
    }
}

/// `read_at`: when the snapshot's health was read, Unix seconds (`None`: the snapshot's
/// [`READ_AT`] member when it has one).
pub fn apply(snapshot: &Map<String, Value>, event: &Event, read_at: Option<i64>) -> Outcome {
    if event.kind == Kind::Unknown {
        return skipped(Skip::NotHealth);
    }
    if let Some(skip) = elsewhere(snapshot, event) {
        return skipped(skip);
    }
    if older_than_read(snapshot, event, read_at) {
        return skipped(Skip::OlderThanRead);
    }
    let mut changes = Map::new();
    if let Some(time) = event.time {
        let key = fingerprint(event);
        let mut keys = match cursor(snapshot, &event.field) {
            Some((at, _)) if time < at => return skipped(Skip::Stale),
            Some((at, keys)) if time == at && keys.contains(&key) => {
                return skipped(Skip::Duplicate)
            }
            Some((at, keys)) if time == at => keys,
            _ => Vec::new(),
        };
        keys.push(key);
        let excess = keys.len().saturating_sub(MAX_KEYS_PER_SECOND);
        keys.drain(..excess);
        let mut applied = snapshot
            .get(APPLIED_EVENTS)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        applied.insert(event.field.clone(), json!({"at": time, "keys": keys}));
        changes.insert(APPLIED_EVENTS.into(), Value::Object(applied));
        let latest = snapshot.get(LAST_EVENT_AT).and_then(Value::as_i64);
        changes.insert(
            LAST_EVENT_AT.into(),
            json!(latest.map_or(time, |l| l.max(time))),
        );
    }
    let mut rules = Rules::new(snapshot, event, changes);
    match event.kind {
        Kind::NameUpdate => rules.name_update(),
        Kind::QualityUpdate => rules.quality_update(),
        Kind::AccountUpdate => rules.account_update(),
        Kind::AccountReview => rules.account_review(),
        Kind::CapabilityUpdate => rules.capability_update(),
        Kind::AccountAlert => rules.account_alert(),
        Kind::Security => rules.security(),
        Kind::Unknown => {}
    }
    let Rules {
        changes,
        mut actions,
        ..
    } = rules;
    if actions.iter().any(|a| a.kind == ActionType::RegisterNow) {
        // The job that registers reads the health afterwards anyway.
        actions.retain(|a| a.kind != ActionType::Refresh);
    }
    Outcome {
        changes,
        actions,
        skipped: None,
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
