//! Which fields each kind of node has in which Graph version, and how a read selects them
//! (`fields=a,b{c},d`; an unknown field fails the whole call). Facts from graph-api.md.

use serde_json::{Map, Value};

use super::node::Kind;
use crate::error::ApiError;
use crate::routing::Call;

const PHONE_FIELDS: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "name_status",
    "new_name_status",
    "quality_rating",
    "messaging_limit_tier",
    "whatsapp_business_manager_messaging_limit",
    "code_verification_status",
    "account_mode",
    "throughput",
    "last_onboarded_time",
    "platform_type",
    "status",
    "is_on_biz_app",
    "is_official_business_account",
    "certificate",
    "webhook_configuration",
    "health_status",
    "eligibility_for_api_business_global_search",
    "is_pin_enabled",
    "search_visibility",
    "messaging_limit",
];
/// Phone fields that only exist from Graph v24.0 on.
const PHONE_FIELDS_V24: &[&str] = &[
    "whatsapp_business_manager_messaging_limit",
    "status",
    "is_on_biz_app",
];
const WABA_FIELDS: &[&str] = &[
    "id",
    "name",
    "owner_business_info",
    "currency",
    "timezone_id",
    "message_template_namespace",
    "account_review_status",
    "business_verification_status",
    "country",
    "ownership_type",
    "primary_business_location",
    "health_status",
    "on_behalf_of_business_info",
];

/// The fields a read asks for (`fields`, else `defaults`) that have a non-null value; a field
/// that is not `known` fails the call: "(#100) Tried accessing nonexisting field (f) on node type
/// (T)" (error_100_nonexisting_field_phone_node.json). `id` is left to the caller.
pub(super) fn select_fields(
    call: &Call<'_>,
    defaults: &[&str],
    known: impl Fn(&str) -> bool,
    node_type: &str,
    value: impl Fn(&str) -> Option<Value>,
) -> Result<Map<String, Value>, ApiError> {
    let requested: Vec<&str> = match call.query_value("fields") {
        Some(f) if !f.trim().is_empty() => split_fields(f),
        _ => defaults.to_vec(),
    };
    let mut out = Map::new();
    for field in requested {
        if !known(field) {
            return Err(ApiError::param(format!(
                "(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"
            )));
        }
        if field == "id" {
            continue;
        }
        if let Some(v) = value(field).filter(|v| !v.is_null()) {
            out.insert(field.to_owned(), v);
        }
    }
    Ok(out)
}

/// Splits a `fields` value at top-level commas (`a,b{c,d},e`) and drops sub-selections.
pub(crate) fn split_fields(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(|f| f.split(['{', '.']).next().unwrap_or("").trim())
        .filter(|f| !f.is_empty())
        .collect()
}

pub(super) fn field_known(kind: Kind, field: &str, version: (u32, u32)) -> bool {
    match kind {
        Kind::Phone => {
            PHONE_FIELDS.contains(&field)
                && (version >= (24, 0) || !PHONE_FIELDS_V24.contains(&field))
        }
        Kind::Waba => WABA_FIELDS.contains(&field),
    }
}
