//! Graph behaviour: the nodes (phone numbers and WhatsApp Business Accounts), which fields each kind
//! has in which version, and what each endpoint does to a node. Facts from graph-api.md.

pub(crate) mod fields;
mod node;
mod profile;
pub(crate) mod register_limit;
mod registration;
mod subscriptions;
mod webhooks;

use std::collections::HashMap;
use std::time::Instant;

use serde_json::Value;

use crate::error::ApiError;
use crate::reply::Reply;
use crate::routing::{Call, Endpoint};
use crate::settings::Settings;
use fields::{field_known, select_fields};
pub(crate) use node::{empty_profile, Kind, Node};
pub(crate) use subscriptions::{AppSubscription, Override};

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
