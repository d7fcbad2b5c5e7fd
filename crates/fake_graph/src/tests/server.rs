//! The server over real sockets, with a minimal HTTP/1.1 client.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::TcpStream;

use super::http_client::{client_runtime, read, read_until_close, write_all, Client};
use crate::record::MAX_BODY_BYTES;
use crate::state::SharedState;
use crate::FakeServer;

pub(crate) fn start_server() -> FakeServer {
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

pub(crate) const AUTH: (&str, &str) = ("Authorization", "Bearer test-token");

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
        let leaked = [("Authorization", "Bearer leaked-value")];
        let r = client.request("GET", "/v24.0/1001", &leaked, b"").await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error"]["code"], 190);
        assert!(r.json()["error"].get("error_subcode").is_none());
        assert!(!String::from_utf8_lossy(&r.body).contains("leaked-value"));
        assert!(!r.headers.iter().any(|(_, v)| v.contains("leaked-value")));
        let own = [("Authorization", "Bearer node-token")];
        let r = client.request("GET", "/v24.0/1001", &own, b"").await;
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
        json!({"request_count": 4, "in_flight": 0, "max_in_flight": 4, "connections": 4})
    );
}

#[test]
fn stop_is_idempotent_and_closes_everything() {
    let mut server = start_server();
    let port = server.port();
    // This server's own threads (tests run in parallel, and every server names its threads
    // alike): two workers, named for `top -H`, running until stop.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.live_threads() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.live_threads(), 2);
    let names = server.thread_os_names();
    assert_eq!(names.len(), 2, "{names:?}");
    if std::path::Path::new("/proc/thread-self/comm").exists() {
        assert!(names.iter().all(|n| n == "wa_health-fake"), "{names:?}");
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
    assert_eq!(server.live_threads(), 0);
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

/// A server whose next answer is `canned`.
pub(crate) fn server_answering(canned: Value) -> FakeServer {
    let server = start_server();
    server.state().enqueue(&canned).unwrap();
    server
}

/// A new connection on which `raw` was sent.
async fn send_raw(port: u16, raw: &str) -> Client {
    let client = Client::connect(port).await;
    write_all(&client.stream, raw.as_bytes()).await.unwrap();
    client
}

/// What came back for `raw` on a new connection, and whether the server closed it within 5 s.
pub(crate) async fn raw_exchange(port: u16, raw: &str) -> (Vec<u8>, bool) {
    let client = send_raw(port, raw).await;
    read_until_close(&client.stream, Duration::from_secs(5)).await
}

const PLAIN_GET: &str = "GET /v24.0/1001 HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn raw_bytes_bodies_are_sent_exactly() {
    let server = server_answering(
        json!({"body_base64": "/wB7fQ==", "headers": {"Content-Encoding": "gzip"}}),
    );
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
    let server = server_answering(json!({"body": "abc", "drip_ms": 150}));
    client_runtime().block_on(async {
        let raw = "GET /v24.0/1001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\nConnection: close\r\n\r\n";
        let client = send_raw(server.port(), raw).await;
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
    let server = server_answering(json!({"hang_up": true}));
    let (answer, closed) = client_runtime().block_on(raw_exchange(server.port(), PLAIN_GET));
    assert!(closed);
    assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
    assert_eq!(server.state().requests().as_array().unwrap().len(), 1);
}

#[test]
fn cut_bodies_drop_the_connection_mid_body() {
    let server = server_answering(json!({"body": "abcdef", "cut_after_bytes": 2}));
    let (answer, closed) = client_runtime().block_on(raw_exchange(server.port(), PLAIN_GET));
    assert!(closed);
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.contains("content-length: 6\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nab"), "{answer:?}");
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
    assert_eq!(server.state().stats()["connections"], 2);
    // Counted when accepted, whether or not a request follows; reset with the other stats.
    client_runtime().block_on(async {
        let _idle = Client::connect(server.port()).await;
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.state().stats()["connections"] != 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.state().stats()["connections"], 3);
    server.state().reset_stats();
    assert_eq!(server.state().stats()["connections"], 0);
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
