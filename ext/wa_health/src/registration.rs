//! Registration calls: register, deregister, and the WABA webhook subscription.

use serde_json::{json, Value};

use crate::client::{post_edge, validate_node_id, Engine, GraphSettings};
use crate::error::{GraphError, GraphResult};
use crate::secrets::Secrets;

pub fn validate_pin(pin: &str) -> GraphResult<()> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(GraphError::InvalidArgument(
            "pin must be exactly 6 digits".to_string(),
        ))
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
    engine: &Engine,
    conn: &GraphSettings,
    secrets: &Secrets,
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
    post_edge(
        engine,
        conn,
        secrets,
        phone_number_id,
        "register",
        Some(body),
    )
    .await
}

pub async fn deregister(
    engine: &Engine,
    conn: &GraphSettings,
    secrets: &Secrets,
    phone_number_id: &str,
) -> GraphResult<()> {
    validate_node_id("phone_number_id", phone_number_id)?;
    post_edge(engine, conn, secrets, phone_number_id, "deregister", None).await
}

/// The callback must be https, or plain http on a loopback host (development and tests only).
pub fn validate_callback_url(callback_url: &str) -> GraphResult<()> {
    let invalid = || {
        GraphError::InvalidArgument(
            "callback_url must be an absolute https URL (http only on a loopback host)".to_string(),
        )
    };
    let url = reqwest::Url::parse(callback_url).map_err(|_| invalid())?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid()),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(invalid()),
    }
}

pub async fn subscribe_webhook(
    engine: &Engine,
    conn: &GraphSettings,
    secrets: &Secrets,
    business_account_id: &str,
    callback_url: &str,
    verify_token: &str,
) -> GraphResult<()> {
    validate_node_id("business_account_id", business_account_id)?;
    validate_callback_url(callback_url)?;
    if verify_token.trim().is_empty() {
        return Err(GraphError::InvalidArgument(
            "verify_token must not be blank".to_string(),
        ));
    }
    let body = json!({"override_callback_uri": callback_url, "verify_token": verify_token});
    post_edge(
        engine,
        conn,
        secrets,
        business_account_id,
        "subscribed_apps",
        Some(body),
    )
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
