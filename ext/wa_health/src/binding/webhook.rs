//! Ruby entry points for Meta's health webhooks (wa_health_core::webhook). Every entry point catches panics:
//! magnus would turn one into `fatal`, which ends the process.

use std::panic::{catch_unwind, AssertUnwindSafe};

use magnus::value::ReprValue;
use magnus::{Error, IntoValue, RArray, RHash, RString, Ruby, Value};
use serde_json::Value as Json;

use super::convert::{json_to_ruby, json_to_ruby_symbols, ruby_to_json};
use super::errors::{panic_error, raise};
use super::graph::FIBER_SECRETS_KEY;
use wa_health_core::secrets;
use wa_health_core::webhook::action::Action;
use wa_health_core::webhook::apply::apply;
use wa_health_core::webhook::event::Event;
use wa_health_core::webhook::{parse, signature};

pub(super) fn guarded<T>(ruby: &Ruby, work: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| Err(panic_error(ruby)))
}

/// The event as a Hash: Symbol keys, `kind` a Symbol, Meta's `value` with String keys as
/// `JSON.parse` gives.
fn event_to_ruby(ruby: &Ruby, event: &Event) -> RHash {
    let hash = ruby.hash_new();
    for (key, value) in event.pairs() {
        let value = match key {
            "kind" => ruby.to_symbol(event.kind.as_str()).as_value(),
            "value" => json_to_ruby(ruby, &value),
            _ => json_to_ruby_symbols(ruby, &value),
        };
        let _ = hash.aset(ruby.to_symbol(key), value);
    }
    hash
}

/// The action as a Hash; `event_id` is the event's, so that whatever performs the action later
/// (WaHealth::EventJob) can tell one event's actions from another's.
fn action_to_ruby(ruby: &Ruby, action: &Action, event_id: &str) -> RHash {
    let hash = ruby.hash_new();
    let _ = hash.aset(ruby.to_symbol("type"), ruby.to_symbol(action.kind.as_str()));
    let _ = hash.aset(ruby.to_symbol("reason"), ruby.to_symbol(action.reason));
    let _ = hash.aset(ruby.to_symbol("message"), action.message.as_str());
    let meta = Json::Object(action.meta.clone());
    let _ = hash.aset(ruby.to_symbol("meta"), json_to_ruby_symbols(ruby, &meta));
    let event_id = (!event_id.is_empty()).then_some(event_id);
    let _ = hash.aset(ruby.to_symbol("event_id"), event_id);
    hash
}

/// `Native.webhook_verify(body, header, app_secret)`: true, or raises WebhookSignatureError.
pub fn verify(
    ruby: &Ruby,
    body: RString,
    header: Option<String>,
    app_secret: String,
) -> Result<bool, Error> {
    guarded(ruby, || {
        if app_secret.is_empty() {
            return Err(Error::new(
                ruby.exception_arg_error(),
                "app_secret is missing",
            ));
        }
        // SAFETY: the slice is read while the GVL is held and nothing here calls into Ruby, so the
        // String cannot be changed or collected meanwhile.
        let bytes = unsafe { body.as_slice() };
        signature::verify(bytes, header.as_deref(), app_secret.as_bytes())
            .map(|()| true)
            .map_err(|e| raise(ruby, "WebhookSignatureError", &e.to_string()))
    })
}

/// `Native.webhook_parse(body)`: an Array of event Hashes, or raises WebhookPayloadError.
pub fn parse(ruby: &Ruby, body: RString) -> Result<RArray, Error> {
    guarded(ruby, || {
        // SAFETY: as in `verify`; parsing calls no Ruby.
        let events = parse::parse(unsafe { body.as_slice() })
            .map_err(|e| raise(ruby, "WebhookPayloadError", &e.to_string()))?;
        let array = ruby.ary_new_capa(events.len());
        for event in &events {
            array.push(event_to_ruby(ruby, event))?;
        }
        Ok(array)
    })
}

/// `Native.webhook_challenge(mode, token, challenge, verify_token)`: the challenge or nil.
pub fn challenge(
    ruby: &Ruby,
    mode: Option<String>,
    token: Option<String>,
    challenge: Option<String>,
    verify_token: String,
) -> Result<Option<String>, Error> {
    guarded(ruby, || {
        Ok(signature::challenge(
            mode.as_deref(),
            token.as_deref(),
            challenge.as_deref(),
            &verify_token,
        )
        .map(str::to_owned))
    })
}

/// `Native.log_line(text, values)`: the text without `values`, this fiber's `WaHealth::Redaction`
/// values or anything shaped like a Meta token, on one line.
pub fn log_line(ruby: &Ruby, text: String, values: Vec<String>) -> Result<String, Error> {
    guarded(ruby, || {
        let fiber: Option<Vec<String>> = ruby.thread_current().local_aref(FIBER_SECRETS_KEY)?;
        let all = values
            .iter()
            .chain(fiber.iter().flatten())
            .map(String::as_str);
        Ok(secrets::log_line(&text, all))
    })
}

/// `Native.apply_event(snapshot, event, read_at)`: `{changes: {String => value}, actions: [...],
/// skipped: Symbol or nil}`; `read_at`: when the snapshot was read, Unix seconds, or nil.
pub fn apply_event(
    ruby: &Ruby,
    snapshot: Option<Value>,
    event: Value,
    read_at: Option<i64>,
) -> Result<RHash, Error> {
    guarded(ruby, || {
        let snapshot = match snapshot.map(|s| ruby_to_json(ruby, s)).transpose()? {
            None | Some(Json::Null) => serde_json::Map::new(),
            Some(Json::Object(map)) => map,
            Some(_) => {
                return Err(Error::new(
                    ruby.exception_arg_error(),
                    "snapshot must be a Hash or nil",
                ))
            }
        };
        let event: Event = serde_json::from_value(ruby_to_json(ruby, event)?).map_err(|e| {
            Error::new(
                ruby.exception_arg_error(),
                format!("event is not a WaHealth::Webhook event ({e})"),
            )
        })?;
        let event = event.normalized();
        let outcome = apply(&snapshot, &event, read_at);
        let answer = ruby.hash_new();
        let changes = ruby.hash_new();
        for (key, value) in &outcome.changes {
            changes.aset(key.as_str(), json_to_ruby(ruby, value))?;
        }
        answer.aset(ruby.to_symbol("changes"), changes)?;
        let actions = ruby.ary_new_capa(outcome.actions.len());
        for action in &outcome.actions {
            actions.push(action_to_ruby(ruby, action, &event.event_id))?;
        }
        answer.aset(ruby.to_symbol("actions"), actions)?;
        let skipped = outcome
            .skipped
            .map(|s| ruby.to_symbol(s.as_str()).into_value_with(ruby));
        answer.aset(ruby.to_symbol("skipped"), skipped)?;
        Ok(answer)
    })
}
