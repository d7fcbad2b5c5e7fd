//! The JSON the owner sends (settings, nodes, canned answers), parsed with serde. Unknown members
//! are refused, and every message names the member at fault, e.g. `settings.latency_ms: invalid
//! value: integer `-1`, expected u64`.

use std::collections::BTreeMap;
use std::num::{NonZeroU64, NonZeroUsize};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::canned::Canned;
use crate::graph::{empty_profile, AppSubscription, Kind, Node, Override};
use crate::raw::Drip;
use crate::reply::{JSON_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use crate::routing::Endpoint;
use crate::settings::Settings;

/// Deserializes the JSON object `value`; errors read `{what}.{member}: {problem}`.
pub(crate) fn parse<T: DeserializeOwned>(what: &str, value: &Value) -> Result<T, String> {
    // serde would also take an array for a struct (members by position): only objects are meant.
    if !value.is_object() {
        return Err(format!("{what} must be a JSON object, got {value}"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let place = if path == "." {
            what.to_owned()
        } else {
            format!("{what}.{path}")
        };
        format!("{place}: {}", e.into_inner())
    })
}

/// For members that may be left out but not given as null: present means `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A string that must not be empty.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct NonEmpty(String);

impl TryFrom<String> for NonEmpty {
    type Error = &'static str;

    fn try_from(s: String) -> Result<NonEmpty, &'static str> {
        if s.is_empty() {
            Err("must be a non-empty string")
        } else {
            Ok(NonEmpty(s))
        }
    }
}

/// `configure`: every member optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object of settings")]
pub(crate) struct SettingsPatch {
    #[serde(default, deserialize_with = "present")]
    access_token: Option<NonEmpty>,
    /// null forgets the secret.
    #[serde(default, deserialize_with = "present")]
    app_secret: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    latency_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    max_recorded_requests: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    require_content_length: Option<bool>,
    /// null: none.
    #[serde(default, deserialize_with = "present")]
    app_callback_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    app_id: Option<NonEmpty>,
    #[serde(default, deserialize_with = "present")]
    app_name: Option<NonEmpty>,
}

impl SettingsPatch {
    pub(crate) fn apply(self, settings: &mut Settings) {
        if let Some(NonEmpty(token)) = self.access_token {
            settings.access_token = token;
        }
        if let Some(secret) = self.app_secret {
            settings.app_secret = secret;
        }
        if let Some(ms) = self.latency_ms {
            settings.latency = Duration::from_millis(ms);
        }
        if let Some(n) = self.max_recorded_requests {
            settings.max_recorded = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(required) = self.require_content_length {
            settings.require_content_length = required;
        }
        if let Some(url) = self.app_callback_url {
            settings.app_callback_url = url;
        }
        if let Some(NonEmpty(id)) = self.app_id {
            settings.app_id = id;
        }
        if let Some(NonEmpty(name)) = self.app_name {
            settings.app_name = name;
        }
    }
}

/// `upsert_node`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object describing a node")]
pub(crate) struct NodeSpec {
    pub(crate) kind: Kind,
    /// A token accepted for this node only (besides the default one); null: none.
    #[serde(default)]
    access_token: Option<NonEmpty>,
    /// null: none.
    #[serde(default)]
    fields: Option<Map<String, Value>>,
    #[serde(default)]
    pin: Option<String>,
    #[serde(default = "yes")]
    display_name_ready: bool,
    /// A phone's WABA (node id); null: none.
    #[serde(default)]
    waba_id: Option<NonEmpty>,
    /// A phone's business profile; null: an empty one.
    #[serde(default)]
    business_profile: Option<Map<String, Value>>,
    /// Left out: kept; null: none.
    #[serde(default, deserialize_with = "present")]
    webhook_override: Option<Option<OverrideSpec>>,
    /// A WABA's subscription of the app: left out: kept; `[]`: none.
    #[serde(default, deserialize_with = "present")]
    subscriptions: Option<Vec<SubscriptionSpec>>,
    /// Shown by `node()`, accepted (and ignored) so that `upsert_node(id, node(id))` round-trips.
    #[serde(default)]
    #[allow(dead_code)]
    register_attempts: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideSpec {
    override_callback_uri: NonEmpty,
    #[serde(default)]
    verify_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionSpec {
    #[serde(default)]
    override_callback_uri: Option<NonEmpty>,
    #[serde(default)]
    verify_token: Option<String>,
    #[serde(default)]
    subscribed_fields: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

impl NodeSpec {
    /// Describes `node` as given (refused, changing nothing, where a member does not fit the
    /// node's kind).
    pub(crate) fn apply(self, node: &mut Node) -> Result<(), String> {
        let phone = self.kind == Kind::Phone;
        let phone_only = self.waba_id.is_some()
            || self.business_profile.is_some()
            || matches!(self.webhook_override, Some(Some(_)));
        if !phone && phone_only {
            return Err(
                "node: waba_id, business_profile and webhook_override are for phone numbers".into(),
            );
        }
        if phone && self.subscriptions.as_ref().is_some_and(|s| !s.is_empty()) {
            return Err("node.subscriptions: only a WABA has the app's subscription".into());
        }
        let subscription = match self.subscriptions.map(Vec::into_iter) {
            None => node.subscription.take(),
            Some(mut entries) => match (entries.next(), entries.next()) {
                (first, None) => first.map(SubscriptionSpec::into_subscription),
                _ => return Err("node.subscriptions: at most one (the fake serves one app)".into()),
            },
        };
        node.subscription = subscription;
        if let Some(callback) = self.webhook_override {
            node.callback = callback.map(|o| Override {
                uri: o.override_callback_uri.0,
                verify_token: o.verify_token,
            });
        }
        node.kind = self.kind;
        node.access_token = self.access_token.map(|t| t.0);
        node.fields = self.fields.unwrap_or_default();
        node.pin = self.pin;
        node.display_name_ready = self.display_name_ready;
        node.waba_id = self.waba_id.map(|w| w.0);
        node.business_profile = self.business_profile.unwrap_or_else(empty_profile);
        Ok(())
    }
}

impl SubscriptionSpec {
    fn into_subscription(self) -> AppSubscription {
        AppSubscription {
            fields: self.subscribed_fields,
            callback: self.override_callback_uri.map(|uri| Override {
                uri: uri.0,
                verify_token: self.verify_token,
            }),
        }
    }
}

/// A node id, given as a string or a number.
#[derive(Deserialize)]
#[serde(untagged, expecting = "expected a node id (a string or a number)")]
enum NodeId {
    Text(String),
    Number(Number),
}

/// A header value: text, or a number or boolean sent as its JSON text.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "expected a header value (a string; null removes the header)"
)]
enum HeaderText {
    Text(String),
    Number(Number),
    Bool(bool),
}

/// `enqueue`: see [`crate::SharedState::enqueue`] for what each member does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object describing the answer")]
pub(crate) struct CannedSpec {
    #[serde(default)]
    node: Option<NodeId>,
    #[serde(default)]
    endpoint: Option<Endpoint>,
    #[serde(default, deserialize_with = "present")]
    status: Option<u16>,
    /// Kept apart from an absent body so that `body: null` + `body_base64` is refused too.
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    body_base64: Option<String>,
    #[serde(default, deserialize_with = "present")]
    content_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    headers: Option<BTreeMap<String, Option<HeaderText>>>,
    #[serde(default, deserialize_with = "present")]
    delay_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    drip_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    chunk_bytes: Option<NonZeroUsize>,
    #[serde(default, deserialize_with = "present")]
    cut_after_bytes: Option<usize>,
    #[serde(default, deserialize_with = "present")]
    hang_up: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    times: Option<NonZeroU64>,
}

impl CannedSpec {
    /// Checks what serde cannot (status range, header syntax, base64) and builds the entry.
    pub(crate) fn into_canned(self) -> Result<Canned, String> {
        let status = self.status.unwrap_or(200);
        if !(100..=599).contains(&status) {
            return Err(format!(
                "response.status must be an HTTP status 100..599, got {status}"
            ));
        }
        let (body, default_type) = match (self.body, self.body_base64) {
            (Some(_), Some(_)) => return Err("response: give body or body_base64, not both".into()),
            (None | Some(Value::Null), None) => (Bytes::new(), TEXT_CONTENT_TYPE),
            (Some(Value::String(text)), None) => (Bytes::from(text), TEXT_CONTENT_TYPE),
            (Some(json), None) => (Bytes::from(json.to_string()), JSON_CONTENT_TYPE),
            (None, Some(text)) => (Bytes::from(decode_base64(&text)?), TEXT_CONTENT_TYPE),
        };
        let content_type = match self.content_type {
            Some(ct) if HeaderValue::from_str(&ct).is_err() => {
                return Err(format!(
                    "response.content_type: invalid header value {ct:?}"
                ))
            }
            Some(ct) => ct,
            None => default_type.to_owned(),
        };
        let drip = (self.drip_ms.is_some() || self.chunk_bytes.is_some()).then(|| Drip {
            interval: Duration::from_millis(self.drip_ms.unwrap_or(0)),
            chunk: self.chunk_bytes.map_or(1, NonZeroUsize::get),
        });
        Ok(Canned {
            node: self.node.map(|id| match id {
                NodeId::Text(s) => s,
                NodeId::Number(n) => n.to_string(),
            }),
            endpoint: self.endpoint,
            status,
            body,
            content_type,
            headers: header_overrides(self.headers.unwrap_or_default())?,
            delay: Duration::from_millis(self.delay_ms.unwrap_or(0)),
            times: self.times.map_or(1, NonZeroU64::get),
            drip,
            hang_up: self.hang_up.unwrap_or(false),
            cut_after: self.cut_after_bytes,
        })
    }
}

/// `{name: value}` with valid names and values, names lowercased; null removes a default header.
fn header_overrides(
    headers: BTreeMap<String, Option<HeaderText>>,
) -> Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(format!("response.headers: invalid header name {name:?}"));
        }
        let value = value.map(|v| match v {
            HeaderText::Text(s) => s,
            HeaderText::Number(n) => n.to_string(),
            HeaderText::Bool(b) => b.to_string(),
        });
        if let Some(v) = value
            .as_deref()
            .filter(|v| HeaderValue::from_str(v).is_err())
        {
            return Err(format!(
                "response.headers.{name}: invalid header value {v:?}"
            ));
        }
        out.push((name.to_ascii_lowercase(), value));
    }
    Ok(out)
}

/// Standard base64 (RFC 4648, `+/`), `=` padding optional, ASCII whitespace ignored.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
        .decode(compact)
        .map_err(|e| format!("response.body_base64: not valid base64 ({e})"))
}
