//! HTTP-level answers over real sockets: 411 for a POST without a length, and Meta's recorded
//! answers served with their own status, headers and body.

use serde_json::{json, Map, Value};

use super::http_client::{client_runtime, Client};
use super::server::{raw_exchange, start_server, AUTH};
use super::{meta_dir, meta_fixture_file};

/// A deregister with `head` (extra header lines) and `body`, on a connection closed after it.
fn deregister(head: &str, body: &str) -> String {
    format!(
        "POST /v24.0/1001/deregister HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\nConnection: close\r\n{head}\r\n{body}"
    )
}

/// The status code and the body of a raw answer.
fn status_and_body(answer: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(answer);
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

#[test]
fn a_post_without_a_length_gets_411_unless_allowed() {
    let server = start_server();
    let state = server.state().clone();
    // The HTTP layer answers before any canned answer.
    state
        .enqueue(&json!({"endpoint": "deregister", "body": "canned"}))
        .unwrap();
    let exchange = |raw: String| {
        let (answer, closed) = client_runtime().block_on(raw_exchange(server.port(), &raw));
        assert!(closed);
        status_and_body(&answer)
    };
    assert_eq!(
        exchange(deregister("", "")),
        (411, "Length Required".into())
    );
    assert_eq!(
        exchange(deregister("Content-Length: 0\r\n", "")),
        (200, "canned".into())
    );
    assert_eq!(
        exchange(deregister("Content-Length: 0\r\n", "")),
        (200, r#"{"success":true}"#.into())
    );
    let chunked = deregister("Transfer-Encoding: chunked\r\n", "0\r\n\r\n");
    assert_eq!(exchange(chunked).0, 200);
    // Only POSTs need one.
    let get = "GET /v24.0/1001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\nConnection: close\r\n\r\n";
    assert_eq!(exchange(get.to_owned()).0, 200);
    state
        .configure(&json!({"require_content_length": false}))
        .unwrap();
    assert_eq!(exchange(deregister("", "")).0, 200);
    // Every one of them was recorded.
    let log = state.requests();
    assert_eq!(log.as_array().unwrap().len(), 6);
    assert!(log[0]["headers"].get("content-length").is_none());
}

#[test]
fn recorded_answers_are_served_with_their_own_status_headers_and_body() {
    let server = start_server();
    let mut served = 0;
    client_runtime().block_on(async {
        let mut client = Client::connect(server.port()).await;
        for entry in std::fs::read_dir(meta_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let fixture = meta_fixture_file(&path);
            let headers = fixture["headers"].as_object().cloned().unwrap_or_default();
            // The fake's own usage headers go, unless the recording has them.
            let mut sent: Map<String, Value> = ["X-App-Usage", "X-Business-Use-Case-Usage"]
                .iter()
                .map(|name| (name.to_string(), Value::Null))
                .collect();
            sent.extend(headers.clone());
            let body = fixture.get("body_text").unwrap_or(&fixture["body"]);
            let status = &fixture["http_status"];
            let canned = json!({"status": status, "headers": sent, "body": body});
            server.state().enqueue(&canned).unwrap();
            let r = client.request("GET", "/v24.0/1001", &[AUTH], b"").await;
            assert_eq!(json!(r.status), *status, "{path:?}");
            for (name, value) in &headers {
                let mut found = r
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name));
                assert_eq!(
                    found.next().map(|(_, v)| json!(v)),
                    Some(value.clone()),
                    "{path:?} {name}"
                );
                assert!(found.next().is_none(), "{path:?}: {name} twice");
            }
            for usage in ["x-app-usage", "x-business-use-case-usage"] {
                let recorded = headers.keys().any(|n| n.eq_ignore_ascii_case(usage));
                assert_eq!(r.header(usage).is_some(), recorded, "{path:?} {usage}");
            }
            match body {
                Value::String(text) => assert_eq!(r.body, text.as_bytes(), "{path:?}"),
                json_body => assert_eq!(r.json(), *json_body, "{path:?}"),
            }
            served += 1;
        }
    });
    assert!(served >= 60, "{served}");
}
