//! The Graph API client: one process-wide engine (a small tokio runtime plus keep-alive pools),
//! requests with whole-request deadlines, capped bodies, no redirects and cooperative cancellation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Body as _;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Version};
use rustls::pki_types::CertificateDer;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::{
    api_error_from_response, parse_success_body, ErrorContext, GraphError, GraphResult,
    SuccessBodyError,
};
use crate::secrets::Secrets;
use crate::transport::{self, HttpClient};

pub const MAX_BODY_BYTES: usize = 1024 * 1024;
const USER_AGENT: &str = concat!("wa_health/", env!("CARGO_PKG_VERSION"));

/// Whether the URL's host is this machine (localhost, 127.0.0.0/8, ::1): the only place plain http
/// is allowed, for development and tests.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Where and how to talk to the Graph API; built once per configuration, shared by calls.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    base_url: Url,
    api_version: String,
    timeout: Duration,
    open_timeout: Duration,
    ca: Option<Arc<CaRoots>>,
    proxy: Option<ProxyUrl>,
}

/// The proxy every request goes through (CONNECT for https). Debug shows no credentials.
#[derive(Clone)]
pub struct ProxyUrl(Url);

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        write!(f, "ProxyUrl({shown})")
    }
}

/// Largest `ca_file` read (Debian's bundle of every public CA is about 220 KB).
pub const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The certificates of a `ca_file`, trusted besides the system's roots.
#[derive(Clone)]
pub struct CaRoots {
    /// SHA-256 of the certificates: the clients cache key.
    digest: [u8; 32],
    certs: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for CaRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaRoots({} certificates)", self.certs.len())
    }
}

impl CaRoots {
    /// Reads the PEM file at `path`. Errors name `ca_file` and the path, never the contents.
    pub fn load(path: &str) -> GraphResult<CaRoots> {
        use rustls::pki_types::pem::PemObject;
        use sha2::{Digest, Sha256};
        use std::io::Read;

        let invalid = |why: String| GraphError::InvalidArgument(format!("ca_file {path:?} {why}"));
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| invalid(format!("cannot be read: {}", e.kind())))?;
        if bytes.len() as u64 > MAX_CA_FILE_BYTES {
            return Err(invalid(format!("is over {MAX_CA_FILE_BYTES} bytes")));
        }
        let not_pem = || invalid("is not a PEM file of CA certificates".to_string());
        let ders = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_pem())?;
        if ders.is_empty() {
            return Err(not_pem());
        }
        let mut digest = Sha256::new();
        let mut certs = Vec::with_capacity(ders.len());
        for der in ders {
            // The same parse the TLS verifier makes of a root, so a bad one fails here, not per call.
            rustls::RootCertStore::empty()
                .add(der.clone())
                .map_err(|_| invalid("holds a certificate that cannot be parsed".to_string()))?;
            digest.update(der.as_ref());
            certs.push(der);
        }
        Ok(CaRoots {
            digest: digest.finalize().into(),
            certs,
        })
    }
}

fn positive_duration(name: &str, seconds: f64) -> GraphResult<Duration> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(GraphError::InvalidArgument(format!(
            "{name} must be a number of seconds between 0 and 3600"
        )))
    }
}

impl GraphSettings {
    pub fn new(
        base_url: &str,
        api_version: &str,
        timeout: f64,
        open_timeout: f64,
    ) -> GraphResult<GraphSettings> {
        let invalid_url =
            || GraphError::InvalidArgument("base_url must be an absolute http(s) URL".to_string());
        let base_url = Url::parse(base_url).map_err(|_| invalid_url())?;
        if !matches!(base_url.scheme(), "http" | "https")
            || base_url.host_str().is_none()
            || base_url.query().is_some()
            || !base_url.username().is_empty()
            || base_url.password().is_some()
        {
            return Err(invalid_url());
        }
        if base_url.scheme() == "http" && !is_loopback(&base_url) {
            return Err(GraphError::InvalidArgument(
                "base_url must be https (plain http only on a loopback host): the access token would travel in cleartext"
                    .to_string(),
            ));
        }
        if !valid_api_version(api_version) {
            return Err(GraphError::InvalidArgument(
                "api_version must look like v24.0".to_string(),
            ));
        }
        Ok(GraphSettings {
            base_url,
            api_version: api_version.to_string(),
            timeout: positive_duration("timeout", timeout)?,
            open_timeout: positive_duration("open_timeout", open_timeout)?,
            ca: None,
            proxy: None,
        })
    }

