//! The app's subscription to a WhatsApp Business Account (`/{waba}/subscribed_apps`): which
//! webhook fields, and the optional WABA-level callback override. The fake serves one app, so a
//! WABA has at most one subscription. Sources: graph-api.md ("Endpoints the gem uses"), Meta's
//! "Webhook overrides" page (spec/fixtures/meta/SOURCES.md, fact 29).

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::param_str;
use crate::settings::Settings;

/// A callback override: where messages webhooks go instead of the app's callback URL.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Override {
    pub(crate) uri: String,
    pub(crate) verify_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AppSubscription {
    /// `subscribed_fields` as sent; `None`: the app's own field list (no `subscribed_fields`).
    pub(crate) fields: Option<Vec<String>>,
    /// The WABA-level override (the older form of the POST).
    pub(crate) callback: Option<Override>,
}

/// `POST /{waba}/subscribed_apps`: JSON `{"subscribed_fields": [...]}`, or the older
/// `override_callback_uri` + `verify_token`. A POST without an override removes the WABA's one
/// (Meta: "Delete WABA alternate callback" is a plain subscribe).
pub(super) fn subscribe(params: &Map<String, Value>) -> Result<AppSubscription, ApiError> {
    let uri = match params.get("override_callback_uri") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::param(
                "(#100) Param override_callback_uri must be a string",
            ))
        }
    };
    let verify_token = param_str(params, "verify_token").filter(|t| !t.is_empty());
    if uri.is_some() && verify_token.is_none() {
        return Err(ApiError::param(
            "(#100) The parameter verify_token is required",
        ));
    }
    Ok(AppSubscription {
        fields: subscribed_fields(params.get("subscribed_fields"))?,
        callback: uri.map(|uri| Override { uri, verify_token }),
    })
}

/// An array of field names; form-encoded clients send it as JSON text or a comma-separated list.
fn subscribed_fields(value: Option<&Value>) -> Result<Option<Vec<String>>, ApiError> {
    let parsed;
    let list = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim_start().starts_with('[') => {
            parsed = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
            &parsed
        }
        Some(Value::String(text)) => {
            let names = text.split(',').map(str::trim).filter(|n| !n.is_empty());
            return Ok(Some(names.map(str::to_owned).collect()));
        }
        Some(other) => other,
    };
    let names: Option<Vec<String>> = list.as_array().and_then(|items| {
        let names = items.iter().map(|v| v.as_str().map(str::to_owned));
        names.collect()
    });
    names.map(Some).ok_or_else(|| {
        ApiError::param("(#100) Param subscribed_fields must be an array of field names")
    })
}

/// `GET /{waba}/subscribed_apps`: `{"data": []}` when not subscribed (subscribed_apps_get_empty_
/// openapi.json), else the app and its override (subscribed_apps_get_with_waba_override.json).
/// Verify tokens are never shown.
pub(super) fn list(subscription: Option<&AppSubscription>, settings: &Settings) -> Reply {
    let data: Vec<Value> = subscription
        .map(|s| {
            let mut entry = json!({
                "whatsapp_business_api_data": {
                    "id": settings.app_id,
                    "link": format!("https://www.facebook.com/games/?app_id={}", settings.app_id),
                    "name": settings.app_name,
                }
            });
            if let Some(callback) = &s.callback {
                entry["override_callback_uri"] = Value::String(callback.uri.clone());
            }
            entry
        })
        .into_iter()
        .collect();
    Reply::json(200, &json!({ "data": data }))
}

/// For the node's JSON: `[]` or `[{"override_callback_uri", "verify_token", "subscribed_fields"
/// (only when the POST named them)}]`.
pub(super) fn to_json(subscription: Option<&AppSubscription>) -> Value {
    let entries: Vec<Value> = subscription
        .map(|s| {
            let callback = s.callback.as_ref();
            let mut entry = json!({
                "override_callback_uri": callback.map(|c| &c.uri),
                "verify_token": callback.and_then(|c| c.verify_token.as_ref()),
            });
            if let Some(fields) = &s.fields {
                entry["subscribed_fields"] = json!(fields);
            }
            entry
        })
        .into_iter()
        .collect();
    Value::Array(entries)
}
