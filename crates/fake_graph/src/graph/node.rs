//! A node of the fake Graph: a phone number or a WhatsApp Business Account, with its fields and
//! what the endpoints have done to it (PIN, register calls, overrides, subscription, profile).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::register_limit::RegisterWindow;
use super::subscriptions::{self, AppSubscription, Override};

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

    pub(super) fn graph_type(self) -> &'static str {
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
    pub(super) register: RegisterWindow,
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

/// A profile nobody filled in: Meta answers `"vertical": "UNDEFINED"` and nothing else
/// (business_profile_vertical_undefined.json).
pub(crate) fn empty_profile() -> Map<String, Value> {
    let mut profile = Map::new();
    profile.insert("vertical".into(), json!("UNDEFINED"));
    profile
}