    /// These settings, with every request through the http(s) proxy at `url` (credentials, if
    /// any, in its userinfo). Errors never quote it.
    pub fn with_proxy(mut self, url: &str) -> GraphResult<GraphSettings> {
        let invalid = || {
            GraphError::InvalidArgument(
                "proxy must be an http:// or https:// URL with a host and no path".to_string(),
            )
        };
        let url = Url::parse(url).map_err(|_| invalid())?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || !matches!(url.path(), "" | "/")
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(invalid());
        }
        if self.base_url.scheme() == "http" {
            return Err(GraphError::InvalidArgument(
                "proxy needs an https base_url: over plain http the token would reach the proxy in cleartext"
                    .to_string(),
            ));
        }
        self.proxy = Some(ProxyUrl(url));
        Ok(self)
    }

    /// The proxy URL's password as written and decoded, for redaction. (Not the username:
    /// redaction ignores case, and a short name such as "wa" would eat words of every message.)
    pub fn proxy_password(&self) -> Vec<String> {
        let Some(raw) = self.proxy.as_ref().and_then(|ProxyUrl(url)| url.password()) else {
            return Vec::new();
        };
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        vec![decoded.into_owned(), raw.to_string()]
    }

    /// These settings, also trusting the CA certificates of the PEM file at `path`.
    pub fn with_ca_file(mut self, path: &str) -> GraphResult<GraphSettings> {
        self.ca = Some(Arc::new(CaRoots::load(path)?));
        Ok(self)
    }

    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// This connection, or a copy on `v{major}.0` when the configured version is older. Health
    /// reads need v24.0+ fields (as Chatwoot pins them), whatever version the rest of the app uses.
    pub fn with_version_floor(&self, major: u32) -> GraphSettings {
        let mut conn = self.clone();
        if version_number(&self.api_version) < (major, 0) {
            conn.api_version = format!("v{major}.0");
        }
        conn
    }

    fn url(&self, node_id: &str, edge: Option<&str>) -> Url {
        let mut url = self.base_url.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .expect("http(s) URLs always have path segments");
            segments
                .pop_if_empty()
                .push(&self.api_version)
                .push(node_id);
            if let Some(edge) = edge {
                segments.push(edge);
            }
        }
        url
    }
}

fn version_number(version: &str) -> (u32, u32) {
    let mut parts = version.trim_start_matches('v').split('.');
    let mut next = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (next(), next())
}

fn valid_api_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next();
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && minor.is_none_or(digits) && parts.next().is_none()
}

/// Graph node ids are decimal digits. Anything else could change the request path or query.
/// Longest Graph id accepted (real ones have 15-17 digits); Ruby's check reads it from here.
pub const MAX_GRAPH_ID_DIGITS: usize = 32;

pub fn validate_node_id(name: &str, id: &str) -> GraphResult<()> {
    if id.is_empty() || id.len() > MAX_GRAPH_ID_DIGITS || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GraphError::InvalidArgument(format!(
            "{name} must be a Graph id made of digits"
        )));
    }
    Ok(())
}

/// A Bearer token goes into a header: refuse anything that could split or forge one.
pub fn validate_access_token(token: &str) -> GraphResult<()> {
    if token.is_empty() || token.len() > 4096 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(GraphError::InvalidArgument(
            "access_token must be a non-blank token of printable ASCII characters".to_string(),
        ));
    }
    Ok(())
}

