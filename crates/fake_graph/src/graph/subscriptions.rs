//! The app's subscriptions to a WhatsApp Business Account (`/{waba}/subscribed_apps`), with the
//! optional WABA-level callback override (graph-api.md, "Endpoints the gem uses").

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::param_str;

pub(super) struct Subscription {
    override_callback_uri: Option<String>,
    verify_token: Option<String>,
}

/// `POST /{waba}/subscribed_apps`, optionally with `override_callback_uri` + `verify_token`.
pub(super) fn subscribe(
    subscriptions: &mut Vec<Subscription>,
    params: &Map<String, Value>,
) -> Result<Reply, ApiError> {
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
    subscriptions.push(Subscription {
        override_callback_uri: uri,
        verify_token,
    });
    Ok(Reply::success())
}

/// `GET /{waba}/subscribed_apps` (verify tokens are never shown).
pub(super) fn list(subscriptions: &[Subscription]) -> Reply {
    let data: Vec<Value> = subscriptions
        .iter()
        .map(|s| match &s.override_callback_uri {
            Some(uri) => json!({ "override_callback_uri": uri }),
            None => json!({}),
        })
        .collect();
    Reply::json(200, &json!({ "data": data }))
}

/// For [`super::Node::to_json`]: everything, verify tokens included.
pub(super) fn to_json(subscriptions: &[Subscription]) -> Vec<Value> {
    subscriptions
        .iter()
        .map(|s| {
            json!({
                "override_callback_uri": s.override_callback_uri,
                "verify_token": s.verify_token,
            })
        })
        .collect()
}
