//! The HTTP/1.1 side of the fake: a hyper server on its own tokio runtime.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use super::raw::ReplyBody;
use super::{BodyProblem, RecordedRequest, Reply, SharedState, Step, MAX_BODY_BYTES};

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
}

impl FakeServer {
    /// Binds `host:port` (port 0 = ephemeral), starts a 2-worker tokio runtime (threads named
    /// "wa_health-fake") and serves HTTP/1.1 with keep-alive. Returns once the socket listens.
    pub fn start(host: &str, port: u16, state: SharedState) -> std::io::Result<FakeServer> {
        let std_listener = std::net::TcpListener::bind((host, port))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wa_health-fake")
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
        runtime.spawn(accept_loop(listener, state.clone(), cancel.clone()));
        Ok(FakeServer {
            port,
            state,
            cancel,
            runtime: Some(runtime),
            pid: std::process::id(),
        })
    }

    /// The bound port (the real one when started with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &SharedState {
        &self.state
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

async fn accept_loop(listener: TcpListener, state: SharedState, cancel: CancellationToken) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    // No header read timeout: idle keep-alive connections stay open until the client or
    // `stop` closes them, so tests that pause between calls never see a surprise close.
    builder
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(None);
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
        connections += 1;
        let connection = connections;
        let state = state.clone();
        let service = service_fn(move |request| {
            let state = state.clone();
            async move { handle(state, request, connection).await }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                _ = cancel.cancelled() => {}
            }
        });
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
    let (body, problem) = if declared_too_large {
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
    let reply = match state.admit(recorded) {
        Step::Reply(reply) => reply,
        Step::Wait(latency, recorded) => {
            tokio::time::sleep(latency).await;
            state.answer(&recorded)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::time::Instant;
    use tokio::net::TcpStream;

    // tokio's io-util feature is not enabled in the crate, so use the readiness API.
    async fn write_all(stream: &TcpStream, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            stream.writable().await?;
            match stream.try_write(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn read(stream: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            stream.readable().await?;
            match stream.try_read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }

    struct Resp {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Resp {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        fn json(&self) -> Value {
            serde_json::from_slice(&self.body).expect("JSON body")
        }
    }

    /// Minimal HTTP/1.1 client over one TCP connection (Content-Length bodies only).
    struct Client {
        stream: TcpStream,
        buf: Vec<u8>,
    }

    impl Client {
        async fn connect(port: u16) -> Client {
            let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            Client {
                stream,
                buf: Vec::new(),
            }
        }

        async fn request(
            &mut self,
            method: &str,
            target: &str,
            headers: &[(&str, &str)],
            body: &[u8],
        ) -> Resp {
            let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (name, value) in headers {
                raw.push_str(&format!("{name}: {value}\r\n"));
            }
            raw.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let mut raw = raw.into_bytes();
            raw.extend_from_slice(body);
            write_all(&self.stream, &raw).await.unwrap();
            self.read_response().await
        }

        async fn fill(&mut self) {
            let mut chunk = [0u8; 8192];
            let n = read(&self.stream, &mut chunk).await.unwrap();
            assert!(n > 0, "connection closed by the server");
            self.buf.extend_from_slice(&chunk[..n]);
        }

        async fn read_response(&mut self) -> Resp {
            let head_end = loop {
                if let Some(pos) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break pos;
                }
                self.fill().await;
            };
            let head = String::from_utf8(self.buf[..head_end].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap();
            assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
            let status = status_line[9..12].parse().unwrap();
            let headers: Vec<(String, String)> = lines
                .map(|l| {
                    let (n, v) = l.split_once(':').unwrap();
                    (n.trim().to_ascii_lowercase(), v.trim().to_owned())
                })
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse().unwrap())
                .expect("content-length");
            while self.buf.len() < head_end + 4 + length {
                self.fill().await;
            }
            let rest = self.buf.split_off(head_end + 4 + length);
            let body = self.buf[head_end + 4..].to_vec();
            self.buf = rest;
            Resp {
                status,
                headers,
                body,
            }
        }
    }

    fn client_runtime() -> Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn start_server() -> FakeServer {
        let state = SharedState::new();
        state
            .upsert_node(
                "1001",
                &json!({"kind": "phone", "access_token": "node-token", "fields": {
                    "display_phone_number": "+1 555-0100", "verified_name": "Acme",
                    "quality_rating": "GREEN", "status": "PENDING"
                }}),
            )
            .unwrap();
        FakeServer::start("127.0.0.1", 0, state).unwrap()
    }

    const AUTH: (&str, &str) = ("Authorization", "Bearer test-token");

    #[test]
    fn keep_alive_two_requests_on_one_connection() {
        let server = start_server();
        assert_ne!(server.port(), 0);
        client_runtime().block_on(async {
            let mut client = Client::connect(server.port()).await;
            let a = client
                .request("GET", "/v24.0/1001?fields=id,quality_rating", &[AUTH], b"")
                .await;
            assert_eq!(a.status, 200);
            assert_eq!(a.json(), json!({"id": "1001", "quality_rating": "GREEN"}));
            assert_eq!(
                a.header("content-type"),
                Some("application/json; charset=UTF-8")
            );
            assert_eq!(
                a.header("x-app-usage"),
                Some(r#"{"call_count":1,"total_cputime":1,"total_time":1}"#)
            );
            let buc: Value =
                serde_json::from_str(a.header("x-business-use-case-usage").unwrap()).unwrap();
            assert_eq!(buc["1001"][0]["call_count"], 1);
            let b = client
                .request("GET", "/v24.0/1001?fields=bogus", &[AUTH], b"")
                .await;
            assert_eq!(b.status, 400);
            assert_eq!(b.json()["error"]["code"], 100);
            assert!(b.header("x-app-usage").is_some());
        });
        let state = server.state();
        assert_eq!(state.stats()["request_count"], 2);
        let log = state.requests();
        assert_eq!(log.as_array().unwrap().len(), 2);
        assert_eq!(log[0]["query"], "fields=id,quality_rating");
        assert_eq!(log[1]["headers"]["authorization"], "Bearer test-token");
        assert_eq!(log[1]["headers"]["host"], "127.0.0.1");
    }

    #[test]
    fn auth_over_socket() {
        let server = start_server();
        client_runtime().block_on(async {
            let mut client = Client::connect(server.port()).await;
            let r = client.request("GET", "/v24.0/1001", &[], b"").await;
            assert_eq!(r.status, 400);
            assert_eq!(r.json()["error"]["code"], 2500);
            let r = client
                .request(
                    "GET",
                    "/v24.0/1001",
                    &[("Authorization", "Bearer leaked-value")],
                    b"",
                )
                .await;
            assert_eq!(r.status, 401);
            assert_eq!(r.json()["error"]["code"], 190);
            assert!(r.json()["error"].get("error_subcode").is_none());
            assert!(!String::from_utf8_lossy(&r.body).contains("leaked-value"));
            assert!(!r.headers.iter().any(|(_, v)| v.contains("leaked-value")));
            let r = client
                .request(
                    "GET",
                    "/v24.0/1001",
                    &[("Authorization", "Bearer node-token")],
                    b"",
                )
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["verified_name"], "Acme");
        });
    }

    #[test]
    fn register_over_socket() {
        let server = start_server();
        client_runtime().block_on(async {
            let mut client = Client::connect(server.port()).await;
            let r = client
                .request(
                    "POST",
                    "/v24.0/1001/register",
                    &[AUTH, ("Content-Type", "application/json")],
                    br#"{"messaging_product":"whatsapp","pin":"654321"}"#,
                )
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json(), json!({"success": true}));
            let r = client
                .request(
                    "GET",
                    "/v24.0/1001?fields=status,platform_type",
                    &[AUTH],
                    b"",
                )
                .await;
            assert_eq!(
                r.json(),
                json!({"id": "1001", "status": "CONNECTED", "platform_type": "CLOUD_API"})
            );
        });
        assert_eq!(server.state().node("1001").unwrap()["pin"], "654321");
        assert_eq!(
            server.state().requests()[0]["body"],
            r#"{"messaging_product":"whatsapp","pin":"654321"}"#
        );
    }

    #[test]
    fn canned_answers_over_socket() {
        let server = start_server();
        let state = server.state().clone();
        state
            .enqueue(&json!({
                "node": "1001", "endpoint": "get", "status": 503, "body": "upstream down",
                "headers": {"X-App-Usage": "{\"call_count\":99}", "Retry-After": "3"}
            }))
            .unwrap();
        state
            .enqueue(&json!({"status": 500, "body": {"error": {"code": 2, "is_transient": true}}, "delay_ms": 50}))
            .unwrap();
        client_runtime().block_on(async {
            let mut client = Client::connect(server.port()).await;
            let r = client.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            assert_eq!(r.status, 503);
            assert_eq!(r.body, b"upstream down");
            assert_eq!(r.header("content-type"), Some("text/plain"));
            assert_eq!(r.header("x-app-usage"), Some("{\"call_count\":99}"));
            assert_eq!(r.header("retry-after"), Some("3"));
            assert!(r.header("x-business-use-case-usage").is_some());
            let started = Instant::now();
            let r = client.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            assert!(started.elapsed() >= Duration::from_millis(50));
            assert_eq!(r.status, 500);
            assert_eq!(r.json()["error"]["is_transient"], true);
            let r = client.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            assert_eq!(r.status, 200);
        });
    }

    #[test]
    fn oversized_bodies_get_413() {
        let server = start_server();
        client_runtime().block_on(async {
            // Declared too large: answered without reading the body.
            let mut client = Client::connect(server.port()).await;
            let raw = format!(
                "POST /v24.0/1001/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\nContent-Length: {}\r\n\r\n",
                MAX_BODY_BYTES + 1
            );
            write_all(&client.stream, raw.as_bytes()).await.unwrap();
            let r = client.read_response().await;
            assert_eq!(r.status, 413);
            assert_eq!(r.json()["error"]["code"], 100);
            // Chunked, found too large while reading.
            let mut client = Client::connect(server.port()).await;
            let head = "POST /v24.0/1001/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
            write_all(&client.stream, head.as_bytes()).await.unwrap();
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent <= MAX_BODY_BYTES {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                if write_all(&client.stream, &framed).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            let _ = write_all(&client.stream, b"0\r\n\r\n").await;
            let r = client.read_response().await;
            assert_eq!(r.status, 413);
            // Just under the limit is fine (and reaches the normal logic).
            let mut client = Client::connect(server.port()).await;
            let body = vec![b' '; MAX_BODY_BYTES];
            let r = client
                .request("POST", "/v24.0/1001/deregister", &[AUTH], &body)
                .await;
            assert_eq!(r.status, 200);
        });
        let log = server.state().requests();
        assert_eq!(log.as_array().unwrap().len(), 3);
        assert_eq!(log[0]["body"], "");
    }

    #[test]
    fn latency_is_concurrent_and_counted_in_flight() {
        let server = start_server();
        let state = server.state().clone();
        state.configure(&json!({"latency_ms": 200})).unwrap();
        let port = server.port();
        let started = Instant::now();
        client_runtime().block_on(async move {
            let mut tasks = Vec::new();
            for _ in 0..4 {
                tasks.push(tokio::spawn(async move {
                    let mut client = Client::connect(port).await;
                    client
                        .request("GET", "/v24.0/1001?fields=id", &[AUTH], b"")
                        .await
                        .status
                }));
            }
            for task in tasks {
                assert_eq!(task.await.unwrap(), 200);
            }
        });
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(700), "{elapsed:?}");
        assert_eq!(
            state.stats(),
            json!({"request_count": 4, "in_flight": 0, "max_in_flight": 4})
        );
    }

    #[test]
    fn stop_is_idempotent_and_closes_everything() {
        let mut server = start_server();
        let port = server.port();
        let names: Vec<String> = std::fs::read_dir("/proc/self/task")
            .map(|dir| {
                dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                    .collect()
            })
            .unwrap_or_default();
        if !names.is_empty() {
            assert!(
                names
                    .iter()
                    .filter(|n| n.trim() == "wa_health-fake")
                    .count()
                    >= 2
            );
        }
        let rt = client_runtime();
        let idle = rt.block_on(async {
            let mut client = Client::connect(port).await;
            let r = client.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            assert_eq!(r.status, 200);
            client
        });
        let started = Instant::now();
        server.stop();
        server.stop();
        assert!(started.elapsed() < Duration::from_secs(3));
        rt.block_on(async {
            // The idle keep-alive connection was closed.
            let mut byte = [0u8; 1];
            let n = tokio::time::timeout(Duration::from_secs(2), read(&idle.stream, &mut byte))
                .await
                .expect("closed promptly")
                .unwrap_or(0);
            assert_eq!(n, 0);
            assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
        });
        drop(server);
    }

    /// Reads until the server closes the connection or `limit` passes; returns what came.
    async fn read_until_close(stream: &TcpStream, limit: Duration) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, read(stream, &mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
                Ok(Ok(n)) => out.extend_from_slice(&chunk[..n]),
                Err(_) => return (out, false),
            }
        }
    }

    #[test]
    fn raw_bytes_bodies_are_sent_exactly() {
        let server = start_server();
        server
            .state()
            .enqueue(&json!({"body_base64": "/wB7fQ==", "headers": {"Content-Encoding": "gzip"}}))
            .unwrap();
        client_runtime().block_on(async {
            let mut client = Client::connect(server.port()).await;
            let r = client.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            assert_eq!(r.status, 200);
            assert_eq!(r.body, b"\xff\x00{}");
            assert_eq!(r.header("content-encoding"), Some("gzip"));
            assert_eq!(r.header("content-length"), Some("4"));
        });
    }

    #[test]
    fn dripped_bodies_arrive_chunked_and_slowly() {
        let server = start_server();
        server
            .state()
            .enqueue(&json!({"body": "abc", "drip_ms": 150}))
            .unwrap();
        client_runtime().block_on(async {
            let client = Client::connect(server.port()).await;
            let raw = "GET /v24.0/1001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\nConnection: close\r\n\r\n";
            write_all(&client.stream, raw.as_bytes()).await.unwrap();
            // Headers and the first byte come at once; the rest has not arrived 100 ms later.
            let (early, closed) = read_until_close(&client.stream, Duration::from_millis(100)).await;
            assert!(!closed);
            let early = String::from_utf8(early).unwrap();
            assert!(early.starts_with("HTTP/1.1 200"), "{early}");
            assert!(early.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{early}");
            assert!(early.ends_with("1\r\na\r\n"), "{early:?}");
            let (rest, closed) = read_until_close(&client.stream, Duration::from_secs(5)).await;
            assert!(closed);
            assert_eq!(rest, b"1\r\nb\r\n1\r\nc\r\n0\r\n\r\n");
        });
    }

    #[test]
    fn hang_up_closes_without_an_answer() {
        let server = start_server();
        server.state().enqueue(&json!({"hang_up": true})).unwrap();
        client_runtime().block_on(async {
            let client = Client::connect(server.port()).await;
            let raw = "GET /v24.0/1001 HTTP/1.1\r\nHost: x\r\n\r\n";
            write_all(&client.stream, raw.as_bytes()).await.unwrap();
            let (answer, closed) = read_until_close(&client.stream, Duration::from_secs(5)).await;
            assert!(closed);
            assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
        });
        assert_eq!(server.state().requests().as_array().unwrap().len(), 1);
    }

    #[test]
    fn cut_bodies_drop_the_connection_mid_body() {
        let server = start_server();
        server
            .state()
            .enqueue(&json!({"body": "abcdef", "cut_after_bytes": 2}))
            .unwrap();
        client_runtime().block_on(async {
            let client = Client::connect(server.port()).await;
            let raw = "GET /v24.0/1001 HTTP/1.1\r\nHost: x\r\n\r\n";
            write_all(&client.stream, raw.as_bytes()).await.unwrap();
            let (answer, closed) = read_until_close(&client.stream, Duration::from_secs(5)).await;
            assert!(closed);
            let answer = String::from_utf8(answer).unwrap();
            assert!(answer.contains("content-length: 6\r\n"), "{answer}");
            assert!(answer.ends_with("\r\n\r\nab"), "{answer:?}");
        });
    }

    #[test]
    fn requests_record_which_connection_carried_them() {
        let server = start_server();
        client_runtime().block_on(async {
            let mut first = Client::connect(server.port()).await;
            first.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            first.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            let mut second = Client::connect(server.port()).await;
            second.request("GET", "/v24.0/1001", &[AUTH], b"").await;
        });
        let log = server.state().requests();
        let ids: Vec<u64> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["connection"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, vec![1, 1, 2]);
    }

    #[test]
    fn start_fails_on_a_taken_port() {
        let server = start_server();
        assert!(FakeServer::start("127.0.0.1", server.port(), SharedState::new()).is_err());
    }

    #[test]
    fn drop_inside_a_runtime_does_not_panic() {
        client_runtime().block_on(async {
            let server = start_server();
            let mut client = Client::connect(server.port()).await;
            assert_eq!(
                client
                    .request("GET", "/v24.0/1001", &[AUTH], b"")
                    .await
                    .status,
                200
            );
            drop(server);
        });
    }
}