/// An HTTP engine: a current-thread tokio runtime and its keep-alive pools. It does no work of its
/// own: it runs only inside [`Engine::block_on`], on the caller's thread. A Ruby thread waiting on
/// Meta therefore drives its own sockets, with no hand-off to runtime worker threads and back
/// (those hand-offs cost more than the loopback round trip itself; see bench/RESULTS.md).
///
/// Engines live in a process-wide pool. A call leases one (the most recently returned, whose
/// connections are the warmest) and gives it back when it ends, so there are as many engines as
/// the peak number of concurrent calls, and keep-alive connections are shared between threads.
/// The pool is rebuilt in a forked child: the parent's sockets and epoll set are not the child's.
pub struct Engine {
    runtime: tokio::runtime::Runtime,
    clients: Mutex<HashMap<ClientKey, HttpClient>>,
    /// The HTTP version each (client, origin) last answered with: a sweep to an https origin this
    /// engine has not heard from yet sends one request alone first (see `batch::health_sweep`).
    versions: Mutex<HashMap<(ClientKey, String), Version>>,
}

/// What a client is built from: the connect timeout (ms), the extra CA certificates, the proxy.
type ClientKey = (u64, Option<[u8; 32]>, Option<String>);

/// Scheduler rounds [`Engine::settle`] gives ready tasks (a dropped request's connection needs two).
const SETTLE_ROUNDS: usize = 4;

/// Idle engines kept for reuse; more than this (after a burst of concurrent calls) are dropped.
const MAX_IDLE_ENGINES: usize = 64;

struct EnginePool {
    pid: u32,
    idle: Vec<Arc<Engine>>,
}

static ENGINES: Mutex<Option<EnginePool>> = Mutex::new(None);

fn engine_pool() -> std::sync::MutexGuard<'static, Option<EnginePool>> {
    ENGINES.lock().unwrap_or_else(|e| e.into_inner())
}

/// One caller's exclusive use of an [`Engine`]; returns it to the pool when dropped.
/// Dereferences to the `Arc<Engine>` that futures of this call may clone.
pub struct EngineLease {
    engine: Option<Arc<Engine>>,
    pid: u32,
}

impl std::ops::Deref for EngineLease {
    type Target = Arc<Engine>;

    fn deref(&self) -> &Arc<Engine> {
        self.engine
            .as_ref()
            .expect("an engine lease holds its engine until dropped")
    }
}

impl Drop for EngineLease {
    fn drop(&mut self) {
        let Some(engine) = self.engine.take() else {
            return;
        };
        let mut pool = engine_pool();
        match pool.as_mut() {
            Some(pool) if pool.pid == self.pid && pool.idle.len() < MAX_IDLE_ENGINES => {
                pool.idle.push(engine);
            }
            _ => {
                drop(pool);
                drop(engine);
            }
        }
    }
}

impl Engine {
    /// An engine for one call (or one batch), taken from the pool or built.
    pub fn lease() -> GraphResult<EngineLease> {
        let pid = std::process::id();
        let reused = {
            let mut pool = engine_pool();
            if pool.as_ref().is_some_and(|p| p.pid != pid) {
                if let Some(stale) = pool.take() {
                    // Inherited across fork: dropping would close sockets and epoll registrations
                    // that the parent still uses. Leaking is the safe choice (copy-on-write pages).
                    std::mem::forget(stale);
                }
            }
            pool.get_or_insert_with(|| EnginePool {
                pid,
                idle: Vec::new(),
            })
            .idle
            .pop()
        };
        let engine = match reused {
            Some(engine) => engine,
            None => Arc::new(Engine::new()?),
        };
        Ok(EngineLease {
            engine: Some(engine),
            pid,
        })
    }

