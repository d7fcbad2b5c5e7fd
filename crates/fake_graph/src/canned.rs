//! Canned answers: a queue of answers given in advance. The first entry whose node and endpoint
//! match a request answers it instead of the normal logic (auth included), `times` times.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;

use crate::raw::Drip;
use crate::reply::Reply;
use crate::routing::{Endpoint, Route};

/// A queued canned answer (built from the owner's JSON in `options.rs`).
pub(crate) struct Canned {
    pub(crate) node: Option<String>,
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) status: u16,
    pub(crate) body: Bytes,
    pub(crate) content_type: String,
    /// Overrides of the default headers (lowercased names); `None` removes the header.
    pub(crate) headers: Vec<(String, Option<String>)>,
    pub(crate) delay: Duration,
    pub(crate) times: u64,
    pub(crate) drip: Option<Drip>,
    pub(crate) hang_up: bool,
    pub(crate) cut_after: Option<usize>,
}

#[derive(Default)]
pub(crate) struct CannedQueue {
    entries: VecDeque<Canned>,
}

impl CannedQueue {
    pub(crate) fn push(&mut self, canned: Canned) {
        self.entries.push_back(canned);
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The answer of the first entry matching the request, which is used up once answered
    /// `times` times.
    pub(crate) fn take(&mut self, route: &Route<'_>, method: &str) -> Option<Reply> {
        if self.entries.is_empty() {
            return None;
        }
        let endpoint = route.endpoint(method);
        let index = self.entries.iter().position(|c| {
            c.node.as_deref().is_none_or(|n| Some(n) == route.id)
                && c.endpoint.is_none_or(|e| Some(e) == endpoint)
        })?;
        let canned = &mut self.entries[index];
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
            self.entries.remove(index);
        }
        Some(reply)
    }
}
