//! A loopback fake of Meta's WhatsApp Cloud (Graph) API.
//!
//! The fake keeps its state (nodes, settings, canned answers, request log, stats) in a
//! [`SharedState`] and serves it over real HTTP with [`FakeServer`]. Everything that is not I/O
//! lives in this file: the server only reads the request, calls [`SharedState::admit`] /
//! [`SharedState::answer`] and sleeps where asked to.
//!
//! Facts followed here come from `graph-api.md`: endpoints, field names, the error envelope,
//! the version gate of the newer health fields and the 10-per-72-hours register limit.

mod raw;
mod server;

pub use server::FakeServer;

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use raw::Drip;
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// Request bodies larger than this are answered with 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Register + deregister calls allowed per phone number in [`REGISTER_WINDOW`].
const REGISTER_LIMIT: usize = 10;
/// Moving window of the register/deregister limit (72 hours).
const REGISTER_WINDOW: Duration = Duration::from_secs(72 * 3600);

const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";
const TEXT_CONTENT_TYPE: &str = "text/plain";
const APP_USAGE: &str = r#"{"call_count":1,"total_cputime":1,"total_time":1}"#;
const SUCCESS_BODY: &[u8] = br#"{"success":true}"#;

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
const ENDPOINTS: &[&str] = &["get", "register", "deregister", "subscribed_apps"];
const EDGES: &[&str] = &["register", "deregister", "subscribed_apps"];

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/// Handle on the fake's state; cheap to clone, shared by the server and its owner.
#[derive(Clone)]
pub struct SharedState {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    settings: Settings,
    nodes: HashMap<String, Node>,
    queue: VecDeque<Canned>,
    log: VecDeque<Arc<RecordedRequest>>,
    request_count: u64,
    in_flight: u64,
    max_in_flight: u64,
    trace_seed: u64,
    trace_counter: u64,
}

