//! The fake's state behind one lock, and the API its owner programs it with: settings, nodes,
//! canned answers, the request log and stats. How the server's requests are answered from it is
//! handler.rs.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::canned::CannedQueue;
use crate::error::TraceIds;
use crate::graph::Node;
use crate::options::{parse, CannedSpec, NodeSpec, SettingsPatch};
use crate::record::{RecordedRequest, Recorder};
use crate::settings::Settings;

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
        self.lock().recorder.begin();
        InFlight {
            state: self.clone(),
        }
    }
}

/// Counts a request in flight from [`SharedState::begin`] until dropped (however the handling ends).
pub(crate) struct InFlight {
    state: SharedState,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.state.lock().recorder.end();
    }
}
