//! The HTTP side of the fake: a hyper server on its own tokio runtime, serving HTTP/1.1 in the
//! clear, or HTTP/1.1 and HTTP/2 (by ALPN) over TLS.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::handler::{self, Step};
use crate::raw::ReplyBody;
use crate::record::{BodyProblem, RecordedRequest, MAX_BODY_BYTES};
use crate::reply::Reply;
use crate::state::SharedState;
use crate::tls::{self, TlsIdentity, TlsOptions};

/// How long [`FakeServer::stop`] waits for the runtime's tasks and threads.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

/// A running fake Graph API server. Stops on [`FakeServer::stop`] or when dropped.
pub struct FakeServer {
    port: u16,
    state: SharedState,
    cancel: CancellationToken,
    runtime: Option<Runtime>,
    /// The process that started it: in a forked child the runtime's threads do not exist.
    pid: u32,
    /// The test CA's certificate (PEM) when serving HTTPS.
    ca_pem: Option<String>,
    #[cfg_attr(not(test), allow(dead_code))] // read by the tests
    threads: Arc<RuntimeThreads>,
}

/// This server's runtime threads, counted from inside them as they start and stop (other servers
/// in the same process have threads of the same name).
#[derive(Default)]
struct RuntimeThreads {
    live: AtomicUsize,
    /// The name the OS shows for each thread as it started (Linux; empty elsewhere).
    #[cfg(test)]
    os_names: std::sync::Mutex<Vec<String>>,
}

impl RuntimeThreads {
    fn started(&self) {
        self.live.fetch_add(1, Ordering::SeqCst);
        #[cfg(test)]
        {
            let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap_or_default();
            let mut names = self.os_names.lock().unwrap_or_else(|e| e.into_inner());
            names.push(comm.trim().to_owned());
        }
    }

    fn stopped(&self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FakeServer {
    /// Binds `host:port` (port 0 = ephemeral), starts a 2-worker tokio runtime (threads named
    /// "wa_health-fake") and serves HTTP/1.1 with keep-alive. Returns once the socket listens.
    pub fn start(host: &str, port: u16, state: SharedState) -> std::io::Result<FakeServer> {
        FakeServer::start_with(host, port, state, None)
    }

    /// Like [`FakeServer::start`], or with `tls`, serves HTTPS with a certificate of its kind,
    /// issued by a test CA made for this server ([`FakeServer::ca_pem`]), offering the protocols of
    /// its `alpn`.
    pub fn start_with(
        host: &str,
        port: u16,
        state: SharedState,
        tls: Option<TlsOptions>,
    ) -> std::io::Result<FakeServer> {
        let identity = tls.as_ref().map(tls::identity).transpose()?;
        let ca_pem = identity.as_ref().map(|i| i.ca_pem.clone());
        let std_listener = std::net::TcpListener::bind((host, port))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let threads = Arc::new(RuntimeThreads::default());
        let (on_start, on_stop) = (Arc::clone(&threads), Arc::clone(&threads));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wa_health-fake")
            .on_thread_start(move || on_start.started())
            .on_thread_stop(move || on_stop.stopped())
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener)
        };
        let listener = match listener {
            Ok(l) => l,
            Err(e) => {
                runtime.shutdown_background();
                return Err(e);
            }
        };
        let cancel = CancellationToken::new();
        runtime.spawn(accept_loop(
            listener,
            state.clone(),
            cancel.clone(),
            identity,
        ));
        Ok(FakeServer {
            port,
            state,
            cancel,
            runtime: Some(runtime),
            pid: std::process::id(),
            ca_pem,
            threads,
        })
    }

    /// The bound port (the real one when started with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test CA's certificate (PEM) that issued the server's, when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// How many of this server's runtime threads are running now.
    #[cfg(test)]
    pub(crate) fn live_threads(&self) -> usize {
        self.threads.live.load(Ordering::SeqCst)
    }