    fn new() -> GraphResult<Engine> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GraphError::Internal(format!("cannot start the I/O runtime: {e}")))?;
        Ok(Engine {
            runtime,
            clients: Mutex::new(HashMap::new()),
            versions: Mutex::new(HashMap::new()),
        })
    }

    fn client_key(conn: &GraphSettings) -> ClientKey {
        (
            conn.open_timeout.as_millis() as u64,
            conn.ca.as_ref().map(|ca| ca.digest),
            conn.proxy.as_ref().map(|proxy| proxy.0.to_string()),
        )
    }

    fn version_key(conn: &GraphSettings) -> (ClientKey, String) {
        (
            Self::client_key(conn),
            conn.base_url.origin().ascii_serialization(),
        )
    }

    /// The HTTP version `conn`'s origin last answered this engine with, if it has answered yet.
    pub fn known_version(&self, conn: &GraphSettings) -> Option<Version> {
        let versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.get(&Self::version_key(conn)).copied()
    }

    fn remember_version(&self, conn: &GraphSettings, version: Version) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.insert(Self::version_key(conn), version);
    }

    /// Clients are keyed by the per-client settings (connect timeout, extra CAs, proxy); each
    /// keeps its own pool. The proxy comes from the settings only: Ruby resolves the
    /// environment's as Net::HTTP would.
    fn client(&self, conn: &GraphSettings) -> GraphResult<HttpClient> {
        let key = Self::client_key(conn);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = HttpClient::new(
            conn.open_timeout,
            conn.ca.as_ref().map_or(&[], |ca| &ca.certs),
            conn.proxy.as_ref().map(|ProxyUrl(url)| url),
            USER_AGENT,
        )
        .map_err(|why| GraphError::Internal(format!("cannot build the HTTP client: {why}")))?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Runs `work` to completion on the calling thread, or stops early when `cancel` fires.
    /// Must not be called from inside a runtime (the Ruby threads that call it never are).
    pub fn block_on<T>(
        &self,
        cancel: &CancellationToken,
        work: impl Future<Output = GraphResult<T>>,
    ) -> GraphResult<T> {
        let result = self.runtime.block_on(async {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(GraphError::Cancelled),
                result = work => result,
            }
        });
        if matches!(result, Err(GraphError::Cancelled)) {
            self.settle();
        }
        result
    }

    /// Lets the tasks that are ready run (without waiting for anything): connections whose request
    /// was dropped mid-way close their socket now instead of when the engine is next leased.
    pub fn settle(&self) {
        self.runtime.block_on(async {
            for _ in 0..SETTLE_ROUNDS {
                tokio::task::yield_now().await;
            }
        });
    }

    /// Makes this engine's runtime current until the guard drops, for dropping request futures
    /// outside [`Engine::block_on`] (a pooled connection may spawn a task when it is released).
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.runtime.enter()
    }
}

/// One Graph call: node GET with fields, or an edge POST with a JSON body.
pub struct Call<'a> {
    pub method: Method,
    pub node_id: &'a str,
    pub edge: Option<&'a str>,
    pub fields: Option<&'a str>,
    pub body: Option<Value>,
}

/// Sends `call` and returns the JSON object of a successful answer.
pub async fn send(
    engine: &Engine,
    conn: &GraphSettings,
    secrets: &Secrets,
    call: Call<'_>,
) -> GraphResult<Map<String, Value>> {
    let client = engine.client(conn)?;
    let with_proxy_password;
    let secrets = match conn.proxy_password() {
        forms if forms.is_empty() => secrets,
        forms => {
            with_proxy_password = forms
                .iter()
                .fold(secrets.clone(), |all, form| all.also_redacting(form));
            &with_proxy_password
        }
    };
    let mut url = conn.url(call.node_id, call.edge);
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
    let mut bearer =
        HeaderValue::try_from(format!("Bearer {}", secrets.access_token())).map_err(|_| {
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
            transport::Body::from(body.to_string())
        }
        // A bodiless POST or DELETE still says `Content-Length: 0` (hyper sends no length for an
        // empty body): HTTP/1.1 servers and proxies may answer 411 without it (graph-api.md).
        None if call.method != Method::GET => {
            request = request.header(header::CONTENT_LENGTH, "0");
            transport::Body::default()
        }
        None => transport::Body::default(),
    };
    let request = request
        .body(body)
        .map_err(|e| GraphError::Internal(format!("cannot build the request: {e}")))?;
    let exchange = async {
        let response = client.send(request, secrets).await?;
        engine.remember_version(conn, response.version());
        read_answer(response, secrets).await
    };
    match tokio::time::timeout(conn.timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(GraphError::Timeout(format!(
            "WhatsApp API request timed out after {}s",
            conn.timeout.as_secs_f64()
        ))),
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
        let frame = frame.map_err(|e| transport::transport_error(&e, secrets))?;
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

/// Everything one Graph call needs: the engine, the settings and the secrets to redact.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub engine: &'a Engine,
    pub settings: &'a GraphSettings,
    pub secrets: &'a Secrets,
}

impl Caller<'_> {
    /// [`confirmed_call`] with this caller's engine, settings and secrets.
    pub async fn confirm(
        &self,
        method: Method,
        node_id: &str,
        edge: Option<&str>,
        body: Option<Value>,
    ) -> GraphResult<()> {
        confirmed_call(
            self.engine,
            self.settings,
            self.secrets,
            method,
            node_id,
            edge,
            body,
        )
        .await
    }
}

