//! The fake's state behind one lock, and the API its owner programs it with: settings, nodes,
//! canned answers, the request log and stats. The server only calls [`SharedState::admit`] and
//! [`SharedState::answer`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::canned::CannedQueue;
use crate::error::TraceIds;
use crate::graph::Node;
use crate::options::{parse, CannedSpec, NodeSpec, SettingsPatch};
use crate::record::{InFlight, RecordedRequest, Recorder};
use crate::reply::Reply;

/// Request bodies larger than this are answered with 413.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// Handle on the fake's state; cheap to clone, shared by the server and its owner.
#[derive(Clone)]
pub struct SharedState {
    inner: Arc<Mutex<Inner>>,
}

pub(crate) struct Inner {
    pub(crate) settings: Settings,
    pub(crate) nodes: HashMap<String, Node>,
    pub(crate) queue: CannedQueue,
    pub(crate) recorder: Recorder,
    pub(crate) traces: TraceIds,
}

#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) access_token: String,
    pub(crate) app_secret: Option<String>,
    pub(crate) latency: Duration,
    pub(crate) max_recorded: usize,
    /// Answer 411 to a POST with neither Content-Length nor Transfer-Encoding.
    pub(crate) require_content_length: bool,
    /// The app's callback URL (`application` in a phone's `webhook_configuration`); `None`: the
    /// phone's stored field says.
    pub(crate) app_callback_url: Option<String>,
    /// The app as `GET /{waba}/subscribed_apps` shows it.
    pub(crate) app_id: String,
    pub(crate) app_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token: "test-token".to_owned(),
            app_secret: None,
            latency: Duration::ZERO,
            max_recorded: 10_000,
            require_content_length: true,
            app_callback_url: None,
            // The app of Meta's example in spec/fixtures/meta/subscribed_apps_get_with_waba_override.json.
            app_id: "670843887433847".to_owned(),
            app_name: "Lucky Shrub".to_owned(),
        }
    }
}

/// Result of [`SharedState::admit`].
pub(crate) enum Step {
    /// Answer right away.
    Reply(Reply),
    /// Sleep for the configured latency, then call [`SharedState::answer`].
    Wait(Duration, Arc<RecordedRequest>),
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
        SharedState {
            inner: Arc::new(Mutex::new(Inner {
                settings: Settings::default(),
                nodes: HashMap::new(),
                queue: CannedQueue::default(),
                recorder: Recorder::default(),
                traces: TraceIds::new(),
            })),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters for a test fake; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies settings `{"access_token", "app_secret" (null: none), "latency_ms",
    /// "max_recorded_requests", "require_content_length" (default true: 411 for a POST without
    /// a length), "app_callback_url" (null: none), "app_id", "app_name"}`; every member is
    /// optional, unknown members are refused.
    pub fn configure(&self, settings: &Value) -> Result<(), String> {
        let patch: SettingsPatch = parse("settings", settings)?;
        let mut inner = self.lock();
        patch.apply(&mut inner.settings);
        let max = inner.settings.max_recorded;
        inner.recorder.trim(max);
        Ok(())
    }

    /// Creates or replaces a node `{"kind": "phone"|"waba", "access_token", "fields", "pin",
    /// "display_name_ready", "waba_id" (a phone's WABA), "business_profile" (a phone's; null:
    /// empty), "webhook_override" (a phone's {"override_callback_uri", "verify_token"}; null:
    /// none), "subscriptions" (a WABA's: [] or [{"override_callback_uri", "verify_token",
    /// "subscribed_fields"}])}`. Replacing keeps the register history, and the override and
    /// subscription when those members are left out.
    pub fn upsert_node(&self, id: &str, node: &Value) -> Result<(), String> {
        if id.is_empty() || id.contains('/') {
            return Err(format!(
                "node id {id:?} must be non-empty and contain no '/'"
            ));
        }
        let spec: NodeSpec = parse("node", node)?;
        let mut inner = self.lock();
        let node = inner
            .nodes
            .entry(id.to_owned())
            .or_insert_with(|| Node::new(spec.kind));
        spec.apply(node)
    }

    /// The node as JSON (upsert shape plus `register_attempts`).
    pub fn node(&self, id: &str) -> Option<Value> {
        self.lock().nodes.get(id).map(Node::to_json)
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
        let canned = parse::<CannedSpec>("response", response)?.into_canned()?;
        self.lock().queue.push(canned);
        Ok(())
    }

    /// Drops every queued canned answer.
    pub fn clear_queue(&self) {
        self.lock().queue.clear();
    }

    /// The request log, oldest first: `[{"method", "path", "query", "headers", "body",
    /// "connection"}]`.
    pub fn requests(&self) -> Value {
        // Clone the Arcs under the lock, build the JSON outside it.
        let log: Vec<Arc<RecordedRequest>> = self.lock().recorder.log().cloned().collect();
        Value::Array(log.iter().map(|r| r.to_json()).collect())
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.lock().recorder.clear_log();
    }

    /// `{"request_count", "in_flight", "max_in_flight", "connections"}` (`connections`: accepted
    /// since the last reset, counted before any TLS handshake, whether or not they carried a request).
    pub fn stats(&self) -> Value {
        self.lock().recorder.stats()
    }

    /// Zeroes `request_count` and `connections`; `max_in_flight` restarts from the current `in_flight`.
    pub fn reset_stats(&self) {
        self.lock().recorder.reset_stats();
    }

    /// Drops nodes, queued answers, the request log and stats; settings are kept.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.nodes.clear();
        inner.queue.clear();
        inner.recorder.clear_log();
        inner.recorder.reset_stats();
    }

    // ----- used by the server -----

    /// Counts an accepted connection.
    pub(crate) fn connection_accepted(&self) {
        self.lock().recorder.connection_accepted();
    }

    /// Counts a request as received and in flight until the guard is dropped.
    pub(crate) fn begin(&self) -> InFlight {
        InFlight::begin(self)
    }

    /// Records the request; without configured latency also answers it (one lock for both).
    pub(crate) fn admit(&self, request: RecordedRequest) -> Step {
        let request = Arc::new(request);
        let mut inner = self.lock();
        let max = inner.settings.max_recorded;
        inner.recorder.record(&request, max);
        let latency = inner.settings.latency;
        if latency.is_zero() {
            Step::Reply(inner.answer(&request))
        } else {
            Step::Wait(latency, request)
        }
    }

    /// Answers an already recorded request.
    pub(crate) fn answer(&self, request: &RecordedRequest) -> Reply {
        self.lock().answer(request)
    }
}