#[derive(Clone)]
struct Settings {
    access_token: String,
    app_secret: Option<String>,
    latency: Duration,
    max_recorded: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token: "test-token".to_owned(),
            app_secret: None,
            latency: Duration::ZERO,
            max_recorded: 10_000,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
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

struct Node {
    kind: Kind,
    access_token: Option<String>,
    fields: Map<String, Value>,
    pin: Option<String>,
    display_name_ready: bool,
    register_attempts: u64,
    register_window: VecDeque<Instant>,
    subscriptions: Vec<Subscription>,
}

struct Subscription {
    override_callback_uri: Option<String>,
    verify_token: Option<String>,
}

/// A queued canned answer.
struct Canned {
    node: Option<String>,
    endpoint: Option<String>,
    status: u16,
    body: Bytes,
    content_type: String,
    /// Overrides of the default headers; `None` removes the header.
    headers: Vec<(String, Option<String>)>,
    delay: Duration,
    times: u64,
    drip: Option<Drip>,
    hang_up: bool,
    cut_after: Option<usize>,
}

/// One request as received (and as recorded in the log).
struct RecordedRequest {
    method: String,
    path: String,
    query: String,
    /// Lowercased names, in arrival order.
    headers: Vec<(String, String)>,
    body: Bytes,
    problem: Option<BodyProblem>,
    /// Which accepted connection carried it (1, 2, ... in accept order; 0 outside a server).
    connection: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BodyProblem {
    TooLarge,
    Unreadable,
}

/// An answer ready to be written.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// Lowercased names.
    headers: Vec<(String, String)>,
    body: Bytes,
    /// Extra wait before sending (canned `delay_ms`).
    delay: Duration,
    /// Send the body a chunk at a time (canned `drip_ms` / `chunk_bytes`).
    drip: Option<Drip>,
    /// Close the connection instead of answering (canned `hang_up`).
    hang_up: bool,
    /// Send only this many body bytes, then drop the connection (canned `cut_after_bytes`).
    cut_after: Option<usize>,
}

/// Result of [`SharedState::admit`].
enum Step {
    /// Answer right away.
    Reply(Reply),
    /// Sleep for the configured latency, then call [`SharedState::answer`].
    Wait(Duration, Arc<RecordedRequest>),
}

/// Decrements `in_flight` when the handling of a request ends (however it ends).
struct InFlight {
    state: SharedState,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.state.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

impl Default for SharedState {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedState {
    /// Empty state with default settings (token "test-token", no app secret, no latency,
    /// 10,000 recorded requests).
    pub fn new() -> SharedState {
        let trace_seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed)
            ^ u64::from(std::process::id());
        SharedState {
            inner: Arc::new(Mutex::new(Inner {
                settings: Settings::default(),
                nodes: HashMap::new(),
                queue: VecDeque::new(),
                log: VecDeque::new(),
                request_count: 0,
                in_flight: 0,
                max_in_flight: 0,
                trace_seed,
                trace_counter: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters for a test fake; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies settings; every member is optional, unknown members are refused.
    pub fn configure(&self, settings: &Value) -> Result<(), String> {
        let obj = settings.as_object().ok_or_else(|| {
            format!(
                "settings must be a JSON object, got {}",
                type_name(settings)
            )
        })?;
        let mut new = self.lock().settings.clone();
        for (key, value) in obj {
            match key.as_str() {
                "access_token" => match value.as_str() {
                    Some(s) if !s.is_empty() => new.access_token = s.to_owned(),
                    _ => return Err("settings.access_token must be a non-empty string".into()),
                },
                "app_secret" => match value {
                    Value::Null => new.app_secret = None,
                    Value::String(s) => new.app_secret = Some(s.clone()),
                    _ => return Err("settings.app_secret must be a string or null".into()),
                },
                "latency_ms" => {
                    let ms = value.as_u64().ok_or(
                        "settings.latency_ms must be a non-negative integer (milliseconds)",
                    )?;
                    new.latency = Duration::from_millis(ms);
                }
                "max_recorded_requests" => {
                    let n = value
                        .as_u64()
                        .ok_or("settings.max_recorded_requests must be a non-negative integer")?;
                    new.max_recorded = usize::try_from(n).unwrap_or(usize::MAX);
                }
                other => {
                    return Err(format!(
                        "unknown setting {other:?} (known: access_token, app_secret, latency_ms, max_recorded_requests)"
                    ))
                }
            }
        }
        let mut inner = self.lock();
        while inner.log.len() > new.max_recorded {
            inner.log.pop_front();
        }
        inner.settings = new;
        Ok(())
    }

    /// Creates or replaces a node. Replacing keeps its register history and subscriptions.
    pub fn upsert_node(&self, id: &str, node: &Value) -> Result<(), String> {
        if id.is_empty() || id.contains('/') {
            return Err(format!(
                "node id {id:?} must be non-empty and contain no '/'"
            ));
        }
        let obj = node
            .as_object()
            .ok_or_else(|| format!("node must be a JSON object, got {}", type_name(node)))?;
        let mut kind = None;
        let mut access_token = None;
        let mut fields = Map::new();
        let mut pin = None;
        let mut display_name_ready = true;
        for (key, value) in obj {
            match key.as_str() {
                "kind" => {
                    kind = Some(match value.as_str() {
                        Some("phone") => Kind::Phone,
                        Some("waba") => Kind::Waba,
                        _ => return Err(format!("node.kind must be \"phone\" or \"waba\", got {value}")),
                    })
                }
                "access_token" => match value {
                    Value::Null => access_token = None,
                    Value::String(s) if !s.is_empty() => access_token = Some(s.clone()),
                    _ => return Err("node.access_token must be a non-empty string or null".into()),
                },
                "fields" => match value {
                    Value::Object(map) => fields = map.clone(),
                    Value::Null => fields = Map::new(),
                    _ => return Err(format!("node.fields must be a JSON object, got {}", type_name(value))),
                },
                "pin" => match value {
                    Value::Null => pin = None,
                    Value::String(s) => pin = Some(s.clone()),
                    _ => return Err("node.pin must be a string or null".into()),
                },
                "display_name_ready" => {
                    display_name_ready = value
                        .as_bool()
                        .ok_or("node.display_name_ready must be a boolean")?
                }
                // Accepted (and ignored) so that `upsert_node(id, node(id))` round-trips.
                "register_attempts" | "subscriptions" => {}
                other => {
                    return Err(format!(
                        "unknown node member {other:?} (known: kind, access_token, fields, pin, display_name_ready)"
                    ))
                }
            }
        }
        let kind = kind.ok_or("node.kind is required (\"phone\" or \"waba\")")?;
        let mut inner = self.lock();
        match inner.nodes.get_mut(id) {
            Some(existing) => {
                existing.kind = kind;
                existing.access_token = access_token;
                existing.fields = fields;
                existing.pin = pin;
                existing.display_name_ready = display_name_ready;
            }
            None => {
                inner.nodes.insert(
                    id.to_owned(),
                    Node {
                        kind,
                        access_token,
                        fields,
                        pin,
                        display_name_ready,
                        register_attempts: 0,
                        register_window: VecDeque::new(),
                        subscriptions: Vec::new(),
                    },
                );
            }
        }
        Ok(())
    }

    /// The node as JSON (upsert shape plus `register_attempts` and `subscriptions`).
    pub fn node(&self, id: &str) -> Option<Value> {
        let inner = self.lock();
        let node = inner.nodes.get(id)?;
        let subscriptions: Vec<Value> = node
            .subscriptions
            .iter()
            .map(|s| {
                json!({
                    "override_callback_uri": s.override_callback_uri,
                    "verify_token": s.verify_token,
                })
            })
            .collect();
        Some(json!({
            "kind": node.kind.as_str(),
            "access_token": node.access_token,
            "fields": node.fields,
            "pin": node.pin,
            "display_name_ready": node.display_name_ready,
            "register_attempts": node.register_attempts,
            "subscriptions": subscriptions,
        }))
    }

    /// Queues a canned answer: `{"node", "endpoint": "get"|"register"|"deregister"|
    /// "subscribed_apps", "status" (default 200), "body" (object: sent as JSON; string: sent raw;
    /// absent: empty), "body_base64" (raw bytes, e.g. invalid UTF-8 or gzip data), "content_type",
    /// "headers" ({name: value}, null removes a default header), "delay_ms", "drip_ms" and
    /// "chunk_bytes" (send the body `chunk_bytes` (default 1) at a time, `drip_ms` apart, chunked),
    /// "cut_after_bytes" (announce the whole body, send this many bytes, drop the connection),
    /// "hang_up" (true: close the connection without answering), "times" (default 1)}`. The first
    /// entry whose node/endpoint match a request answers it instead of the normal logic (auth
    /// included).
    pub fn enqueue(&self, response: &Value) -> Result<(), String> {
        let canned = parse_canned(response)?;
        self.lock().queue.push_back(canned);
        Ok(())
    }

    /// Drops every queued canned answer.
    pub fn clear_queue(&self) {
        self.lock().queue.clear();
    }

    /// The request log, oldest first: `[{"method", "path", "query", "headers", "body"}]`.
    pub fn requests(&self) -> Value {
        // Clone the Arcs under the lock, build the JSON outside it.
        let log: Vec<Arc<RecordedRequest>> = self.lock().log.iter().cloned().collect();
        Value::Array(log.iter().map(|r| r.to_json()).collect())
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// `{"request_count", "in_flight", "max_in_flight"}`.
    pub fn stats(&self) -> Value {
        let inner = self.lock();
        json!({
            "request_count": inner.request_count,
            "in_flight": inner.in_flight,
            "max_in_flight": inner.max_in_flight,
        })
    }

    /// Zeroes `request_count`; `max_in_flight` restarts from the current `in_flight`.
    pub fn reset_stats(&self) {
        let mut inner = self.lock();
        inner.request_count = 0;
        inner.max_in_flight = inner.in_flight;
    }

    /// Drops nodes, queued answers, the request log and stats; settings are kept.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.nodes.clear();
        inner.queue.clear();
        inner.log.clear();
        inner.request_count = 0;
        inner.max_in_flight = inner.in_flight;
    }

    // ----- used by the server -----

    /// Counts a request as received and in flight until the guard is dropped.
    fn begin(&self) -> InFlight {
        let mut inner = self.lock();
        inner.request_count += 1;
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        drop(inner);
        InFlight {
            state: self.clone(),
        }
    }

    /// Records the request; without configured latency also answers it (one lock for both).
    fn admit(&self, request: RecordedRequest) -> Step {
        let request = Arc::new(request);
        let mut inner = self.lock();
        let max = inner.settings.max_recorded;
        if max > 0 {
            while inner.log.len() >= max {
                inner.log.pop_front();
            }
            inner.log.push_back(Arc::clone(&request));
        }
        let latency = inner.settings.latency;
        if latency.is_zero() {
            Step::Reply(inner.answer(&request))
        } else {
            Step::Wait(latency, request)
        }
    }

    /// Answers an already recorded request.
    fn answer(&self, request: &RecordedRequest) -> Reply {
        self.lock().answer(request)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_canned(v: &Value) -> Result<Canned, String> {
    let obj = v.as_object().ok_or_else(|| {
        format!(
            "queued response must be a JSON object, got {}",
            type_name(v)
        )
    })?;
    let mut canned = Canned {
        node: None,
        endpoint: None,
        status: 200,
        body: Bytes::new(),
        content_type: TEXT_CONTENT_TYPE.to_owned(),
        headers: Vec::new(),
        delay: Duration::ZERO,
        times: 1,
        drip: None,
        hang_up: false,
        cut_after: None,
    };
    let mut drip_ms = None;
    let mut chunk_bytes = None;
    let mut content_type = None;
    for (key, value) in obj {
        match key.as_str() {
            "node" => match value {
                Value::Null => {}
                Value::String(s) => canned.node = Some(s.clone()),
                Value::Number(n) => canned.node = Some(n.to_string()),
                _ => return Err("response.node must be a string (node id)".into()),
            },
            "endpoint" => match value {
                Value::Null => {}
                Value::String(s) if ENDPOINTS.contains(&s.as_str()) => {
                    canned.endpoint = Some(s.clone())
                }
                _ => {
                    return Err(format!(
                        "response.endpoint must be one of {ENDPOINTS:?}, got {value}"
                    ))
                }
            },
            "status" => {
                canned.status = value
                    .as_u64()
                    .filter(|s| (100..=599).contains(s))
                    .ok_or_else(|| format!("response.status must be an HTTP status 100..599, got {value}"))?
                    as u16
            }
            "body_base64" => match value {
                Value::String(s) => canned.body = Bytes::from(raw::decode_base64(s)?),
                _ => return Err("response.body_base64 must be a base64 string".into()),
            },
            "drip_ms" => {
                drip_ms = Some(
                    value
                        .as_u64()
                        .ok_or("response.drip_ms must be a non-negative integer")?,
                )
            }
            "chunk_bytes" => {
                chunk_bytes = Some(
                    value
                        .as_u64()
                        .filter(|n| *n >= 1)
                        .ok_or("response.chunk_bytes must be a positive integer")?,
                )
            }
            "cut_after_bytes" => {
                canned.cut_after = Some(
                    value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or("response.cut_after_bytes must be a non-negative integer")?,
                )
            }
            "hang_up" => {
                canned.hang_up = value
                    .as_bool()
                    .ok_or("response.hang_up must be a boolean")?
            }
            "body" => match value {
                Value::String(s) => canned.body = Bytes::from(s.clone().into_bytes()),
                Value::Null => canned.body = Bytes::new(),
                other => {
                    canned.body = Bytes::from(serde_json::to_vec(other).map_err(|e| e.to_string())?);
                    canned.content_type = JSON_CONTENT_TYPE.to_owned();
                }
            },
            "content_type" => match value {
                Value::String(s) if hyper::header::HeaderValue::from_str(s).is_ok() => {
                    content_type = Some(s.clone())
                }
                _ => return Err("response.content_type must be a valid header value string".into()),
            },
            "headers" => {
                let map = value
                    .as_object()
                    .ok_or("response.headers must be an object {name: value}")?;
                for (name, value) in map {
                    if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                        return Err(format!("response.headers: invalid header name {name:?}"));
                    }
                    let value = match value {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
                        _ => {
                            return Err(format!(
                                "response.headers.{name} must be a string (or null to remove the header)"
                            ))
                        }
                    };
                    if let Some(v) = &value {
                        if hyper::header::HeaderValue::from_str(v).is_err() {
                            return Err(format!("response.headers.{name}: invalid header value {v:?}"));
                        }
                    }
                    canned.headers.push((name.to_ascii_lowercase(), value));
                }
            }
            "delay_ms" => {
                canned.delay = Duration::from_millis(
                    value
                        .as_u64()
                        .ok_or("response.delay_ms must be a non-negative integer")?,
                )
            }
            "times" => {
                canned.times = value
                    .as_u64()
                    .filter(|t| *t >= 1)
                    .ok_or("response.times must be a positive integer")?
            }
            other => {
                return Err(format!(
                    "unknown response member {other:?} (known: node, endpoint, status, body, body_base64, content_type, headers, delay_ms, drip_ms, chunk_bytes, cut_after_bytes, hang_up, times)"
                ))
            }
        }
    }
    if let Some(ct) = content_type {
        canned.content_type = ct;
    }
    if obj.contains_key("body") && obj.contains_key("body_base64") {
        return Err("response: give body or body_base64, not both".into());
    }
    if drip_ms.is_some() || chunk_bytes.is_some() {
        canned.drip = Some(Drip {
            interval: Duration::from_millis(drip_ms.unwrap_or(0)),
            chunk: usize::try_from(chunk_bytes.unwrap_or(1)).unwrap_or(usize::MAX),
        });
    }
    Ok(canned)
}

impl RecordedRequest {
    fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            match headers.get_mut(name) {
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(value);
                }
                _ => {
                    headers.insert(name.clone(), Value::String(value.clone()));
                }
            }
        }
        json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": String::from_utf8_lossy(&self.body),
            "connection": self.connection,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Replies and errors
// ---------------------------------------------------------------------------------------------

impl Reply {
    fn json(status: u16, body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Reply::raw(status, JSON_CONTENT_TYPE, Bytes::from(bytes))
    }

    fn success() -> Reply {
        Reply::raw(200, JSON_CONTENT_TYPE, Bytes::from_static(SUCCESS_BODY))
    }

    fn raw(status: u16, content_type: &str, body: Bytes) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
            delay: Duration::ZERO,
            drip: None,
            hang_up: false,
            cut_after: None,
        }
    }

    /// Adds the usage headers Meta sends on (almost) every answer.
    fn with_usage(mut self, node_id: Option<&str>) -> Reply {
        self.headers
            .push(("x-app-usage".to_owned(), APP_USAGE.to_owned()));
        if let Some(id) = node_id {
            let key = serde_json::to_string(id).unwrap_or_default();
            self.headers.push((
                "x-business-use-case-usage".to_owned(),
                format!(
                    "{{{key}:[{{\"type\":\"whatsapp_business_management\",\"call_count\":1,\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":0}}]}}"
                ),
            ));
        }
        self
    }

