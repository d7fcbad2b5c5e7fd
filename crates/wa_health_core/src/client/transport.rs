//! The HTTP transport under the Graph client: hyper-util's pooled client over rustls (h2 or
//! http/1.1 by ALPN; plain http/1.1 for loopback URLs), direct or through an http(s) proxy with
//! CONNECT, and the classification of its failures into [`GraphError`]s.
//!
//! hyper is used directly (not through reqwest) for one hook: `hyper::ext::on_informational`,
//! which lets a call count the interim (1xx) responses a server sends before its answer.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue, PROXY_AUTHORIZATION};
use hyper::{HeaderMap, Request, Response, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;
use tokio::sync::Notify;
use tower_service::Service;
use url::Url;

use crate::error::GraphError;
use crate::secrets::Secrets;

pub type Body = Full<Bytes>;

/// Sent with every request, and with a proxy's CONNECT.
pub const USER_AGENT: &str = concat!("wa_health/", env!("CARGO_PKG_VERSION"));

/// Interim responses (100 Continue, 103 Early Hints) one request accepts before its answer. A
/// real server sends one or two; a server that sends nothing else would otherwise keep the call
/// reading and parsing (a busy core) until its `timeout`.
const MAX_INTERIM_RESPONSES: usize = 5;

/// Times a request is sent again after an HTTP/2 server refused it unprocessed (GOAWAY without
/// error, or REFUSED_STREAM), as reqwest did by default.
const MAX_PROTOCOL_RETRIES: usize = 2;

const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Direct = HttpsConnector<HttpConnector>;
type Proxied = HttpsConnector<Tunnel<HttpsConnector<HttpConnector>>>;

/// A keep-alive pool and the way it connects. Cheap to clone (the clones share the pool).
/// Its connections' tasks run on the runtime it is used in (the engine's).
#[derive(Clone)]
pub enum HttpClient {
    Direct(Arc<Client<OpenTimeout<Direct>, Body>>),
    Proxied(Arc<Client<OpenTimeout<Proxied>, Body>>),
}

impl HttpClient {
    /// A client that trusts the system's roots plus `extra_roots`, connects within `open_timeout`
    /// (TCP, the proxy's CONNECT and the TLS handshake together) and, with `proxy`, tunnels
    /// through it, sending [`USER_AGENT`] and the proxy URL's credentials with the CONNECT.
    pub fn new(
        open_timeout: Duration,
        extra_roots: &[CertificateDer<'static>],
        proxy: Option<&Url>,
    ) -> Result<HttpClient, String> {
        let tls = tls_config(extra_roots)?;
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(open_timeout));
        // reqwest's defaults, kept: a dead peer is noticed by the kernel on an idle pooled socket.
        tcp.set_keepalive(Some(Duration::from_secs(15)));
        tcp.set_keepalive_interval(Some(Duration::from_secs(15)));
        tcp.set_keepalive_retries(Some(3));
        #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
        tcp.set_tcp_user_timeout(Some(Duration::from_secs(30)));

        let Some(proxy) = proxy else {
            let connector = OpenTimeout::new(HttpsConnector::from((tcp, tls)), open_timeout);
            return Ok(HttpClient::Direct(Arc::new(pool(connector))));
        };
        let mut to_proxy = tls.clone();
        // The TLS to an https proxy carries the CONNECT only (the target's TLS runs inside it).
        to_proxy.alpn_protocols.clear();
        let mut tunnel = Tunnel::new(proxy_uri(proxy)?, HttpsConnector::from((tcp, to_proxy)));
        let mut headers = HeaderMap::new();
        headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        if let Some(credentials) = proxy_authorization(proxy) {
            headers.insert(PROXY_AUTHORIZATION, credentials);
        }
        tunnel = tunnel.with_headers(headers);
        let connector = OpenTimeout::new(HttpsConnector::from((tunnel, tls)), open_timeout);
        Ok(HttpClient::Proxied(Arc::new(pool(connector))))
    }

    /// Sends `request` and returns the head of its answer, or stops at once when the server
    /// sends more than [`MAX_INTERIM_RESPONSES`] interim responses (dropping the request closes
    /// its connection). Failures are classified and redacted with `secrets`.
    pub async fn send(
        &self,
        request: Request<Body>,
        secrets: &Secrets,
    ) -> Result<Response<Incoming>, GraphError> {
        let interim = Arc::new(InterimCount::default());
        let (parts, body) = request.into_parts();
        let mut retries = 0;
        loop {
            let mut attempt = Request::new(body.clone());
            *attempt.method_mut() = parts.method.clone();
            *attempt.uri_mut() = parts.uri.clone();
            *attempt.version_mut() = parts.version;
            *attempt.headers_mut() = parts.headers.clone();
            interim.watch(&mut attempt);
            let result = tokio::select! {
                biased;
                _ = interim.exceeded() => return Err(too_many_interim_responses()),
                result = self.request(attempt) => result,
            };
            match result {
                Ok(response) => return Ok(response),
                Err(e) if retries < MAX_PROTOCOL_RETRIES && refused_unprocessed(&e) => retries += 1,
                Err(e) => return Err(transport_error(&e, secrets)),
            }
        }
    }

    fn request(&self, request: Request<Body>) -> hyper_util::client::legacy::ResponseFuture {
        match self {
            HttpClient::Direct(client) => client.request(request),
            HttpClient::Proxied(client) => client.request(request),
        }
    }
}

fn pool<C>(connector: C) -> Client<C, Body>
where
    C: hyper_util::client::legacy::connect::Connect + Clone,
{
    Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector)
}