    /// The OS names of this server's runtime threads, as each started.
    #[cfg(test)]
    pub(crate) fn thread_os_names(&self) -> Vec<String> {
        let names = self.threads.os_names.lock();
        names.unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops accepting, closes every connection and shuts the runtime down, waiting at most
    /// about 2 s. Idempotent.
    pub fn stop(&mut self) {
        if self.pid != std::process::id() {
            // A forked child's copy: the server is the parent's, and shutting the runtime down
            // would wait for threads that only exist in the parent (or for locks they held when
            // the process forked). Leave it all alone; the child's exit releases the memory.
            if let Some(runtime) = self.runtime.take() {
                std::mem::forget(runtime);
            }
            return;
        }
        self.cancel.cancel();
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Blocking inside another runtime would panic; the tasks observe the
                // cancellation and the threads wind down on their own.
                runtime.shutdown_background();
            } else {
                runtime.shutdown_timeout(SHUTDOWN_WAIT);
            }
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: SharedState,
    cancel: CancellationToken,
    tls: Option<TlsIdentity>,
) {
    let mut http1 = hyper::server::conn::http1::Builder::new();
    // No header read timeout: idle keep-alive connections stay open until the client or
    // `stop` closes them, so tests that pause between calls never see a surprise close.
    http1
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    let mut auto = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    auto.http1()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    auto.http2().timer(TokioTimer::new());
    let auto = Arc::new(auto);
    let mut connections = 0u64;
    loop {
        let accepted = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(_) => {
                // Typically EMFILE: back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        state.connection_accepted();
        connections += 1;
        let connection = connections;
        let state = state.clone();
        let service = service_fn(move |request| {
            let state = state.clone();
            async move { handle(state, request, connection).await }
        });
        let cancel = cancel.clone();
        match &tls {
            None => {
                let connection = http1.serve_connection(TokioIo::new(stream), service);
                tokio::spawn(async move {
                    tokio::select! {
                        _ = connection => {}
                        _ = cancel.cancelled() => {}
                    }
                });
            }
            Some(tls) => {
                let acceptor = tls.acceptor.clone();
                let auto = Arc::clone(&auto);
                tokio::spawn(async move {
                    let serve = async {
                        // A failed handshake (an untrusting client hangs up) just ends the connection.
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = auto.serve_connection(TokioIo::new(stream), service).await;
                        }
                    };
                    tokio::select! {
                        _ = serve => {}
                        _ = cancel.cancelled() => {}
                    }
                });
            }
        }
    }
}

/// Returned by the service to make hyper drop the connection without an answer.
#[derive(Debug)]
struct HangUp;

impl std::fmt::Display for HangUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hung up on purpose")
    }
}

impl std::error::Error for HangUp {}

async fn handle(
    state: SharedState,
    request: Request<Incoming>,
    connection: u64,
) -> Result<Response<ReplyBody>, HangUp> {
    let _in_flight = state.begin();
    let (parts, body) = request.into_parts();
    let declared_too_large = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY_BYTES as u64);
    let no_length = parts.method == hyper::Method::POST
        && !parts.headers.contains_key(CONTENT_LENGTH)
        && !parts.headers.contains_key(TRANSFER_ENCODING);
    let (body, problem) = if no_length {
        (Bytes::new(), Some(BodyProblem::NoLength))
    } else if declared_too_large {
        (Bytes::new(), Some(BodyProblem::TooLarge))
    } else {
        match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => (collected.to_bytes(), None),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                (Bytes::new(), Some(BodyProblem::TooLarge))
            }
            Err(_) => (Bytes::new(), Some(BodyProblem::Unreadable)),
        }
    };
    let recorded = RecordedRequest {
        http_version: format!("{:?}", parts.version),
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        problem,
        connection,
    };
    let reply = match handler::admit(&state, recorded) {
        Step::Reply(reply) => reply,
        Step::Wait(latency, recorded) => {
            tokio::time::sleep(latency).await;
            handler::answer(&state, &recorded)
        }
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if reply.hang_up {
        return Err(HangUp);
    }
    Ok(into_response(reply))
}

fn into_response(reply: Reply) -> Response<ReplyBody> {
    let mut body = ReplyBody::new(reply.body, reply.drip);
    if let Some(bytes) = reply.cut_after {
        body = body.cut_after(bytes);
    }
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        // Values were validated when queued; anything else invalid is skipped, not fatal.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}