    fn set_header(&mut self, name: &str, value: Option<&str>) {
        self.headers.retain(|(n, _)| n != name);
        if let Some(v) = value {
            self.headers.push((name.to_owned(), v.to_owned()));
        }
    }

    #[cfg(test)]
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A Graph error, turned into the `{"error": {...}}` envelope by [`ApiError::into_reply`].
#[derive(Debug)]
struct ApiError {
    status: u16,
    code: i64,
    subcode: Option<i64>,
    kind: &'static str,
    message: String,
    user_title: Option<&'static str>,
    user_msg: Option<&'static str>,
}

impl ApiError {
    fn new(status: u16, code: i64, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            subcode: None,
            kind,
            message: message.into(),
            user_title: None,
            user_msg: None,
        }
    }

    /// `(#100)` parameter errors.
    fn param(message: impl Into<String>) -> ApiError {
        ApiError::new(400, 100, "OAuthException", message)
    }

    fn unsupported(method: &str, id: &str) -> ApiError {
        let mut e = ApiError::new(
            400,
            100,
            "GraphMethodException",
            format!(
                "Unsupported {} request. Object with ID '{}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
                method.to_ascii_lowercase(),
                id
            ),
        );
        e.subcode = Some(33);
        e
    }

    fn into_reply(self, fbtrace_id: String) -> Reply {
        let mut error = Map::new();
        error.insert("message".into(), Value::String(self.message));
        error.insert("type".into(), Value::String(self.kind.to_owned()));
        error.insert("code".into(), self.code.into());
        if let Some(sub) = self.subcode {
            error.insert("error_subcode".into(), sub.into());
        }
        if let Some(t) = self.user_title {
            error.insert("error_user_title".into(), t.into());
        }
        if let Some(m) = self.user_msg {
            error.insert("error_user_msg".into(), m.into());
        }
        error.insert("fbtrace_id".into(), Value::String(fbtrace_id));
        Reply::json(self.status, &json!({ "error": error }))
    }
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

/// What a path looks like: `/{version}/{id}` or `/{version}/{id}/{edge}`.
struct Route<'a> {
    /// Second path segment, used for usage headers and canned matching even if the shape is bad.
    id: Option<&'a str>,
    /// `Some` only when the shape is valid: (version, edge).
    valid: Option<((u32, u32), Option<&'a str>)>,
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Route<'a> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let id = segments.get(1).copied();
        let valid = match segments.as_slice() {
            [version, _id] => parse_version(version).map(|v| (v, None)),
            [version, _id, edge] if EDGES.contains(edge) => {
                parse_version(version).map(|v| (v, Some(*edge)))
            }
            _ => None,
        };
        Route { id, valid }
    }

    /// Endpoint name used to match canned answers.
    fn endpoint(&self, method: &str) -> Option<&'a str> {
        match self.valid? {
            (_, None) if method == "GET" => Some("get"),
            (_, None) => None,
            (_, Some(edge)) => Some(edge),
        }
    }
}