/// TLS 1.2/1.3 with aws-lc-rs, verified by the platform verifier (the system's roots) with the
/// `ca_file` certificates added, offering h2 then http/1.1.
fn tls_config(extra_roots: &[CertificateDer<'static>]) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = if extra_roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra_roots.iter().cloned(),
            provider.clone(),
        )
    }
    .map_err(|e| format!("cannot set up TLS verification: {e}"))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The proxy's scheme, host and port, without its credentials.
fn proxy_uri(proxy: &Url) -> Result<Uri, String> {
    let host = proxy.host_str().unwrap_or_default();
    let uri = match proxy.port() {
        Some(port) => format!("{}://{host}:{port}/", proxy.scheme()),
        None => format!("{}://{host}/", proxy.scheme()),
    };
    uri.parse()
        .map_err(|_| "proxy is not a usable URL".to_string())
}

/// `Basic base64(user:password)` from the proxy URL's userinfo, percent-decoded (as reqwest sent it).
fn proxy_authorization(proxy: &Url) -> Option<HeaderValue> {
    use base64::Engine as _;

    if proxy.username().is_empty() && proxy.password().is_none() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let userinfo = format!(
        "{}:{}",
        decode(proxy.username()),
        decode(proxy.password().unwrap_or(""))
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(userinfo);
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A connector whose whole connection (TCP, CONNECT, TLS) must be ready within the open timeout.
#[derive(Clone)]
pub struct OpenTimeout<C> {
    inner: C,
    timeout: Duration,
}

impl<C> OpenTimeout<C> {
    fn new(inner: C, timeout: Duration) -> Self {
        OpenTimeout { inner, timeout }
    }
}

impl<C> Service<Uri> for OpenTimeout<C>
where
    C: Service<Uri>,
    C::Response: Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => {
                    Err(io::Error::new(io::ErrorKind::TimedOut, "operation timed out").into())
                }
            }
        })
    }
}

/// The interim responses of one call, counted by hyper's HTTP/1 parser (HTTP/2's are skipped by
/// the h2 crate, with no hook).
#[derive(Default)]
struct InterimCount {
    seen: AtomicUsize,
    over: Notify,
}

impl InterimCount {
    fn watch(self: &Arc<Self>, request: &mut Request<Body>) {
        let count = Arc::clone(self);
        hyper::ext::on_informational(request, move |_| count.saw_one());
    }

    fn saw_one(&self) {
        if self.seen.fetch_add(1, Ordering::Relaxed) + 1 > MAX_INTERIM_RESPONSES {
            self.over.notify_one();
        }
    }

    /// Ready once the count has gone over the cap.
    async fn exceeded(&self) {
        self.over.notified().await
    }
}

fn too_many_interim_responses() -> GraphError {
    GraphError::InvalidResponse(format!(
        "WhatsApp API request stopped: the server sent more than {MAX_INTERIM_RESPONSES} interim (1xx) responses"
    ))
}

/// Whether an HTTP/2 server turned the request away before processing it (safe to send again).
fn refused_unprocessed(error: &hyper_util::client::legacy::Error) -> bool {
    causes(error).any(|cause| {
        cause.downcast_ref::<h2::Error>().is_some_and(|e| {
            e.is_remote()
                && ((e.is_go_away() && e.reason() == Some(h2::Reason::NO_ERROR))
                    || (e.is_reset() && e.reason() == Some(h2::Reason::REFUSED_STREAM)))
        })
    })
}

/// `error` and its causes. io::Error's `source()` skips the error it wraps (hyper-rustls wraps
/// rustls' error twice), so this steps into it instead.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |error| {
        match error
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        }
    })
}

