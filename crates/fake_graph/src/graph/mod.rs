//! Graph behaviour: the nodes (phone numbers and WhatsApp Business Accounts), which fields each kind
//! has in which version, and what each endpoint does to a node. Facts from graph-api.md.

mod registration;
mod subscriptions;

use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::{Call, Endpoint};
pub(crate) use registration::RegisterWindow;
use subscriptions::Subscription;

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

#[derive(Clone, Copy, PartialEq, Eq, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Phone,
    Waba,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Phone => "phone",
            Kind::Waba => "waba",
        }
    }

    fn graph_type(self) -> &'static str {
        match self {
            Kind::Phone => "WhatsAppBusinessPhoneNumber",
            Kind::Waba => "WhatsAppBusinessAccount",
        }
    }
}

pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) access_token: Option<String>,
    pub(crate) fields: Map<String, Value>,
    pub(crate) pin: Option<String>,
    pub(crate) display_name_ready: bool,
    register: RegisterWindow,
    subscriptions: Vec<Subscription>,
}

impl Node {
    /// A node with no history (no register calls, no subscriptions).
    pub(crate) fn new(kind: Kind) -> Node {
        Node {
            kind,
            access_token: None,
            fields: Map::new(),
            pin: None,
            display_name_ready: true,
            register: RegisterWindow::default(),
            subscriptions: Vec::new(),
        }
    }

    /// The node as JSON: the upsert shape plus `register_attempts` and `subscriptions`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "access_token": self.access_token,
            "fields": self.fields,
            "pin": self.pin,
            "display_name_ready": self.display_name_ready,
            "register_attempts": self.register.attempts(),
            "subscriptions": subscriptions::to_json(&self.subscriptions),
        })
    }
}

/// What `call` does to `node` (auth already checked).
pub(crate) fn serve(node: &mut Node, call: &Call<'_>) -> Result<Reply, ApiError> {
    match (call.edge, call.method, node.kind) {
        (None, "GET", kind) => get_node(node, kind, call),
        (Some(Endpoint::Register), "POST", Kind::Phone) => {
            node.register.count(Instant::now())?;
            registration::register(node, &call.params()?)
        }
        (Some(Endpoint::Deregister), "POST", Kind::Phone) => {
            node.register.count(Instant::now())?;
            registration::deregister(node);
            Ok(Reply::success())
        }
        (Some(Endpoint::SubscribedApps), "GET", Kind::Waba) => {
            Ok(subscriptions::list(&node.subscriptions))
        }
        (Some(Endpoint::SubscribedApps), "POST", Kind::Waba) => {
            subscriptions::subscribe(&mut node.subscriptions, &call.params()?)
        }
        (Some(Endpoint::SubscribedApps), "DELETE", Kind::Waba) => {
            node.subscriptions.clear();
            Ok(Reply::success())
        }
        _ => Err(ApiError::unsupported(call.method, call.id)),
    }
}

/// `GET /{version}/{id}?fields=...`: the requested fields that have a value, plus `id`. A field
/// the kind does not have in that version fails the whole call.
fn get_node(node: &Node, kind: Kind, call: &Call<'_>) -> Result<Reply, ApiError> {
    let requested: Vec<&str> = match call.query_value("fields") {
        Some(f) if !f.trim().is_empty() => split_fields(f),
        _ => match kind {
            Kind::Phone => vec!["display_phone_number", "verified_name"],
            Kind::Waba => vec!["name"],
        },
    };
    let mut out = Map::new();
    out.insert("id".into(), Value::String(call.id.to_owned()));
    for field in requested {
        if !field_known(kind, field, call.version) {
            return Err(ApiError::param(format!(
                "(#100) Tried accessing nonexisting field ({field}) on node type ({})",
                kind.graph_type()
            )));
        }
        if field == "id" {
            continue;
        }
        if let Some(value) = node.fields.get(field).filter(|v| !v.is_null()) {
            out.insert(field.to_owned(), value.clone());
        }
    }
    Ok(Reply::json(200, &Value::Object(out)))
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

fn field_known(kind: Kind, field: &str, version: (u32, u32)) -> bool {
    match kind {
        Kind::Phone => {
            PHONE_FIELDS.contains(&field)
                && (version >= (24, 0) || !PHONE_FIELDS_V24.contains(&field))
        }
        Kind::Waba => WABA_FIELDS.contains(&field),
    }
}
