//! Graph behaviour: the nodes (phone numbers and WhatsApp Business Accounts), which fields each kind
//! has in which version, and what each endpoint does to a node. Facts from graph-api.md.

mod profile;
mod registration;
mod subscriptions;
mod webhooks;

use std::collections::HashMap;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::{Call, Endpoint};
use crate::state::Settings;
pub(crate) use profile::empty_profile;
pub(crate) use registration::RegisterWindow;
pub(crate) use subscriptions::{AppSubscription, Override};

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
    /// A phone's WhatsApp Business Account (a node id).
    pub(crate) waba_id: Option<String>,
    /// A phone's own webhook override.
    pub(crate) callback: Option<Override>,
    /// A phone's business profile.
    pub(crate) business_profile: Map<String, Value>,
    /// A WABA's subscription of the app.
    pub(crate) subscription: Option<AppSubscription>,
    register: RegisterWindow,
}

impl Node {
    /// A node with no history (no register calls, no subscription, no override).
    pub(crate) fn new(kind: Kind) -> Node {
        Node {
            kind,
            access_token: None,
            fields: Map::new(),
            pin: None,
            display_name_ready: true,
            waba_id: None,
            callback: None,
            business_profile: empty_profile(),
            subscription: None,
            register: RegisterWindow::default(),
        }
    }

    /// The node as JSON: the upsert shape, plus `register_attempts`.
    pub(crate) fn to_json(&self) -> Value {
        let mut node = json!({
            "kind": self.kind.as_str(),
            "access_token": self.access_token,
            "fields": self.fields,
            "pin": self.pin,
            "display_name_ready": self.display_name_ready,
            "register_attempts": self.register.attempts(),
            "subscriptions": subscriptions::to_json(self.subscription.as_ref()),
        });
        if self.kind == Kind::Phone {
            node["waba_id"] = json!(self.waba_id);
            node["webhook_override"] = json!(self.callback.as_ref().map(|c| json!({
                "override_callback_uri": c.uri,
                "verify_token": c.verify_token,
            })));
            node["business_profile"] = Value::Object(self.business_profile.clone());
        }
        node
    }
}

/// What `call` does to the node it names (auth already checked); other nodes are read for the
/// phone-WABA link.
pub(crate) fn serve(
    nodes: &mut HashMap<String, Node>,
    settings: &Settings,
    call: &Call<'_>,
) -> Result<Reply, ApiError> {
    let Some(node) = nodes.get(call.id) else {
        return Err(ApiError::unsupported(call.method, call.id));
    };
    fn found<'n>(nodes: &'n mut HashMap<String, Node>, id: &str) -> &'n mut Node {
        nodes.get_mut(id).expect("the node was found above")
    }
    match (call.edge, call.method, node.kind) {
        (None, "GET", _) => get_node(node, nodes, settings, call),
        (None, "POST", Kind::Phone) => {
            let callback = webhooks::requested_override(&call.params()?)?;
            if callback.is_some() {
                webhooks::check_subscribed(node, nodes)?;
            }
            found(nodes, call.id).callback = callback;
            Ok(Reply::success())
        }
        (Some(Endpoint::WhatsappBusinessProfile), "GET", Kind::Phone) => profile::get(node, call),
        (Some(Endpoint::Register), "POST", Kind::Phone) => {
            let node = found(nodes, call.id);
            node.register.count(Instant::now())?;
            registration::register(node, &call.params()?)
        }
        (Some(Endpoint::Deregister), "POST", Kind::Phone) => {
            let node = found(nodes, call.id);
            node.register.count(Instant::now())?;
            registration::deregister(node);
            Ok(Reply::success())
        }
        (Some(Endpoint::SubscribedApps), "GET", Kind::Waba) => {
            Ok(subscriptions::list(node.subscription.as_ref(), settings))
        }
        (Some(Endpoint::SubscribedApps), "POST", Kind::Waba) => {
            found(nodes, call.id).subscription = Some(subscriptions::subscribe(&call.params()?)?);
            Ok(Reply::success())
        }
        (Some(Endpoint::SubscribedApps), "DELETE", Kind::Waba) => {
            found(nodes, call.id).subscription = None;
            Ok(Reply::success())
        }
        _ => Err(ApiError::unsupported(call.method, call.id)),
    }
}

/// `GET /{version}/{id}?fields=...`: the requested fields that have a value, plus `id`. A field
/// the kind does not have in that version fails the whole call.
fn get_node(
    node: &Node,
    nodes: &HashMap<String, Node>,
    settings: &Settings,
    call: &Call<'_>,
) -> Result<Reply, ApiError> {
    let defaults: &[&str] = match node.kind {
        Kind::Phone => &["display_phone_number", "verified_name"],
        Kind::Waba => &["name"],
    };
    let mut out = select_fields(
        call,
        defaults,
        |field| field_known(node.kind, field, call.version),
        node.kind.graph_type(),
        |field| match field {
            "webhook_configuration" if node.kind == Kind::Phone => {
                webhooks::configuration(node, nodes, settings)
            }
            _ => node.fields.get(field).cloned(),
        },
    )?;
    out.insert("id".into(), Value::String(call.id.to_owned()));
    Ok(Reply::json(200, &Value::Object(out)))
}

/// The fields a read asks for (`fields`, else `defaults`) that have a non-null value; a field
/// that is not `known` fails the call: "(#100) Tried accessing nonexisting field (f) on node type
/// (T)" (error_100_nonexisting_field_phone_node.json). `id` is left to the caller.
fn select_fields(
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

fn field_known(kind: Kind, field: &str, version: (u32, u32)) -> bool {
    match kind {
        Kind::Phone => {
            PHONE_FIELDS.contains(&field)
                && (version >= (24, 0) || !PHONE_FIELDS_V24.contains(&field))
        }
        Kind::Waba => WABA_FIELDS.contains(&field),
    }
}
