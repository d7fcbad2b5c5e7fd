//! Where a phone number's messages webhooks go: its own override (`POST /{phone}` with
//! `webhook_configuration`), its WABA's override, or the app's callback URL, as the phone's
//! `webhook_configuration` field shows them. Source: Meta's "Webhook overrides" page
//! (spec/fixtures/meta/SOURCES.md, facts 20 and 29; phone_override_callback_success.json,
//! phone_webhook_configuration_all_overrides.json).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::node::Node;
use super::subscriptions::Override;
use crate::error::ApiError;
use crate::routing::param_str;
use crate::settings::Settings;

/// What `POST /{phone}` asks for: set the override, or clear it (an empty
/// `override_callback_uri`, as Meta's "Delete phone number alternate callback" sends).
pub(super) fn requested_override(
    params: &Map<String, Value>,
) -> Result<Option<Override>, ApiError> {
    let parsed;
    let config = match params.get("webhook_configuration") {
        Some(Value::Object(config)) => config,
        // Form-encoded clients send the object as JSON text.
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(config)) => {
                parsed = config;
                &parsed
            }
            _ => {
                return Err(ApiError::param(
                    "(#100) Param webhook_configuration must be a JSON object",
                ))
            }
        },
        _ => {
            return Err(ApiError::param(
                "(#100) The parameter webhook_configuration is required",
            ))
        }
    };
    let Some(uri) = param_str(config, "override_callback_uri") else {
        return Err(ApiError::param(
            "(#100) The parameter override_callback_uri is required",
        ));
    };
    if uri.is_empty() {
        return Ok(None);
    }
    let Some(verify_token) = param_str(config, "verify_token").filter(|t| !t.is_empty()) else {
        return Err(ApiError::param(
            "(#100) The parameter verify_token is required",
        ));
    };
    Ok(Some(Override {
        uri,
        verify_token: Some(verify_token),
    }))
}

/// Setting an override needs the app subscribed to the phone's WABA; else Meta's answer in
/// spec/fixtures/meta/error_100_override_callback_app_not_subscribed.json (HTTP 400, code 100, no
/// subcode). A phone not linked to a WABA (`waba_id`) counts as not subscribed.
pub(super) fn check_subscribed(
    phone: &Node,
    nodes: &HashMap<String, Node>,
) -> Result<(), ApiError> {
    let waba = phone.waba_id.as_deref().and_then(|id| nodes.get(id));
    if waba.is_some_and(|w| w.subscription.is_some()) {
        return Ok(());
    }
    Err(ApiError::param(
        "(#100) Before override the current callback uri, your app must be subscribed to receive messages for WhatsApp Business Account",
    ))
}

/// The phone's `webhook_configuration`: `phone_number` (its override), `whatsapp_business_account`
/// (only when its WABA has one), `application` (the configured app callback URL), over what the
/// node's fields hold. Without any of these it is the stored field as given.
pub(super) fn configuration(
    phone: &Node,
    nodes: &HashMap<String, Node>,
    settings: &Settings,
) -> Option<Value> {
    let stored = phone
        .fields
        .get("webhook_configuration")
        .filter(|v| !v.is_null());
    let waba = phone.waba_id.as_deref().and_then(|id| nodes.get(id));
    let live = settings.app_callback_url.is_some() || waba.is_some() || phone.callback.is_some();
    if !live {
        return stored.cloned();
    }
    let mut config = stored
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut put = |key: &str, url: Option<&String>| match url {
        Some(url) => {
            config.insert(key.to_owned(), Value::String(url.clone()));
        }
        None => {
            config.remove(key);
        }
    };
    put("phone_number", phone.callback.as_ref().map(|c| &c.uri));
    if let Some(waba) = waba {
        let waba_override = waba.subscription.as_ref().and_then(|s| s.callback.as_ref());
        put("whatsapp_business_account", waba_override.map(|c| &c.uri));
    }
    if let Some(url) = &settings.app_callback_url {
        put("application", Some(url));
    }
    (!config.is_empty()).then_some(Value::Object(config))
}