/// A POST or DELETE that Meta answers with `{"success": true}` (other members, such as the
/// `data` some subscribed_apps answers carry, are ignored).
pub async fn confirmed_call(
    engine: &Engine,
    conn: &GraphSettings,
    secrets: &Secrets,
    method: Method,
    node_id: &str,
    edge: Option<&str>,
    body: Option<Value>,
) -> GraphResult<()> {
    let answer = send(
        engine,
        conn,
        secrets,
        Call {
            method,
            node_id,
            edge,
            fields: None,
            body,
        },
    )
    .await?;
    match answer.get("success") {
        Some(Value::Bool(true)) => Ok(()),
        _ => Err(GraphError::InvalidResponse(format!(
            "WhatsApp API did not confirm the {} call (no \"success\": true)",
            edge.unwrap_or("update")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_urls_without_secrets() {
        let conn = GraphSettings::new("http://127.0.0.1:9/", "v24.0", 10.0, 5.0).unwrap();
        assert_eq!(
            conn.url("123", None).as_str(),
            "http://127.0.0.1:9/v24.0/123"
        );
        assert_eq!(
            conn.url("123", Some("register")).as_str(),
            "http://127.0.0.1:9/v24.0/123/register"
        );
        let conn = GraphSettings::new("https://proxy.example/graph", "v22.0", 1.0, 1.0).unwrap();
        assert_eq!(
            conn.url("5", None).as_str(),
            "https://proxy.example/graph/v22.0/5"
        );
    }

    #[test]
    fn health_reads_get_a_version_floor() {
        let old = GraphSettings::new("http://localhost", "v22.0", 1.0, 1.0).unwrap();
        assert_eq!(old.with_version_floor(24).api_version(), "v24.0");
        let new = GraphSettings::new("http://localhost", "v25.1", 1.0, 1.0).unwrap();
        assert_eq!(new.with_version_floor(24).api_version(), "v25.1");
        let bare = GraphSettings::new("http://localhost", "v24", 1.0, 1.0).unwrap();
        assert_eq!(bare.with_version_floor(24).api_version(), "v24");
    }

    #[test]
    fn refuses_bad_connection_settings() {
        assert!(GraphSettings::new("ftp://x", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("not a url", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://u:p@x", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://x?a=b", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24.0/../x", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24", 1.0, 1.0).is_ok());
        // The token goes in a header: plain http only where it cannot leave the machine.
        for cleartext in [
            "http://graph.facebook.com",
            "http://10.0.0.1",
            "http://proxy.example/graph",
        ] {
            let error = GraphSettings::new(cleartext, "v24.0", 1.0, 1.0).unwrap_err();
            assert!(error.to_string().contains("https"), "{cleartext}");
        }
        for loopback in [
            "http://127.0.0.1:3000",
            "http://127.1.2.3",
            "http://[::1]:9",
            "http://LOCALHOST",
        ] {
            assert!(
                GraphSettings::new(loopback, "v24.0", 1.0, 1.0).is_ok(),
                "{loopback}"
            );
        }
        assert!(GraphSettings::new("http://localhost", "v24.0", 0.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24.0", f64::NAN, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24.0", 1.0, -1.0).is_err());
    }

    #[test]
    fn proxies_are_http_urls_shown_without_credentials() {
        let https = || GraphSettings::new("https://graph.example", "v24.0", 1.0, 1.0).unwrap();
        let conn = https()
            .with_proxy("http://wa:p%40ss-w0rd@proxy.example:3128")
            .unwrap();
        let shown = format!("{conn:?}");
        assert!(shown.contains("proxy.example:3128"), "{shown}");
        assert!(!shown.contains("w0rd") && !shown.contains("wa:"), "{shown}");
        assert_eq!(conn.proxy_password(), ["p@ss-w0rd", "p%40ss-w0rd"]);
        assert!(https().proxy_password().is_empty());
        for bad in [
            "socks5://proxy.example:1080",
            "proxy.example:3128",
            "http://proxy.example/path",
            "http://proxy.example?x=1",
            "not a url",
        ] {
            let error = https().with_proxy(bad).unwrap_err().to_string();
            assert!(error.starts_with("proxy must be"), "{bad}: {error}");
        }
        let plain = GraphSettings::new("http://127.0.0.1:9", "v24.0", 1.0, 1.0).unwrap();
        let error = plain.with_proxy("http://proxy.example").unwrap_err();
        assert!(error.to_string().contains("https base_url"));
    }

    #[test]
    fn node_ids_are_digits_only() {
        assert!(validate_node_id("phone_number_id", "1234567890").is_ok());
        for bad in [
            "",
            "12/34",
            "1?x=y",
            "..",
            "1 2",
            "1\n2",
            "١٢٣",
            &"9".repeat(33),
        ] {
            let err = validate_node_id("phone_number_id", bad).unwrap_err();
            assert!(err.to_string().contains("phone_number_id"), "{bad:?}");
        }
    }

    #[test]
    fn tokens_cannot_carry_header_breaks() {
        assert!(validate_access_token("EAAG123abc").is_ok());
        for bad in ["", "a b", "a\r\nX-Evil: 1", "tok\u{e9}"] {
            assert!(validate_access_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn success_bodies_must_be_objects() {
        assert!(parse_success_body(br#"{"id":"1"}"#).is_ok());
        assert_eq!(
            parse_success_body(b""),
            Err(SuccessBodyError::Invalid("an empty body"))
        );
        assert_eq!(
            parse_success_body(b"[1,2]"),
            Err(SuccessBodyError::Invalid("JSON that is not an object"))
        );
        assert_eq!(
            parse_success_body(br#""str""#),
            Err(SuccessBodyError::Invalid("JSON that is not an object"))
        );
        assert_eq!(
            parse_success_body(br#"{"id":"1""#),
            Err(SuccessBodyError::Invalid("a body that is not valid JSON"))
        );
        assert_eq!(
            parse_success_body(b"{\"id\":\"\xff\"}"),
            Err(SuccessBodyError::Invalid("a body that is not valid JSON"))
        );
        assert_eq!(
            parse_success_body(br#"{"error":{"code":1}}"#),
            Err(SuccessBodyError::ErrorEnvelope)
        );
        let deep = "[".repeat(10_000);
        assert!(parse_success_body(deep.as_bytes()).is_err());
    }

    mod properties {
        use super::*;
        use crate::test_support;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// Any bytes give a map, Meta's envelope or a typed refusal, and which one is decided
            /// by what the bytes are as JSON.
            #[test]
            fn success_bodies_are_classified_by_their_json(body in test_support::body()) {
                let parsed = serde_json::from_slice::<Value>(&body);
                match (parse_success_body(&body), parsed) {
                    (Ok(map), Ok(Value::Object(expected))) => {
                        prop_assert!(!matches!(expected.get("error"), Some(Value::Object(_))));
                        prop_assert_eq!(map, expected);
                    }
                    (Err(SuccessBodyError::ErrorEnvelope), Ok(Value::Object(map))) => {
                        prop_assert!(matches!(map.get("error"), Some(Value::Object(_))));
                    }
                    (Err(SuccessBodyError::Invalid(_)), Ok(Value::Object(_))) => {
                        prop_assert!(false, "an object was refused");
                    }
                    (Err(SuccessBodyError::Invalid(_)), _) => {}
                    (other, parsed) => prop_assert!(false, "{:?} for {:?}", other, parsed),
                }
            }

            /// Nesting of any depth is refused or accepted without exhausting the stack.
            #[test]
            fn deep_nesting_never_overflows(depth in 1usize..20_000, object in any::<bool>()) {
                let (open, close) = if object { (r#"{"a":"#, "}") } else { ("[", "]") };
                let mut body = open.repeat(depth);
                body.push('1');
                body.push_str(&close.repeat(depth));
                let result = parse_success_body(body.as_bytes());
                if depth > 128 {
                    prop_assert!(result.is_err());
                }
            }
        }
    }
}
