//! JSON values to Ruby objects and back, in the key styles Ruby is given:
//! - [`json_to_ruby`]: String keys at every level, as `JSON.parse` gives them (Meta's own values);
//! - [`record_to_ruby`]: a health record: Symbol keys on top, and [`json_to_ruby`] below them, as
//!   Chatwoot's `JSON.parse` output had;
//! - [`json_to_ruby_symbols`]: Symbol keys at every level (the typed parts of webhook events and
//!   actions);
//! - [`ruby_to_json`]: a Ruby Hash with Symbol or String keys at any level, as JSON.

use magnus::rb_sys::FromRawValue;
use magnus::value::ReprValue;
use magnus::{Error, IntoValue, RArray, RHash, RString, Ruby, Symbol, TryConvert, Value};
use serde_json::{Map, Number, Value as Json};

use wa_health_core::health::HealthRecord;

/// Deeper structures are refused rather than risking the native stack.
const MAX_DEPTH: usize = 64;

pub fn json_to_ruby(ruby: &Ruby, value: &Json) -> Value {
    match value {
        Json::Null => ruby.qnil().as_value(),
        Json::Bool(b) => b.into_value_with(ruby),
        Json::Number(n) => number_to_ruby(ruby, n),
        Json::String(s) => ruby.str_new(s).as_value(),
        Json::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                // Pushing onto a fresh Array cannot fail.
                let _ = array.push(json_to_ruby(ruby, item));
            }
            array.as_value()
        }
        Json::Object(map) => {
            let hash = ruby.hash_new();
            for (key, item) in map {
                let _ = hash.aset(interned_str(key), json_to_ruby(ruby, item));
            }
            hash.as_value()
        }
    }
}

/// The frozen, deduplicated String Hash#[]= would make of `key` anyway, without the copy.
fn interned_str(key: &str) -> Value {
    // SAFETY: a pointer and length of valid UTF-8 and the UTF-8 encoding; called with the GVL.
    unsafe {
        Value::from_raw(rb_sys::rb_enc_interned_str(
            key.as_ptr().cast(),
            key.len() as std::os::raw::c_long,
            rb_sys::rb_utf8_encoding(),
        ))
    }
}

fn number_to_ruby(ruby: &Ruby, n: &Number) -> Value {
    if let Some(i) = n.as_i64() {
        ruby.integer_from_i64(i).as_value()
    } else if let Some(u) = n.as_u64() {
        ruby.integer_from_u64(u).as_value()
    } else {
        ruby.float_from_f64(n.as_f64().unwrap_or(f64::NAN))
            .as_value()
    }
}

/// JSON as Ruby with Symbol keys at every level (the typed parts of events and actions).
pub fn json_to_ruby_symbols(ruby: &Ruby, value: &Json) -> Value {
    match value {
        Json::Object(map) => {
            let hash = ruby.hash_new();
            for (key, item) in map {
                let _ = hash.aset(ruby.to_symbol(key), json_to_ruby_symbols(ruby, item));
            }
            hash.as_value()
        }
        Json::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                let _ = array.push(json_to_ruby_symbols(ruby, item));
            }
            array.as_value()
        }
        other => json_to_ruby(ruby, other),
    }
}

pub fn record_to_ruby(ruby: &Ruby, record: &HealthRecord) -> RHash {
    let hash = ruby.hash_new();
    for (key, value) in record {
        // `sym_new` interns without allocating a String (`to_symbol` makes one per key).
        let _ = hash.aset(ruby.sym_new(*key), json_to_ruby(ruby, value));
    }
    hash
}

/// A Ruby Hash (Symbol or String keys at any level) as JSON, for the decision rules.
pub fn ruby_to_json(ruby: &Ruby, value: Value) -> Result<Json, Error> {
    ruby_to_json_at(ruby, value, 0)
}

fn ruby_to_json_at(ruby: &Ruby, value: Value, depth: usize) -> Result<Json, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ruby.exception_arg_error(),
            "health data is nested too deeply",
        ));
    }
    if value.is_nil() {
        return Ok(Json::Null);
    }
    if value.is_kind_of(ruby.class_true_class()) {
        return Ok(Json::Bool(true));
    }
    if value.is_kind_of(ruby.class_false_class()) {
        return Ok(Json::Bool(false));
    }
    if let Some(hash) = RHash::from_value(value) {
        let mut map = Map::new();
        hash.foreach(|key: Value, item: Value| {
            map.insert(
                key_to_string(ruby, key)?,
                ruby_to_json_at(ruby, item, depth + 1)?,
            );
            Ok(magnus::r_hash::ForEach::Continue)
        })?;
        return Ok(Json::Object(map));
    }
    if let Some(array) = RArray::from_value(value) {
        let mut items = Vec::with_capacity(array.len());
        for item in array.into_iter() {
            items.push(ruby_to_json_at(ruby, item, depth + 1)?);
        }
        return Ok(Json::Array(items));
    }
    if let Some(symbol) = Symbol::from_value(value) {
        return Ok(Json::String(symbol.name()?.into_owned()));
    }
    if let Some(string) = RString::from_value(value) {
        return Ok(Json::String(string.to_string()?));
    }
    if value.is_kind_of(ruby.class_integer()) {
        return Ok(i64::try_convert(value)
            .map(Json::from)
            .unwrap_or_else(|_| Json::String(value.to_string())));
    }
    if value.is_kind_of(ruby.class_float()) {
        let f = f64::try_convert(value)?;
        return Ok(Number::from_f64(f).map_or(Json::Null, Json::Number));
    }
    // Anything else (a Time, a custom object) is compared by its text, as Chatwoot's == would fail anyway.
    Ok(Json::String(value.to_string()))
}

fn key_to_string(ruby: &Ruby, key: Value) -> Result<String, Error> {
    if let Some(symbol) = Symbol::from_value(key) {
        return Ok(symbol.name()?.into_owned());
    }
    if let Some(string) = RString::from_value(key) {
        return string.to_string();
    }
    let _ = ruby;
    Ok(key.to_string())
}
