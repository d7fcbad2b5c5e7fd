//! An answer ready to be written: status, headers, body, and how to misbehave while sending it.
//! Also the usage headers Meta puts on (almost) every answer.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use crate::raw::Drip;

pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";
pub(crate) const TEXT_CONTENT_TYPE: &str = "text/plain";
pub(crate) const APP_USAGE: &str = r#"{"call_count":1,"total_cputime":1,"total_time":1}"#;
const SUCCESS_BODY: &[u8] = br#"{"success":true}"#;

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Lowercased names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    /// Extra wait before sending (canned `delay_ms`).
    pub(crate) delay: Duration,
    /// Send the body a chunk at a time (canned `drip_ms` / `chunk_bytes`).
    pub(crate) drip: Option<Drip>,
    /// Close the connection instead of answering (canned `hang_up`).
    pub(crate) hang_up: bool,
    /// Send only this many body bytes, then drop the connection (canned `cut_after_bytes`).
    pub(crate) cut_after: Option<usize>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Reply::raw(status, JSON_CONTENT_TYPE, Bytes::from(bytes))
    }

    /// `{"success":true}`, Meta's answer to a write that worked.
    pub(crate) fn success() -> Reply {
        Reply::raw(200, JSON_CONTENT_TYPE, Bytes::from_static(SUCCESS_BODY))
    }

    pub(crate) fn raw(status: u16, content_type: &str, body: Bytes) -> Reply {
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
    pub(crate) fn with_usage(mut self, node_id: Option<&str>) -> Reply {
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

    /// Replaces a header (lowercased `name`); `None` removes it.
    pub(crate) fn set_header(&mut self, name: &str, value: Option<&str>) {
        self.headers.retain(|(n, _)| n != name);
        if let Some(v) = value {
            self.headers.push((name.to_owned(), v.to_owned()));
        }
    }

    #[cfg(test)]
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