/// `v24.0` -> (24, 0); `v24` -> (24, 0).
fn parse_version(s: &str) -> Option<(u32, u32)> {
    let rest = s.strip_prefix('v')?;
    let (major, minor) = match rest.split_once('.') {
        Some((a, b)) => (a, b),
        None => (rest, "0"),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Splits a `fields` value at top-level commas (`a,b{c,d},e`) and drops sub-selections.
fn split_fields(s: &str) -> Vec<&str> {
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

/// `hex(HMAC-SHA256(key = app_secret, message = token))`.
pub fn appsecret_proof(app_secret: &str, token: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Counts one register/deregister call at `now`; true when it is over the limit.
fn count_register_call(node: &mut Node, now: Instant) -> bool {
    node.register_attempts += 1;
    while let Some(&oldest) = node.register_window.front() {
        if now.saturating_duration_since(oldest) >= REGISTER_WINDOW {
            node.register_window.pop_front();
        } else {
            break;
        }
    }
    node.register_window.push_back(now);
    node.register_window.len() > REGISTER_LIMIT
}

fn bearer_token(request: &RecordedRequest) -> Option<&str> {
    let value = request.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    if (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        && !token.is_empty()
    {
        Some(token)
    } else {
        None
    }
}

fn query_value<'q>(query: &'q [(Cow<'q, str>, Cow<'q, str>)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
}

/// POST parameters: query string, overridden by a JSON or form-encoded body.
fn post_params(
    request: &RecordedRequest,
    query: &[(Cow<'_, str>, Cow<'_, str>)],
) -> Result<Map<String, Value>, ApiError> {
    let mut params = Map::new();
    for (k, v) in query {
        if k != "access_token" && k != "appsecret_proof" {
            params.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    let body = &request.body;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let content_type = request
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let looks_json = content_type.contains("json")
        || (!content_type.contains("form")
            && body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
    if looks_json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => params.extend(map),
            _ => {
                return Err(ApiError::param(
                    "(#100) The request body could not be parsed as a JSON object",
                ))
            }
        }
    } else {
        for (k, v) in form_urlencoded::parse(body) {
            params.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    Ok(params)
}

/// A parameter as a string (numbers are accepted as their decimal text).
fn param_str(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Inner {
    fn next_trace_id(&mut self) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        self.trace_counter += 1;
        let mut x = self.trace_seed ^ self.trace_counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut out = String::with_capacity(23);
        out.push('A');
        for _ in 0..2 {
            // splitmix64
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            for i in 0..11 {
                out.push(ALPHABET[((z >> (i * 6)) & 63) as usize] as char);
            }
        }
        out
    }

    fn answer(&mut self, request: &RecordedRequest) -> Reply {
        let route = Route::parse(&request.path);
        let reply = match self.take_canned(&route, &request.method) {
            Some(canned) => return canned,
            None => self.route(request, &route),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(err) => {
                let trace = self.next_trace_id();
                err.into_reply(trace)
            }
        };
        reply.with_usage(route.id)
    }

    /// Pops (or decrements) the first matching canned answer.
    fn take_canned(&mut self, route: &Route<'_>, method: &str) -> Option<Reply> {
        if self.queue.is_empty() {
            return None;
        }
        let endpoint = route.endpoint(method);
        let index = self.queue.iter().position(|c| {
            c.node.as_deref().is_none_or(|n| Some(n) == route.id)
                && c.endpoint.as_deref().is_none_or(|e| Some(e) == endpoint)
        })?;
        let canned = &mut self.queue[index];
        let mut reply = Reply::raw(canned.status, &canned.content_type, canned.body.clone())
            .with_usage(route.id);
        for (name, value) in &canned.headers {
            reply.set_header(name, value.as_deref());
        }
        reply.delay = canned.delay;
        reply.drip = canned.drip;
        reply.hang_up = canned.hang_up;
        reply.cut_after = canned.cut_after;
        canned.times -= 1;
        if canned.times == 0 {
            self.queue.remove(index);
        }
        Some(reply)
    }

    /// The normal logic: shape, auth, appsecret_proof, node, endpoint.
    fn route(&mut self, request: &RecordedRequest, route: &Route<'_>) -> Result<Reply, ApiError> {
        match request.problem {
            Some(BodyProblem::TooLarge) => {
                return Err(ApiError::new(
                    413,
                    100,
                    "OAuthException",
                    format!("(#100) Request body exceeds the maximum of {MAX_BODY_BYTES} bytes"),
                ))
            }
            Some(BodyProblem::Unreadable) => {
                return Err(ApiError::param("(#100) The request body could not be read"))
            }
            None => {}
        }
        let (Some(id), Some((version, edge))) = (route.id, route.valid) else {
            return Err(ApiError::new(
                404,
                100,
                "OAuthException",
                format!("Unknown path components: {}", request.path),
            ));
        };

        let query: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            form_urlencoded::parse(request.query.as_bytes()).collect();
        let token = bearer_token(request)
            .or_else(|| query_value(&query, "access_token").filter(|t| !t.is_empty()));
        let Some(token) = token else {
            return Err(ApiError::new(
                400,
                2500,
                "OAuthException",
                "An active access token must be used to query information about the current user.",
            ));
        };
        let node_token = self.nodes.get(id).and_then(|n| n.access_token.as_deref());
        if token != self.settings.access_token && node_token != Some(token) {
            return Err(ApiError::new(
                401,
                190,
                "OAuthException",
                "Invalid OAuth access token - Cannot parse access token",
            ));
        }
        if let Some(secret) = &self.settings.app_secret {
            let expected = appsecret_proof(secret, token);
            let given = query_value(&query, "appsecret_proof").unwrap_or("");
            if !given.eq_ignore_ascii_case(&expected) {
                return Err(ApiError::new(
                    400,
                    100,
                    "GraphMethodException",
                    "Invalid appsecret_proof provided in the API argument",
                ));
            }
        }

        let method = request.method.as_str();
        let Some(node) = self.nodes.get_mut(id) else {
            return Err(ApiError::unsupported(method, id));
        };
        match (edge, method, node.kind) {
            (None, "GET", kind) => get_node(node, kind, id, version, &query),
            (Some("register"), "POST", Kind::Phone) => {
                if count_register_call(node, Instant::now()) {
                    return Err(rate_limited());
                }
                let params = post_params(request, &query)?;
                register(node, &params)
            }
            (Some("deregister"), "POST", Kind::Phone) => {
                if count_register_call(node, Instant::now()) {
                    return Err(rate_limited());
                }
                deregister(node);
                Ok(Reply::success())
            }
            (Some("subscribed_apps"), "GET", Kind::Waba) => {
                let data: Vec<Value> = node
                    .subscriptions
                    .iter()
                    .map(|s| match &s.override_callback_uri {
                        Some(uri) => json!({ "override_callback_uri": uri }),
                        None => json!({}),
                    })
                    .collect();
                Ok(Reply::json(200, &json!({ "data": data })))
            }
            (Some("subscribed_apps"), "POST", Kind::Waba) => {
                let params = post_params(request, &query)?;
                subscribe(node, &params)
            }
            (Some("subscribed_apps"), "DELETE", Kind::Waba) => {
                node.subscriptions.clear();
                Ok(Reply::success())
            }
            _ => Err(ApiError::unsupported(method, id)),
        }
    }
}

fn rate_limited() -> ApiError {
    ApiError::new(
        400,
        133016,
        "OAuthException",
        "Account register deregister rate limit exceeded",
    )
}

fn get_node(
    node: &Node,
    kind: Kind,
    id: &str,
    version: (u32, u32),
    query: &[(Cow<'_, str>, Cow<'_, str>)],
) -> Result<Reply, ApiError> {
    let requested: Vec<&str> = match query_value(query, "fields") {
        Some(f) if !f.trim().is_empty() => split_fields(f),
        _ => match kind {
            Kind::Phone => vec!["display_phone_number", "verified_name"],
            Kind::Waba => vec!["name"],
        },
    };
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_owned()));
    for field in requested {
        if !field_known(kind, field, version) {
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

fn register(node: &mut Node, params: &Map<String, Value>) -> Result<Reply, ApiError> {
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

fn deregister(node: &mut Node) {
    node.fields.insert(
        "platform_type".into(),
        Value::String("NOT_APPLICABLE".into()),
    );
    node.fields
        .insert("throughput".into(), json!({ "level": "NOT_APPLICABLE" }));
    node.fields
        .insert("status".into(), Value::String("DISCONNECTED".into()));
}

fn subscribe(node: &mut Node, params: &Map<String, Value>) -> Result<Reply, ApiError> {
    let uri = match params.get("override_callback_uri") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::param(
                "(#100) Param override_callback_uri must be a string",
            ))
        }
    };
    let verify_token = param_str(params, "verify_token").filter(|t| !t.is_empty());
    if uri.is_some() && verify_token.is_none() {
        return Err(ApiError::param(
            "(#100) The parameter verify_token is required",
        ));
    }
    node.subscriptions.push(Subscription {
        override_callback_uri: uri,
        verify_token,
    });
    Ok(Reply::success())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "test-token";

    fn fixture() -> SharedState {
        let st = SharedState::new();
        st.upsert_node(
            "1001",
            &json!({
                "kind": "phone",
                "fields": {
                    "display_phone_number": "+1 555-0100",
                    "verified_name": "Acme",
                    "quality_rating": "GREEN",
                    "status": "PENDING",
                    "code_verification_status": "VERIFIED",
                    "platform_type": "NOT_APPLICABLE",
                    "throughput": {"level": "NOT_APPLICABLE"},
                    "whatsapp_business_manager_messaging_limit": "TIER_2K",
                    "name_status": null
                }
            }),
        )
        .unwrap();
        st.upsert_node(
            "2001",
            &json!({
                "kind": "waba",
                "access_token": "waba-token",
                "fields": {"name": "Acme WABA", "owner_business_info": {"id": "9", "name": "Acme Inc"}}
            }),
        )
        .unwrap();
        st
    }

    /// Runs one request through the same path the server uses (minus the sleeps).
    fn call(
        st: &SharedState,
        method: &str,
        target: &str,
        auth: Option<&str>,
        content_type: Option<&str>,
        body: &str,
    ) -> Reply {
        let _in_flight = st.begin();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers = vec![("host".to_owned(), "127.0.0.1".to_owned())];
        if let Some(token) = auth {
            headers.push(("authorization".to_owned(), format!("Bearer {token}")));
        }
        if let Some(ct) = content_type {
            headers.push(("content-type".to_owned(), ct.to_owned()));
        }
        let request = RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: Bytes::from(body.to_owned()),
            problem: None,
            connection: 0,
        };
        match st.admit(request) {
            Step::Reply(reply) => reply,
            Step::Wait(_, request) => st.answer(&request),
        }
    }

    fn get(st: &SharedState, target: &str) -> Reply {
        call(st, "GET", target, Some(TOKEN), None, "")
    }

    fn post_json(st: &SharedState, target: &str, body: Value) -> Reply {
        call(
            st,
            "POST",
            target,
            Some(TOKEN),
            Some("application/json"),
            &body.to_string(),
        )
    }

    fn body(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).expect("JSON body")
    }

    /// (status, code, subcode) of an error reply, checking the envelope basics.
    fn error(reply: &Reply) -> (u16, i64, Option<i64>) {
        let v = body(reply);
        let e = &v["error"];
        assert!(e["message"].is_string(), "{v}");
        assert!(e["type"].is_string(), "{v}");
        assert!(
            e["fbtrace_id"].as_str().is_some_and(|t| t.len() > 10),
            "{v}"
        );
        (
            reply.status,
            e["code"].as_i64().unwrap(),
            e["error_subcode"].as_i64(),
        )
    }

    fn message(reply: &Reply) -> String {
        body(reply)["error"]["message"].as_str().unwrap().to_owned()
    }

    #[test]
    fn field_selection() {
        let st = fixture();
        let r = get(&st, "/v24.0/1001?fields=id,quality_rating,verified_name");
        assert_eq!(r.status, 200);
        assert_eq!(
            body(&r),
            json!({"id": "1001", "quality_rating": "GREEN", "verified_name": "Acme"})
        );
        // Known fields without a value (or with null) are absent.
        let r = get(
            &st,
            "/v24.0/1001?fields=certificate,name_status,quality_rating",
        );
        assert_eq!(body(&r), json!({"id": "1001", "quality_rating": "GREEN"}));
        // Defaults.
        let r = get(&st, "/v22.0/1001");
        assert_eq!(
            body(&r),
            json!({"id": "1001", "display_phone_number": "+1 555-0100", "verified_name": "Acme"})
        );
        let r = get(&st, "/v22.0/2001");
        assert_eq!(body(&r), json!({"id": "2001", "name": "Acme WABA"}));
        let r = get(&st, "/v22.0/2001?fields=owner_business_info");
        assert_eq!(body(&r)["owner_business_info"]["name"], "Acme Inc");
        // Sub-selections and blanks are tolerated.
        let r = get(
            &st,
            "/v24.0/2001?fields=owner_business_info%7Bid%2Cname%7D,%20name,",
        );
        assert_eq!(r.status, 200);
        assert_eq!(body(&r)["name"], "Acme WABA");
        assert_eq!(r.header("content-type"), Some(JSON_CONTENT_TYPE));
    }

    #[test]
    fn unknown_and_version_gated_fields() {
        let st = fixture();
        let r = get(&st, "/v24.0/1001?fields=id,bogus");
        assert_eq!(error(&r), (400, 100, None));
        assert_eq!(
            message(&r),
            "(#100) Tried accessing nonexisting field (bogus) on node type (WhatsAppBusinessPhoneNumber)"
        );
        let r = get(&st, "/v24.0/2001?fields=quality_rating");
        assert_eq!(
            message(&r),
            "(#100) Tried accessing nonexisting field (quality_rating) on node type (WhatsAppBusinessAccount)"
        );
        for field in [
            "whatsapp_business_manager_messaging_limit",
            "status",
            "is_on_biz_app",
        ] {
            let r = get(&st, &format!("/v23.0/1001?fields={field}"));
            assert_eq!(error(&r), (400, 100, None), "{field}");
            assert!(message(&r).contains(field));
            let r = get(&st, &format!("/v24.0/1001?fields={field}"));
            assert_eq!(r.status, 200, "{field}");
        }
        let r = get(&st, "/v25.0/1001?fields=status");
        assert_eq!(body(&r)["status"], "PENDING");
        let r = get(
            &st,
            "/v24.0/1001?fields=whatsapp_business_manager_messaging_limit",
        );
        assert_eq!(
            body(&r)["whatsapp_business_manager_messaging_limit"],
            "TIER_2K"
        );
    }

    #[test]
    fn unknown_nodes_and_paths() {
        let st = fixture();
        let r = get(&st, "/v24.0/999?fields=id");
        assert_eq!(error(&r), (400, 100, Some(33)));
        assert_eq!(
            message(&r),
            "Unsupported get request. Object with ID '999' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        );
        // Wrong kind for the edge.
        let r = post_json(
            &st,
            "/v24.0/2001/register",
            json!({"messaging_product": "whatsapp", "pin": "123456"}),
        );
        assert_eq!(error(&r), (400, 100, Some(33)));
        assert!(message(&r).starts_with("Unsupported post request. Object with ID '2001'"));
        let r = post_json(&st, "/v24.0/1001/subscribed_apps", json!({}));
        assert_eq!(error(&r), (400, 100, Some(33)));
        let r = get(&st, "/v24.0/1001/register");
        assert_eq!(error(&r), (400, 100, Some(33)));
        assert!(message(&r).starts_with("Unsupported get request"));
        for path in [
            "/",
            "/v24.0",
            "/v24.0/1001/messages",
            "/latest/1001",
            "/v24.0/1001/register/x",
        ] {
            let r = get(&st, path);
            assert_eq!(error(&r), (404, 100, None), "{path}");
        }
    }

    #[test]
    fn auth() {
        let st = fixture();
        let r = call(&st, "GET", "/v24.0/1001", None, None, "");
        assert_eq!(error(&r), (400, 2500, None));
        assert_eq!(body(&r)["error"]["type"], "OAuthException");
        assert_eq!(
            message(&r),
            "An active access token must be used to query information about the current user."
        );
        let r = call(
            &st,
            "GET",
            "/v24.0/1001",
            Some("wrong-secret-token"),
            None,
            "",
        );
        assert_eq!(error(&r), (401, 190, None));
        assert_eq!(
            message(&r),
            "Invalid OAuth access token - Cannot parse access token"
        );
        assert!(!String::from_utf8_lossy(&r.body).contains("wrong-secret-token"));
        // Node token: accepted on its node only.
        let r = call(&st, "GET", "/v24.0/2001", Some("waba-token"), None, "");
        assert_eq!(r.status, 200);
        let r = call(&st, "GET", "/v24.0/1001", Some("waba-token"), None, "");
        assert_eq!(error(&r), (401, 190, None));
        // Old clients: access_token in the query.
        let r = call(
            &st,
            "GET",
            "/v24.0/1001?access_token=test-token",
            None,
            None,
            "",
        );
        assert_eq!(r.status, 200);
        let r = call(&st, "GET", "/v24.0/1001?access_token=nope", None, None, "");
        assert_eq!(r.status, 401);
        // Configured default token.
        st.configure(&json!({"access_token": "other"})).unwrap();
        assert_eq!(get(&st, "/v24.0/1001").status, 401);
        assert_eq!(
            call(&st, "GET", "/v24.0/1001", Some("other"), None, "").status,
            200
        );
    }

    #[test]
    fn appsecret_proof_checked() {
        let st = fixture();
        st.configure(&json!({"app_secret": "s3cret"})).unwrap();
        let proof = appsecret_proof("s3cret", TOKEN);
        assert_eq!(proof.len(), 64);
        let r = get(
            &st,
            &format!("/v24.0/1001?fields=id&appsecret_proof={proof}"),
        );
        assert_eq!(r.status, 200);
        for bad in ["", "&appsecret_proof=abc", "&appsecret_proof=0000"] {
            let r = get(&st, &format!("/v24.0/1001?fields=id{bad}"));
            assert_eq!(error(&r), (400, 100, None));
            assert_eq!(
                message(&r),
                "Invalid appsecret_proof provided in the API argument"
            );
        }
        // The proof is per token.
        let waba_proof = appsecret_proof("s3cret", "waba-token");
        let r = call(
            &st,
            "GET",
            &format!("/v24.0/2001?appsecret_proof={waba_proof}"),
            Some("waba-token"),
            None,
            "",
        );
        assert_eq!(r.status, 200);
        let r = call(
            &st,
            "GET",
            &format!("/v24.0/2001?appsecret_proof={proof}"),
            Some("waba-token"),
            None,
            "",
        );
        assert_eq!(r.status, 400);
        st.configure(&json!({"app_secret": null})).unwrap();
        assert_eq!(get(&st, "/v24.0/1001").status, 200);
    }

    #[test]
    fn appsecret_proof_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            appsecret_proof("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn register_success_side_effects() {
        let st = fixture();
        let r = post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "whatsapp", "pin": "123456", "data_localization_region": "DE"}),
        );
        assert_eq!(r.status, 200);
        assert_eq!(body(&r), json!({"success": true}));
        let node = st.node("1001").unwrap();
        assert_eq!(node["pin"], "123456");
        assert_eq!(node["register_attempts"], 1);
        assert_eq!(node["fields"]["platform_type"], "CLOUD_API");
        assert_eq!(node["fields"]["throughput"], json!({"level": "STANDARD"}));
        assert_eq!(node["fields"]["status"], "CONNECTED");
        assert_eq!(node["fields"]["code_verification_status"], "VERIFIED");
        // A HIGH throughput is kept; form bodies work too.
        let mut fields = node["fields"].clone();
        fields["throughput"] = json!({"level": "HIGH"});
        st.upsert_node(
            "1001",
            &json!({"kind": "phone", "fields": fields, "pin": "123456"}),
        )
        .unwrap();
        let r = call(
            &st,
            "POST",
            "/v24.0/1001/register",
            Some(TOKEN),
            Some("application/x-www-form-urlencoded"),
            "messaging_product=whatsapp&pin=123456",
        );
        assert_eq!(r.status, 200, "{:?}", body(&r));
        let node = st.node("1001").unwrap();
        assert_eq!(node["fields"]["throughput"], json!({"level": "HIGH"}));
        // Upsert kept the register history.
        assert_eq!(node["register_attempts"], 2);
    }

    #[test]
    fn register_parameter_validation() {
        let st = fixture();
        let r = post_json(&st, "/v24.0/1001/register", json!({"pin": "123456"}));
        assert_eq!(error(&r), (400, 100, None));
        assert_eq!(
            message(&r),
            "(#100) The parameter messaging_product is required."
        );
        let r = post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "sms", "pin": "123456"}),
        );
        assert_eq!(
            message(&r),
            "(#100) The parameter messaging_product is required."
        );
        for pin in [
            json!("12345"),
            json!("1234567"),
            json!("12345a"),
            json!("１２３４５６"),
            json!(true),
        ] {
            let r = post_json(
                &st,
                "/v24.0/1001/register",
                json!({"messaging_product": "whatsapp", "pin": pin}),
            );
            assert_eq!(error(&r), (400, 100, None), "{pin}");
        }
        let r = post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "whatsapp", "pin": "12345"}),
        );
        assert_eq!(message(&r), "(#100) Param pin must be 6 characters long.");
        let r = post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "whatsapp"}),
        );
        assert_eq!(error(&r), (400, 100, None));
        let r = call(
            &st,
            "POST",
            "/v24.0/1001/register",
            Some(TOKEN),
            Some("application/json"),
            "{not json",
        );
        assert_eq!(error(&r), (400, 100, None));
        // Nothing changed, but every call counted.
        let node = st.node("1001").unwrap();
        assert_eq!(node["pin"], Value::Null);
        assert_eq!(node["fields"]["status"], "PENDING");
        assert_eq!(node["register_attempts"], 10);
        // Calls refused before the node check do not count.
        call(&st, "POST", "/v24.0/1001/register", None, None, "");
        call(&st, "POST", "/v24.0/1001/register", Some("bad"), None, "");
        assert_eq!(st.node("1001").unwrap()["register_attempts"], 10);
    }

    #[test]
    fn display_name_not_ready_gives_2388001() {
        let st = fixture();
        st.upsert_node(
            "1002",
            &json!({"kind": "phone", "display_name_ready": false}),
        )
        .unwrap();
        let r = post_json(
            &st,
            "/v24.0/1002/register",
            json!({"messaging_product": "whatsapp", "pin": "123456"}),
        );
        assert_eq!(error(&r), (400, 100, Some(2_388_001)));
        let e = &body(&r)["error"];
        assert_eq!(e["type"], "OAuthException");
        assert_eq!(e["error_user_title"], "Cannot Create Certificate");
        assert_eq!(
            e["error_user_msg"],
            "Your display name could not be processed. Please edit your display name and try again."
        );
        assert_eq!(st.node("1002").unwrap()["pin"], Value::Null);
    }

    #[test]
    fn pin_mismatch_gives_133005() {
        let st = fixture();
        st.upsert_node("1003", &json!({"kind": "phone", "pin": "111111"}))
            .unwrap();
        let r = post_json(
            &st,
            "/v24.0/1003/register",
            json!({"messaging_product": "whatsapp", "pin": "222222"}),
        );
        assert_eq!(error(&r), (400, 133005, None));
        assert_eq!(message(&r), "Two step verification PIN Mismatch");
        let r = post_json(
            &st,
            "/v24.0/1003/register",
            json!({"messaging_product": "whatsapp", "pin": "111111"}),
        );
        assert_eq!(r.status, 200);
    }

    #[test]
    fn eleventh_register_in_72h_gives_133016() {
        let st = fixture();
        for i in 0..10 {
            let target = if i % 2 == 0 {
                "/v24.0/1001/register"
            } else {
                "/v24.0/1001/deregister"
            };
            let r = post_json(
                &st,
                target,
                json!({"messaging_product": "whatsapp", "pin": "123456"}),
            );
            assert_eq!(r.status, 200, "call {i}");
        }
        for _ in 0..2 {
            let r = post_json(
                &st,
                "/v24.0/1001/register",
                json!({"messaging_product": "whatsapp", "pin": "123456"}),
            );
            assert_eq!(error(&r), (400, 133016, None));
            assert_eq!(
                message(&r),
                "Account register deregister rate limit exceeded"
            );
            assert_eq!(body(&r)["error"]["type"], "OAuthException");
        }
        let r = post_json(&st, "/v24.0/1001/deregister", json!({}));
        assert_eq!(error(&r), (400, 133016, None));
        assert_eq!(st.node("1001").unwrap()["register_attempts"], 13);
        // Other numbers are unaffected.
        st.upsert_node("1004", &json!({"kind": "phone"})).unwrap();
        let r = post_json(
            &st,
            "/v24.0/1004/register",
            json!({"messaging_product": "whatsapp", "pin": "123456"}),
        );
        assert_eq!(r.status, 200);
    }

    #[test]
    fn register_window_moves() {
        let mut node = Node {
            kind: Kind::Phone,
            access_token: None,
            fields: Map::new(),
            pin: None,
            display_name_ready: true,
            register_attempts: 0,
            register_window: VecDeque::new(),
            subscriptions: Vec::new(),
        };
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(!count_register_call(
                &mut node,
                t0 + Duration::from_secs(i * 3600)
            ));
        }
        assert!(count_register_call(
            &mut node,
            t0 + Duration::from_secs(71 * 3600)
        ));
        // 72 h after the first call, the first one has left the window, but the refused call
        // (at 71 h) still counts.
        assert!(count_register_call(
            &mut node,
            t0 + Duration::from_secs(72 * 3600)
        ));
        // Once the early calls have aged out, calls go through again.
        assert!(!count_register_call(
            &mut node,
            t0 + Duration::from_secs(81 * 3600)
        ));
        assert_eq!(node.register_attempts, 13);
    }

    #[test]
    fn deregister() {
        let st = fixture();
        post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "whatsapp", "pin": "123456"}),
        );
        let r = call(&st, "POST", "/v24.0/1001/deregister", Some(TOKEN), None, "");
        assert_eq!(r.status, 200);
        assert_eq!(body(&r), json!({"success": true}));
        let node = st.node("1001").unwrap();
        assert_eq!(node["fields"]["platform_type"], "NOT_APPLICABLE");
        assert_eq!(
            node["fields"]["throughput"],
            json!({"level": "NOT_APPLICABLE"})
        );
        assert_eq!(node["fields"]["status"], "DISCONNECTED");
        assert_eq!(node["pin"], "123456");
        assert_eq!(node["register_attempts"], 2);
        let r = get(&st, "/v24.0/1001?fields=status,platform_type,throughput");
        assert_eq!(body(&r)["status"], "DISCONNECTED");
    }

    #[test]
    fn subscribed_apps() {
        let st = fixture();
        let r = post_json(
            &st,
            "/v24.0/2001/subscribed_apps",
            json!({"override_callback_uri": "https://example.test/hook"}),
        );
        assert_eq!(error(&r), (400, 100, None));
        assert_eq!(message(&r), "(#100) The parameter verify_token is required");
        let r = post_json(
            &st,
            "/v24.0/2001/subscribed_apps",
            json!({"override_callback_uri": "https://example.test/hook", "verify_token": "vt-secret"}),
        );
        assert_eq!(r.status, 200);
        assert_eq!(body(&r), json!({"success": true}));
        let r = call(
            &st,
            "POST",
            "/v24.0/2001/subscribed_apps",
            Some(TOKEN),
            None,
            "",
        );
        assert_eq!(r.status, 200);
        let r = get(&st, "/v24.0/2001/subscribed_apps");
        assert_eq!(r.status, 200);
        assert_eq!(
            body(&r),
            json!({"data": [{"override_callback_uri": "https://example.test/hook"}, {}]})
        );
        assert!(!String::from_utf8_lossy(&r.body).contains("vt-secret"));
        let node = st.node("2001").unwrap();
        assert_eq!(
            node["subscriptions"],
            json!([
                {"override_callback_uri": "https://example.test/hook", "verify_token": "vt-secret"},
                {"override_callback_uri": null, "verify_token": null}
            ])
        );
        let r = call(
            &st,
            "DELETE",
            "/v24.0/2001/subscribed_apps",
            Some(TOKEN),
            None,
            "",
        );
        assert_eq!(r.status, 200);
        assert_eq!(st.node("2001").unwrap()["subscriptions"], json!([]));
    }

    #[test]
    fn usage_headers_on_every_answer() {
        let st = fixture();
        for r in [
            get(&st, "/v24.0/1001?fields=id"),
            get(&st, "/v24.0/1001?fields=nope"),
            call(&st, "GET", "/v24.0/1001", None, None, ""),
        ] {
            assert_eq!(r.header("x-app-usage"), Some(APP_USAGE));
            let buc: Value =
                serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
            assert_eq!(buc["1001"][0]["type"], "whatsapp_business_management");
            assert_eq!(buc["1001"][0]["estimated_time_to_regain_access"], 0);
            assert_eq!(r.header("content-type"), Some(JSON_CONTENT_TYPE));
        }
    }

    #[test]
    fn trace_ids_differ() {
        let st = fixture();
        let a = body(&get(&st, "/v24.0/999"))["error"]["fbtrace_id"].clone();
        let b = body(&get(&st, "/v24.0/999"))["error"]["fbtrace_id"].clone();
        assert_ne!(a, b);
    }

    #[test]
    fn queued_answers() {
        let st = fixture();
        st.enqueue(&json!({"node": "2001", "status": 500, "body": {"error": {"code": 1}}}))
            .unwrap();
        st.enqueue(&json!({"endpoint": "register", "status": 503, "body": {"error": {"code": 133004}}, "times": 2}))
            .unwrap();
        st.enqueue(&json!({"node": "1001", "endpoint": "get", "status": 502, "body": "<html>bad gateway</html>", "content_type": "text/html"}))
            .unwrap();
        // GET 1001 -> third entry (the first two do not match).
        let r = get(&st, "/v24.0/1001?fields=id");
        assert_eq!(r.status, 502);
        assert_eq!(&r.body[..], b"<html>bad gateway</html>");
        assert_eq!(r.header("content-type"), Some("text/html"));
        assert_eq!(r.header("x-app-usage"), Some(APP_USAGE));
        // Used up.
        assert_eq!(get(&st, "/v24.0/1001?fields=id").status, 200);
        // register twice, even without a token: canned answers replace all normal logic.
        for _ in 0..2 {
            let r = call(&st, "POST", "/v24.0/1001/register", None, None, "");
            assert_eq!(r.status, 503);
            assert_eq!(body(&r)["error"]["code"], 133004);
        }
        assert_eq!(st.node("1001").unwrap()["register_attempts"], 0);
        let r = post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "whatsapp", "pin": "123456"}),
        );
        assert_eq!(r.status, 200);
        // Node-only entry matches any endpoint of that node.
        let r = get(&st, "/v24.0/2001/subscribed_apps");
        assert_eq!(r.status, 500);
        assert_eq!(r.header("content-type"), Some(JSON_CONTENT_TYPE));
        // Raw string defaults to text/plain; headers override and remove defaults.
        st.enqueue(&json!({
            "status": 429,
            "body": "",
            "headers": {"X-App-Usage": "{\"call_count\":100}", "X-Business-Use-Case-Usage": null, "Retry-After": "5"},
            "delay_ms": 15
        }))
        .unwrap();
        let r = get(&st, "/v24.0/1001");
        assert_eq!(r.status, 429);
        assert!(r.body.is_empty());
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("x-app-usage"), Some("{\"call_count\":100}"));
        assert_eq!(r.header("x-business-use-case-usage"), None);
        assert_eq!(r.header("retry-after"), Some("5"));
        assert_eq!(r.delay, Duration::from_millis(15));
        // clear_queue.
        st.enqueue(&json!({"status": 500, "times": 5})).unwrap();
        st.clear_queue();
        assert_eq!(get(&st, "/v24.0/1001").status, 200);
    }

    #[test]
    fn malformed_arguments_are_refused() {
        let st = SharedState::new();
        assert!(st.configure(&json!([])).is_err());
        assert!(st.configure(&json!({"latency_ms": -1})).is_err());
        assert!(st
            .configure(&json!({"latency": 5}))
            .unwrap_err()
            .contains("latency"));
        assert!(st.configure(&json!({"app_secret": 5})).is_err());
        assert!(st
            .upsert_node("1", &json!({"fields": {}}))
            .unwrap_err()
            .contains("kind"));
        assert!(st.upsert_node("1", &json!({"kind": "user"})).is_err());
        assert!(st
            .upsert_node("1", &json!({"kind": "phone", "fields": []}))
            .is_err());
        assert!(st
            .upsert_node("1", &json!({"kind": "phone", "typo": 1}))
            .is_err());
        assert!(st.upsert_node("", &json!({"kind": "phone"})).is_err());
        assert!(st.enqueue(&json!({"status": 1000})).is_err());
        assert!(st.enqueue(&json!({"endpoint": "messages"})).is_err());
        assert!(st.enqueue(&json!({"times": 0})).is_err());
        assert!(st.enqueue(&json!({"headers": {"bad name": "x"}})).is_err());
        assert!(st
            .enqueue(&json!({"headers": {"x-a": "line\nbreak"}}))
            .is_err());
        assert!(st.enqueue(&json!("x")).is_err());
        assert!(st.node("1").is_none());
        // node() round-trips through upsert_node().
        st.upsert_node("1", &json!({"kind": "waba", "fields": {"name": "n"}}))
            .unwrap();
        let node = st.node("1").unwrap();
        st.upsert_node("1", &node).unwrap();
        assert_eq!(st.node("1").unwrap(), node);
    }

    #[test]
    fn raw_dripped_and_hang_up_answers_are_parsed() {
        let st = fixture();
        st.enqueue(&json!({"body_base64": "/w==", "drip_ms": 1000, "times": 2}))
            .unwrap();
        st.enqueue(&json!({"body": "xy", "chunk_bytes": 64}))
            .unwrap();
        st.enqueue(&json!({"hang_up": true, "delay_ms": 5}))
            .unwrap();
        st.enqueue(&json!({"body": "abc", "cut_after_bytes": 1}))
            .unwrap();
        for _ in 0..2 {
            let r = get(&st, "/v24.0/1001");
            assert_eq!(&r.body[..], b"\xff");
            assert_eq!(
                r.drip,
                Some(Drip {
                    interval: Duration::from_secs(1),
                    chunk: 1
                })
            );
            assert!(!r.hang_up);
        }
        let r = get(&st, "/v24.0/1001");
        assert_eq!(
            r.drip,
            Some(Drip {
                interval: Duration::ZERO,
                chunk: 64
            })
        );
        let r = get(&st, "/v24.0/1001");
        assert!(r.hang_up);
        assert_eq!(r.delay, Duration::from_millis(5));
        let r = get(&st, "/v24.0/1001");
        assert_eq!((r.cut_after, &r.body[..]), (Some(1), &b"abc"[..]));
        // The normal logic never drips or hangs up.
        let r = get(&st, "/v24.0/1001");
        assert_eq!((r.status, r.drip, r.hang_up), (200, None, false));
        for bad in [
            json!({"body_base64": "@@"}),
            json!({"body_base64": 5}),
            json!({"body": "x", "body_base64": "eA=="}),
            json!({"drip_ms": -1}),
            json!({"chunk_bytes": 0}),
            json!({"hang_up": "yes"}),
            json!({"cut_after_bytes": -1}),
        ] {
            assert!(st.enqueue(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_log_is_a_ring_buffer() {
        let st = fixture();
        st.configure(&json!({"max_recorded_requests": 3})).unwrap();
        for i in 0..5 {
            call(
                &st,
                "POST",
                &format!("/v24.0/1001/deregister?n={i}"),
                Some(TOKEN),
                Some("text/plain"),
                &format!("body {i}"),
            );
        }
        let log = st.requests();
        let log = log.as_array().unwrap();
        assert_eq!(log.len(), 3);
        assert_eq!(log[0]["query"], "n=2");
        assert_eq!(log[2]["query"], "n=4");
        assert_eq!(log[2]["method"], "POST");
        assert_eq!(log[2]["path"], "/v24.0/1001/deregister");
        assert_eq!(log[2]["body"], "body 4");
        assert_eq!(log[2]["headers"]["authorization"], "Bearer test-token");
        assert_eq!(log[2]["headers"]["content-type"], "text/plain");
        get(&st, "/v24.0/1001");
        assert_eq!(st.requests()[2]["query"], "");
        st.configure(&json!({"max_recorded_requests": 1})).unwrap();
        assert_eq!(st.requests().as_array().unwrap().len(), 1);
        st.configure(&json!({"max_recorded_requests": 0})).unwrap();
        assert_eq!(st.requests(), json!([]));
        get(&st, "/v24.0/1001");
        assert_eq!(st.requests(), json!([]));
        st.configure(&json!({"max_recorded_requests": 10})).unwrap();
        get(&st, "/v24.0/1001");
        assert_eq!(st.requests().as_array().unwrap().len(), 1);
        st.clear_requests();
        assert_eq!(st.requests(), json!([]));
    }

    #[test]
    fn stats_and_reset() {
        let st = fixture();
        for _ in 0..4 {
            get(&st, "/v24.0/1001");
        }
        assert_eq!(
            st.stats(),
            json!({"request_count": 4, "in_flight": 0, "max_in_flight": 1})
        );
        let guard = st.begin();
        let guard2 = st.begin();
        assert_eq!(st.stats()["in_flight"], 2);
        assert_eq!(st.stats()["max_in_flight"], 2);
        drop(guard);
        st.reset_stats();
        assert_eq!(
            st.stats(),
            json!({"request_count": 0, "in_flight": 1, "max_in_flight": 1})
        );
        drop(guard2);
        st.configure(&json!({"latency_ms": 5})).unwrap();
        st.enqueue(&json!({"status": 500})).unwrap();
        st.reset();
        assert_eq!(
            st.stats(),
            json!({"request_count": 0, "in_flight": 0, "max_in_flight": 0})
        );
        assert!(st.node("1001").is_none());
        assert_eq!(st.requests(), json!([]));
        assert_eq!(get(&st, "/v24.0/1001").status, 400);
        // Settings survive reset (latency is still set: admit asks to wait).
        let _g = st.begin();
        let request = RecordedRequest {
            method: "GET".into(),
            path: "/v24.0/1001".into(),
            query: String::new(),
            headers: vec![],
            body: Bytes::new(),
            problem: None,
            connection: 0,
        };
        assert!(matches!(st.admit(request), Step::Wait(d, _) if d == Duration::from_millis(5)));
    }

    #[test]
    fn field_splitting() {
        assert_eq!(split_fields("a,b{c,d},e"), vec!["a", "b", "e"]);
        assert_eq!(split_fields(" a , ,b.limit(2)"), vec!["a", "b"]);
        assert_eq!(parse_version("v24.0"), Some((24, 0)));
        assert_eq!(parse_version("v9"), Some((9, 0)));
        assert_eq!(parse_version("24.0"), None);
        assert_eq!(parse_version("v24.x"), None);
    }
}
