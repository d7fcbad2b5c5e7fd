//! Graph errors and their `{"error": {...}}` envelope (graph-api.md, "Error envelope and classes"),
//! with a fresh `fbtrace_id` for each.

use serde_json::{json, Map, Value};

use crate::reply::Reply;

/// A Graph error, turned into the envelope by [`ApiError::into_reply`].
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: i64,
    pub(crate) subcode: Option<i64>,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) user_title: Option<&'static str>,
    pub(crate) user_msg: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: i64,
        kind: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
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
    pub(crate) fn param(message: impl Into<String>) -> ApiError {
        ApiError::new(400, 100, "OAuthException", message)
    }

    /// Code 100, subcode 33: an id the token cannot see, or an operation the node does not have.
    pub(crate) fn unsupported(method: &str, id: &str) -> ApiError {
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

    pub(crate) fn into_reply(self, fbtrace_id: String) -> Reply {
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

/// Makes `fbtrace_id`s: 23 characters like Meta's, different on every error.
pub(crate) struct TraceIds {
    seed: u64,
    counter: u64,
}

impl TraceIds {
    /// Seeded from the clock and the process id, so two runs give different ids.
    pub(crate) fn new() -> TraceIds {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed)
            ^ u64::from(std::process::id());
        TraceIds { seed, counter: 0 }
    }

    pub(crate) fn next(&mut self) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        self.counter += 1;
        let mut x = self.seed ^ self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
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
}