/// A failure to connect, send or read, as a [`GraphError`] whose message names every cause
/// (hyper's own Display hides them) and is redacted all the same (URLs are never in them).
pub fn transport_error(error: &(dyn std::error::Error + 'static), secrets: &Secrets) -> GraphError {
    let mut text = String::new();
    for cause in causes(error) {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
    }
    let text = secrets.redact(&text);
    if let Some(problem) = causes(error).find_map(certificate_problem) {
        return GraphError::Connection(format!(
            "cannot connect to the WhatsApp API: {problem} ({text})"
        ));
    }
    let is_timeout = causes(error).any(|cause| {
        cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
            || cause
                .downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
    });
    let is_connect = error
        .downcast_ref::<hyper_util::client::legacy::Error>()
        .is_some_and(hyper_util::client::legacy::Error::is_connect);
    if is_timeout {
        GraphError::Timeout(format!("WhatsApp API connection timed out: {text}"))
    } else if is_connect {
        GraphError::Connection(format!("cannot connect to the WhatsApp API: {text}"))
    } else {
        GraphError::Connection(format!("WhatsApp API connection failed: {text}"))
    }
}

/// What is wrong with the server's TLS certificate, when `error` is rustls refusing it.
fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use rustls::CertificateError as Cert;

    let Some(rustls::Error::InvalidCertificate(why)) = error.downcast_ref::<rustls::Error>() else {
        return None;
    };
    Some(match why {
        Cert::UnknownIssuer => {
            "the server's TLS certificate is not trusted (its issuer is not a system root nor in ca_file)"
        }
        Cert::BadSignature => "the server's TLS certificate is not trusted (bad signature)",
        Cert::Expired | Cert::ExpiredContext { .. } => "the server's TLS certificate has expired",
        Cert::NotValidForName | Cert::NotValidForNameContext { .. } => {
            "the server's TLS certificate is not valid for the host of base_url"
        }
        Cert::Revoked => "the server's TLS certificate is revoked",
        _ => "the server's TLS certificate is invalid",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Instant;

    /// A raw HTTP/1.1 server on 127.0.0.1 answering its first request with `interim` 100 Continue
    /// (`None`: without end) and then a 200. Returns its URL.
    fn interim_server(interim: Option<usize>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v24.0/1", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0; 1];
            while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let interim_response = b"HTTP/1.1 100 Continue\r\n\r\n";
            match interim {
                Some(count) => {
                    for _ in 0..count {
                        socket.write_all(interim_response).unwrap();
                    }
                }
                None => while socket.write_all(&interim_response.repeat(64)).is_ok() {},
            }
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        });
        url
    }

    fn get(url: &str) -> Result<u16, GraphError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = HttpClient::new(Duration::from_secs(5), &[], None).unwrap();
            let request = Request::get(url).body(Body::default()).unwrap();
            let secrets = Secrets::new("test-token", None);
            let send = client.send(request, &secrets);
            match tokio::time::timeout(Duration::from_secs(10), send).await {
                Ok(response) => response.map(|response| response.status().as_u16()),
                Err(_) => panic!("the request was not stopped"),
            }
        })
    }

    #[test]
    fn interim_responses_up_to_the_cap_are_skipped() {
        for count in [1, MAX_INTERIM_RESPONSES] {
            assert_eq!(get(&interim_server(Some(count))), Ok(200), "{count}");
        }
    }

    #[test]
    fn one_interim_response_over_the_cap_stops_the_request() {
        let error = get(&interim_server(Some(MAX_INTERIM_RESPONSES + 1))).unwrap_err();
        assert_eq!(error, too_many_interim_responses());
        assert!(
            error
                .to_string()
                .contains("more than 5 interim (1xx) responses"),
            "{error}"
        );
    }

    #[test]
    fn an_endless_stream_of_interim_responses_is_stopped_at_once() {
        let started = Instant::now();
        let error = get(&interim_server(None)).unwrap_err();
        assert!(matches!(error, GraphError::InvalidResponse(_)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn proxy_credentials_are_sent_decoded_and_never_in_the_proxy_uri() {
        let proxy = Url::parse("http://wa:p%40ss@proxy.example:3128").unwrap();
        assert_eq!(
            proxy_uri(&proxy).unwrap(),
            "http://proxy.example:3128/".parse::<Uri>().unwrap()
        );
        let auth = proxy_authorization(&proxy).unwrap();
        assert_eq!(auth, "Basic d2E6cEBzcw=="); // wa:p@ss
        assert!(auth.is_sensitive());
        assert!(proxy_authorization(&Url::parse("https://proxy.example").unwrap()).is_none());
    }
}
