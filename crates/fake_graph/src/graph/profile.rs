//! `GET /{phone}/whatsapp_business_profile`: `{"data": [{...requested fields that have a value,
//! "messaging_product": "whatsapp"}]}` (business_profile_all_fields.json,
//! business_profile_vertical_undefined.json: live recordings).

use serde_json::json;

use super::fields::select_fields;
use super::node::Node;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::Call;

const PROFILE_FIELDS: &[&str] = &[
    "about",
    "address",
    "description",
    "email",
    "profile_picture_url",
    "websites",
    "vertical",
    "messaging_product",
];

/// Unknown fields fail the call as on every node, naming the node type
/// `WhatsAppBusinessProfile` (the pattern of error_100_nonexisting_field_*.json).
pub(super) fn get(phone: &Node, call: &Call<'_>) -> Result<Reply, ApiError> {
    let mut out = select_fields(
        call,
        PROFILE_FIELDS,
        |field| PROFILE_FIELDS.contains(&field),
        "WhatsAppBusinessProfile",
        |field| phone.business_profile.get(field).cloned(),
    )?;
    out.insert("messaging_product".into(), json!("whatsapp"));
    Ok(Reply::json(200, &json!({ "data": [out] })))
}
