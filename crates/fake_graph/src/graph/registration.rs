//! Register and deregister (graph-api.md, "Registration rules"): the PIN, the display-name
//! certificate, and what a registration changes on the number (the limit on these calls is
//! register_limit.rs).

use serde_json::{json, Map, Value};

use super::node::Node;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::param_str;

/// `POST /{phone}/register` with `messaging_product` and a 6-digit `pin`.
pub(super) fn register(node: &mut Node, params: &Map<String, Value>) -> Result<Reply, ApiError> {
    let product = param_str(params, "messaging_product");
    if !product.is_some_and(|p| p.eq_ignore_ascii_case("whatsapp")) {
        return Err(ApiError::param(
            "(#100) The parameter messaging_product is required.",
        ));
    }
    let Some(pin) = param_str(params, "pin") else {
        return Err(ApiError::param("(#100) The parameter pin is required."));
    };
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::param(
            "(#100) Param pin must be 6 characters long.",
        ));
    }
    if !node.display_name_ready {
        let mut e = ApiError::param("Invalid parameter");
        e.subcode = Some(2_388_001);
        e.user_title = Some("Cannot Create Certificate");
        e.user_msg =
            Some("Your display name could not be processed. Please edit your display name and try again.");
        return Err(e);
    }
    if node.pin.as_deref().is_some_and(|existing| existing != pin) {
        return Err(ApiError::new(
            400,
            133005,
            "OAuthException",
            "Two step verification PIN Mismatch",
        ));
    }
    node.pin = Some(pin);
    node.fields
        .insert("platform_type".into(), Value::String("CLOUD_API".into()));
    let throughput_unset = match node.fields.get("throughput") {
        None | Some(Value::Null) => true,
        Some(t) => t.get("level").and_then(Value::as_str) == Some("NOT_APPLICABLE"),
    };
    if throughput_unset {
        node.fields
            .insert("throughput".into(), json!({ "level": "STANDARD" }));
    }
    node.fields
        .insert("status".into(), Value::String("CONNECTED".into()));
    Ok(Reply::success())
}

/// `POST /{phone}/deregister`: the number leaves the Cloud API (its PIN is kept).
pub(super) fn deregister(node: &mut Node) {
    node.fields.insert(
        "platform_type".into(),
        Value::String("NOT_APPLICABLE".into()),
    );
    node.fields
        .insert("throughput".into(), json!({ "level": "NOT_APPLICABLE" }));
    node.fields
        .insert("status".into(), Value::String("DISCONNECTED".into()));
}
