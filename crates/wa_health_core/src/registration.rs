//! Registration calls: register, deregister, and the WABA webhook subscription.

use serde_json::{json, Value};

use hyper::Method;

use crate::client::{is_loopback, validate_node_id, Caller};
use crate::error::{GraphError, GraphResult};

/// Digits in a two-step verification PIN (Ruby's check reads it from here).
pub const PIN_DIGITS: usize = 6;

/// A two-step verification PIN: exactly [`PIN_DIGITS`] ASCII digits.
pub fn validate_pin(pin: &str) -> GraphResult<()> {
    if pin.len() == PIN_DIGITS && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(GraphError::InvalidArgument(format!(
            "pin must be exactly {PIN_DIGITS} digits"
        )))
    }
}

/// Regions are ISO 3166-1 alpha-2 codes such as "DE".
pub fn validate_region(region: &str) -> GraphResult<()> {
    if region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(GraphError::InvalidArgument(
            "data_localization_region must be a two-letter country code such as \"DE\"".to_string(),
        ))
    }
}

pub fn register_body(pin: &str, region: Option<&str>) -> Value {
    let mut body = json!({"messaging_product": "whatsapp", "pin": pin});
    if let Some(region) = region {
        body["data_localization_region"] = Value::String(region.to_string());
    }
    body
}

pub async fn register(
    caller: Caller<'_>,
    phone_number_id: &str,
    pin: &str,
    region: Option<&str>,
) -> GraphResult<()> {
    validate_node_id("phone_number_id", phone_number_id)?;
    validate_pin(pin)?;
    if let Some(region) = region {
        validate_region(region)?;
    }
    let body = register_body(pin, region);
    let edge = Some("register");
    caller
        .confirm(Method::POST, phone_number_id, edge, Some(body))
        .await
}

pub async fn deregister(caller: Caller<'_>, phone_number_id: &str) -> GraphResult<()> {
    validate_node_id("phone_number_id", phone_number_id)?;
    let edge = Some("deregister");
    caller
        .confirm(Method::POST, phone_number_id, edge, None)
        .await
}

/// The callback must be https, or plain http on a loopback host (development and tests only).
pub fn validate_callback_url(callback_url: &str) -> GraphResult<()> {
    let invalid = || {
        GraphError::InvalidArgument(
            "callback_url must be an absolute https URL (http only on a loopback host)".to_string(),
        )
    };
    let url = url::Url::parse(callback_url).map_err(|_| invalid())?;
    match url.scheme() {
        _ if url.host().is_none() => Err(invalid()),
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err(invalid()),
    }
}

fn validate_verify_token(verify_token: &str) -> GraphResult<()> {
    if verify_token.trim().is_empty() {
        return Err(GraphError::InvalidArgument(
            "verify_token must not be blank".to_string(),
        ));
    }
    Ok(())
}

/// The older protocol: subscribe the app and override the callback for the whole WABA in one call.
pub async fn subscribe_webhook(
    caller: Caller<'_>,
    business_account_id: &str,
    callback_url: &str,
    verify_token: &str,
) -> GraphResult<()> {
    validate_node_id("business_account_id", business_account_id)?;
    validate_callback_url(callback_url)?;
    validate_verify_token(verify_token)?;
    let body = json!({"override_callback_uri": callback_url, "verify_token": verify_token});
    let edge = Some("subscribed_apps");
    caller
        .confirm(Method::POST, business_account_id, edge, Some(body))
        .await
}

/// Subscribes the app to the WABA's webhooks for `subscribed_fields` (Chatwoot: `messages`,
/// `smb_message_echoes`, and `calls` when calling is on). The app must be subscribed before any
/// phone-level override.
pub async fn subscribe_app(
    caller: Caller<'_>,
    business_account_id: &str,
    subscribed_fields: &[String],
) -> GraphResult<()> {
    validate_node_id("business_account_id", business_account_id)?;
    if subscribed_fields.is_empty() || subscribed_fields.iter().any(|f| !valid_field(f)) {
        return Err(GraphError::InvalidArgument(
            "subscribed_fields must be webhook field names (lower-case letters and _)".to_string(),
        ));
    }
    let body = json!({ "subscribed_fields": subscribed_fields });
    let edge = Some("subscribed_apps");
    caller
        .confirm(Method::POST, business_account_id, edge, Some(body))
        .await
}

fn valid_field(field: &str) -> bool {
    !field.is_empty()
        && field.len() <= 64
        && field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// `DELETE /{waba}/subscribed_apps`: the app stops receiving this WABA's webhooks.
pub async fn unsubscribe_app(caller: Caller<'_>, business_account_id: &str) -> GraphResult<()> {
    validate_node_id("business_account_id", business_account_id)?;
    let edge = Some("subscribed_apps");
    caller
        .confirm(Method::DELETE, business_account_id, edge, None)
        .await
}

/// The phone-level callback override, `POST /{phone}` `{"webhook_configuration": {...}}`; `None`
/// clears it with an empty `override_callback_uri`, as public clients do.
pub async fn override_phone_webhook(
    caller: Caller<'_>,
    phone_number_id: &str,
    callback: Option<(&str, &str)>,
) -> GraphResult<()> {
    validate_node_id("phone_number_id", phone_number_id)?;
    let configuration = match callback {
        Some((url, verify_token)) => {
            validate_callback_url(url)?;
            validate_verify_token(verify_token)?;
            json!({"override_callback_uri": url, "verify_token": verify_token})
        }
        None => json!({"override_callback_uri": ""}),
    };
    let body = json!({ "webhook_configuration": configuration });
    caller
        .confirm(Method::POST, phone_number_id, None, Some(body))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_digits() {
        assert!(validate_pin("123456").is_ok());
        for bad in ["12345", "1234567", "12345a", "", "12 456", "１２３４５６"] {
            assert!(validate_pin(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn register_body_is_metas_shape() {
        assert_eq!(
            register_body("123456", None),
            json!({"messaging_product":"whatsapp","pin":"123456"})
        );
        assert_eq!(
            register_body("123456", Some("DE"))["data_localization_region"],
            "DE"
        );
        assert!(validate_region("DE").is_ok());
        assert!(validate_region("de").is_err());
        assert!(validate_region("DEU").is_err());
    }

    #[test]
    fn callback_urls_are_https_or_loopback_http() {
        assert!(
            validate_callback_url("https://chat.example.com/webhooks/whatsapp/+15550100").is_ok()
        );
        assert!(validate_callback_url("http://127.0.0.1:3000/webhooks/whatsapp/1").is_ok());
        assert!(validate_callback_url("http://localhost/x").is_ok());
        assert!(validate_callback_url("http://[::1]/x").is_ok());
        assert!(validate_callback_url("http://chat.example.com/x").is_err());
        assert!(validate_callback_url("/webhooks/whatsapp").is_err());
        assert!(validate_callback_url("ftp://chat.example.com/x").is_err());
    }
}
