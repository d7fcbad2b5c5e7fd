//! Routing: what a path names (`/{version}/{id}` or `/{version}/{id}/{edge}`), who is calling
//! (token, `appsecret_proof`), and the parameters of a write. The order in which a request is
//! answered is handler.rs.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::error::ApiError;
use crate::record::RecordedRequest;

/// What a canned answer can be matched on, besides the node: `GET /{id}` (`get`), `POST /{id}`
/// (`webhook_configuration`: the phone-level override), or an edge.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Endpoint {
    Get,
    WebhookConfiguration,
    Register,
    Deregister,
    SubscribedApps,
    WhatsappBusinessProfile,
}

impl Endpoint {
    /// The endpoint an edge segment names.
    fn edge(segment: &str) -> Option<Endpoint> {
        match segment {
            "register" => Some(Endpoint::Register),
            "deregister" => Some(Endpoint::Deregister),
            "subscribed_apps" => Some(Endpoint::SubscribedApps),
            "whatsapp_business_profile" => Some(Endpoint::WhatsappBusinessProfile),
            _ => None,
        }
    }
}

/// What a path looks like.
pub(crate) struct Route<'a> {
    /// Second path segment, used for usage headers and canned matching even if the shape is bad.
    pub(crate) id: Option<&'a str>,
    /// `Some` only when the shape is valid: (version, edge).
    pub(crate) valid: Option<((u32, u32), Option<Endpoint>)>,
}

impl<'a> Route<'a> {
    pub(crate) fn parse(path: &'a str) -> Route<'a> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let id = segments.get(1).copied();
        let valid = match segments.as_slice() {
            [version, _id] => parse_version(version).map(|v| (v, None)),
            [version, _id, edge] => Endpoint::edge(edge)
                .and_then(|edge| parse_version(version).map(|v| (v, Some(edge)))),
            _ => None,
        };
        Route { id, valid }
    }

    /// Endpoint name used to match canned answers.
    pub(crate) fn endpoint(&self, method: &str) -> Option<Endpoint> {
        match self.valid? {
            (_, None) if method == "GET" => Some(Endpoint::Get),
            (_, None) if method == "POST" => Some(Endpoint::WebhookConfiguration),
            (_, None) => None,
            (_, Some(edge)) => Some(edge),
        }
    }
}

/// `v24.0` -> (24, 0); `v24` -> (24, 0).
pub(crate) fn parse_version(s: &str) -> Option<(u32, u32)> {
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

/// An authorized request to a valid path, as the Graph behaviour sees it.
pub(crate) struct Call<'a> {
    pub(crate) id: &'a str,
    pub(crate) version: (u32, u32),
    pub(crate) edge: Option<Endpoint>,
    pub(crate) method: &'a str,
    query: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    request: &'a RecordedRequest,
}

impl<'a> Call<'a> {
    /// The call `request` makes of node `id` at `version` (a valid path's parts).
    pub(crate) fn new(
        request: &'a RecordedRequest,
        id: &'a str,
        version: (u32, u32),
        edge: Option<Endpoint>,
    ) -> Call<'a> {
        Call {
            id,
            version,
            edge,
            method: request.method.as_str(),
            query: form_urlencoded::parse(request.query.as_bytes()).collect(),
            request,
        }
    }

    pub(crate) fn query_value(&self, name: &str) -> Option<&str> {
        query_value(&self.query, name)
    }

    /// The caller's token: the Bearer (or OAuth) header, else a non-empty `access_token` parameter.
    pub(crate) fn token(&self) -> Option<&str> {
        bearer_token(self.request)
            .or_else(|| self.query_value("access_token").filter(|t| !t.is_empty()))
    }

    /// POST parameters: the query string, overridden by a JSON or form-encoded body.
    pub(crate) fn params(&self) -> Result<Map<String, Value>, ApiError> {
        let mut params = Map::new();
        for (k, v) in &self.query {
            if k != "access_token" && k != "appsecret_proof" {
                params.insert(k.to_string(), Value::String(v.to_string()));
            }
        }
        let body = &self.request.body;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        let content_type = self
            .request
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
}

/// A parameter as a string (numbers are accepted as their decimal text).
pub(crate) fn param_str(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `hex(HMAC-SHA256(key = app_secret, message = token))`.
pub(crate) fn appsecret_proof(app_secret: &str, token: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
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

fn query_value<'q>(query: &'q [(Cow<'_, str>, Cow<'_, str>)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
}
