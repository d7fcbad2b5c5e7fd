//! Ruby entry points for the registration rules (src/decision.rs, src/schedule.rs).

use magnus::{Error, RArray, Ruby, Value};

use super::convert::ruby_to_json;
use crate::decision::decide;
use crate::schedule::{next_registration_at, LastError};

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

/// `[register, reason, display_name_pending, message]`.
pub fn registration_decision(ruby: &Ruby, health: Value) -> Result<RArray, Error> {
    let decision = decide(&health_object(ruby, health)?);
    let answer = ruby.ary_new();
    answer.push(decision.register)?;
    answer.push(ruby.to_symbol(decision.reason.as_str()))?;
    answer.push(decision.display_name_pending)?;
    answer.push(decision.message)?;
    Ok(answer)
}

/// `error_kind` is "none", "authorization", "api" or "other"; code and subcode come from an ApiError.
pub fn registration_time(
    ruby: &Ruby,
    attempts: Vec<i64>,
    now: i64,
    error_kind: String,
    code: Option<i64>,
    subcode: Option<i64>,
    health: Option<Value>,
) -> Result<Option<i64>, Error> {
    let last_error = match error_kind.as_str() {
        "none" => LastError::None,
        "authorization" => LastError::from_code(true, code, subcode),
        "api" => LastError::from_code(false, code, subcode),
        _ => LastError::Other,
    };
    let health = health.map(|h| health_object(ruby, h)).transpose()?;
    Ok(next_registration_at(
        &attempts,
        now,
        last_error,
        health.as_ref(),
    ))
}
