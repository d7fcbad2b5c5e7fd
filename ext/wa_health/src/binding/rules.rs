//! Ruby entry points for the registration rules (wa_health_core::{decision, schedule, meaning}).

use magnus::value::ReprValue;
use magnus::{Error, RHash, Ruby, Value};

use super::convert::ruby_to_json;
use wa_health_core::decision::decide;
use wa_health_core::meaning::Meaning;
use wa_health_core::schedule;

/// The callback URL back when it is an absolute https URL (http only on a loopback host), else
/// ArgumentError: the rule every webhook call applies, for Ruby to check before the first request.
pub fn validate_callback_url(ruby: &Ruby, url: String) -> Result<String, Error> {
    wa_health_core::registration::validate_callback_url(&url)
        .map_err(|error| Error::new(ruby.exception_arg_error(), error.to_string()))?;
    Ok(url)
}

fn health_object(
    ruby: &Ruby,
    health: Value,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    match ruby_to_json(ruby, health)? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(Error::new(
            ruby.exception_arg_error(),
            "health must be a Hash",
        )),
    }
}

/// The decision as `{register:, reason:, display_name_pending:, verification_expired:,
/// not_applicable:, message:}` (WaHealth::Decision's keyword arguments).
pub fn registration_decision(ruby: &Ruby, health: Value) -> Result<RHash, Error> {
    let decision = decide(&health_object(ruby, health)?);
    let answer = ruby.hash_new();
    let set = |key: &str, value: Value| answer.aset(ruby.to_symbol(key), value);
    set("register", ruby.into_value(decision.register))?;
    set(
        "reason",
        ruby.to_symbol(decision.reason.as_str()).as_value(),
    )?;
    set(
        "display_name_pending",
        ruby.into_value(decision.display_name_pending),
    )?;
    set(
        "verification_expired",
        ruby.into_value(decision.verification_expired),
    )?;
    set(
        "not_applicable",
        ruby.ary_from_vec(decision.not_applicable).as_value(),
    )?;
    set("message", ruby.into_value(decision.message))?;
    Ok(answer)
}

/// The facts of the last registration error: `None` for no error, else Meta's code, subcode and
/// words for people (all `None` for an error that is not Meta's, such as a timeout).
type ErrorFacts = Option<(Option<i64>, Option<i64>, Option<String>, Option<String>)>;

pub fn next_registration_at(
    ruby: &Ruby,
    attempts: Vec<i64>,
    now: i64,
    last_error: ErrorFacts,
    health: Option<Value>,
) -> Result<Option<i64>, Error> {
    let last_error = last_error.map(|(code, subcode, title, message)| {
        Meaning::of(code, subcode, &[title.as_deref(), message.as_deref()])
    });
    let health = health.map(|h| health_object(ruby, h)).transpose()?;
    Ok(schedule::next_registration_at(
        &attempts,
        now,
        last_error,
        health.as_ref(),
    ))
}
