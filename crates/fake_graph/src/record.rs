//! What the fake remembers about the requests it received: each request as it came, a bounded log
//! of them (oldest dropped first), and the counters `request_count`, `in_flight`, `max_in_flight`
//! and `connections`.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Map, Value};

/// Request bodies larger than this are not read, and answered with 413.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// One request as received (and as recorded in the log).
pub(crate) struct RecordedRequest {
    /// As hyper shows it: `HTTP/1.1` or `HTTP/2.0`.
    pub(crate) http_version: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    /// Lowercased names, in arrival order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) problem: Option<BodyProblem>,
    /// Which accepted connection carried it (1, 2, ... in accept order; 0 outside a server).
    pub(crate) connection: u64,
}

/// Why a request's body could not be taken as sent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BodyProblem {
    TooLarge,
    Unreadable,
    /// A POST with neither Content-Length nor Transfer-Encoding.
    NoLength,
}

impl RecordedRequest {
    /// The log entry: `{"method", "path", "query", "headers" (repeated names joined by ", "),
    /// "body" (lossy UTF-8), "connection"}`.
    pub(crate) fn to_json(&self) -> Value {
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
            "http_version": self.http_version,
        })
    }

    /// The first value of a header (lowercased `name`).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The request log and the counters.
#[derive(Default)]
pub(crate) struct Recorder {
    log: VecDeque<Arc<RecordedRequest>>,
    request_count: u64,
    in_flight: u64,
    max_in_flight: u64,
    /// Connections accepted (TCP, before any TLS handshake), whether or not they carried a request.
    connections: u64,
}

impl Recorder {
    /// Logs a request, keeping at most `max` (0: logs nothing).
    pub(crate) fn record(&mut self, request: &Arc<RecordedRequest>, max: usize) {
        if max > 0 {
            self.trim(max - 1);
            self.log.push_back(Arc::clone(request));
        }
    }

    /// Drops the oldest entries until at most `max` remain.
    pub(crate) fn trim(&mut self, max: usize) {
        while self.log.len() > max {
            self.log.pop_front();
        }
    }

    pub(crate) fn log(&self) -> impl Iterator<Item = &Arc<RecordedRequest>> {
        self.log.iter()
    }

    pub(crate) fn clear_log(&mut self) {
        self.log.clear();
    }

    pub(crate) fn begin(&mut self) {
        self.request_count += 1;
        self.in_flight += 1;
        self.max_in_flight = self.max_in_flight.max(self.in_flight);
    }

    pub(crate) fn connection_accepted(&mut self) {
        self.connections += 1;
    }

    pub(crate) fn end(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    pub(crate) fn stats(&self) -> Value {
        json!({
            "request_count": self.request_count,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "connections": self.connections,
        })
    }

    /// Zeroes `request_count` and `connections`; `max_in_flight` restarts from the current
    /// `in_flight`.
    pub(crate) fn reset_stats(&mut self) {
        self.request_count = 0;
        self.connections = 0;
        self.max_in_flight = self.in_flight;
    }
}
