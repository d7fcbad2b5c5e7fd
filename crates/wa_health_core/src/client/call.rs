//! One Graph call: the request (URL, `appsecret_proof`, Bearer token, JSON body), its deadline, and
//! the answer read (body capped, Meta's errors classified, secrets redacted).

use http_body_util::BodyExt;
use hyper::body::Body as _;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request};
use serde_json::{Map, Value};

use super::engine::Engine;
use super::settings::GraphSettings;
use super::transport::{transport_error, Body, USER_AGENT};
use crate::error::{
    api_error_from_response, parse_success_body, ErrorContext, GraphError, GraphResult,
    SuccessBodyError,
};
use crate::secrets::Secrets;

/// Largest answer body read.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One Graph call: node GET with fields, or an edge POST with a JSON body.
pub struct Call<'a> {
    pub method: Method,
    pub node_id: &'a str,
    pub edge: Option<&'a str>,
    pub fields: Option<&'a str>,
    pub body: Option<Value>,
}

/// Everything one Graph call needs: the engine, the settings and the secrets to redact.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub engine: &'a Engine,
    pub settings: &'a GraphSettings,
    pub secrets: &'a Secrets,
}

impl Caller<'_> {
    /// Sends `call` and returns the JSON object of a successful answer.
    pub async fn send(self, call: Call<'_>) -> GraphResult<Map<String, Value>> {
        let client = self.engine.client(self.settings)?;
        let with_proxy_password;
        let secrets = match self.settings.proxy_password() {
            forms if forms.is_empty() => self.secrets,
            forms => {
                with_proxy_password = forms
                    .iter()
                    .fold(self.secrets.clone(), |all, form| all.also_redacting(form));
                &with_proxy_password
            }
        };
        let mut url = self.settings.url(call.node_id, call.edge);
        {
            let mut query = url.query_pairs_mut();
            if let Some(fields) = call.fields {
                query.append_pair("fields", fields);
            }
            if let Some(proof) = secrets.appsecret_proof() {
                query.append_pair("appsecret_proof", &proof);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let uri = url
            .as_str()
            .parse::<hyper::Uri>()
            .map_err(|_| GraphError::Internal("the request URL is not a valid URI".to_string()))?;
        let mut bearer = HeaderValue::try_from(format!("Bearer {}", secrets.access_token()))
            .map_err(|_| {
                GraphError::InvalidArgument("access_token cannot go in a header".to_string())
            })?;
        bearer.set_sensitive(true);
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(uri)
            .header(header::ACCEPT, "*/*") // as reqwest sent it
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::AUTHORIZATION, bearer);
        let body = match &call.body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            // A bodiless POST or DELETE still says `Content-Length: 0` (hyper sends no length for an
            // empty body): HTTP/1.1 servers and proxies may answer 411 without it (graph-api.md).
            None if call.method != Method::GET => {
                request = request.header(header::CONTENT_LENGTH, "0");
                Body::default()
            }
            None => Body::default(),
        };
        let request = request
            .body(body)
            .map_err(|e| GraphError::Internal(format!("cannot build the request: {e}")))?;
        let exchange = async {
            let response = client.send(request, secrets).await?;
            self.engine
                .remember_version(self.settings, response.version());
            read_answer(response, secrets).await
        };
        let timeout = self.settings.timeout();
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(GraphError::Timeout(format!(
                "WhatsApp API request timed out after {}s",
                timeout.as_secs_f64()
            ))),
        }
    }

    /// A POST or DELETE that Meta answers with `{"success": true}` (other members, such as the
    /// `data` some subscribed_apps answers carry, are ignored).
    pub async fn confirm(
        self,
        method: Method,
        node_id: &str,
        edge: Option<&str>,
        body: Option<Value>,
    ) -> GraphResult<()> {
        let answer = self
            .send(Call {
                method,
                node_id,
                edge,
                fields: None,
                body,
            })
            .await?;
        match answer.get("success") {
            Some(Value::Bool(true)) => Ok(()),
            _ => Err(GraphError::InvalidResponse(format!(
                "WhatsApp API did not confirm the {} call (no \"success\": true)",
                edge.unwrap_or("update")
            ))),
        }
    }
}

async fn read_answer(
    response: hyper::Response<hyper::body::Incoming>,
    secrets: &Secrets,
) -> GraphResult<Map<String, Value>> {
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type");
    let usage = header("x-business-use-case-usage");
    let mut incoming = response.into_body();
    if incoming
        .size_hint()
        .exact()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(body_too_large());
    }
    let mut body = Vec::new();
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| transport_error(&e, secrets))?;
        let Ok(chunk) = frame.into_data() else {
            continue; // trailers
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(body_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let error_context = || ErrorContext {
        http_status: status.as_u16(),
        content_type: content_type.as_deref(),
        business_use_case_usage: usage.as_deref(),
        secrets,
    };
    if !status.is_success() {
        return Err(GraphError::Api(Box::new(api_error_from_response(
            &body,
            &error_context(),
        ))));
    }
    parse_success_body(&body).map_err(|e| match e {
        SuccessBodyError::ErrorEnvelope => {
            GraphError::Api(Box::new(api_error_from_response(&body, &error_context())))
        }
        SuccessBodyError::Invalid(why) => GraphError::InvalidResponse(format!(
            "WhatsApp API returned HTTP {} with {why}",
            status.as_u16()
        )),
    })
}

fn body_too_large() -> GraphError {
    GraphError::InvalidResponse(format!(
        "WhatsApp API response body exceeds {} bytes",
        MAX_BODY_BYTES
    ))
}
