//! The owner's JSON: canned answers as served, and malformed settings, nodes and answers refused.

use std::time::Duration;

use crate::options::decode_base64;
use crate::raw::Drip;
use crate::reply::{APP_USAGE, JSON_CONTENT_TYPE};

use super::*;

#[test]
fn queued_answers() {
    let st = fixture();
    st.enqueue(&json!({"node": "2001", "status": 500, "body": {"error": {"code": 1}}}))
        .unwrap();
    st.enqueue(&json!({"endpoint": "register", "status": 503, "body": {"error": {"code": 133004}}, "times": 2}))
        .unwrap();
    st.enqueue(&json!({"node": "1001", "endpoint": "get", "status": 502, "body": "<html>bad gateway</html>", "content_type": "text/html"}))
        .unwrap();
    // GET 1001 -> third entry (the first two do not match).
    let r = get(&st, "/v24.0/1001?fields=id");
    assert_eq!(r.status, 502);
    assert_eq!(&r.body[..], b"<html>bad gateway</html>");
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("x-app-usage"), Some(APP_USAGE));
    // Used up.
    assert_eq!(get(&st, "/v24.0/1001?fields=id").status, 200);
    // register twice, even without a token: canned answers replace all normal logic.
    for _ in 0..2 {
        let r = call(&st, "POST", "/v24.0/1001/register", None, None, "");
        assert_eq!(r.status, 503);
        assert_eq!(body(&r)["error"]["code"], 133004);
    }
    assert_eq!(st.node("1001").unwrap()["register_attempts"], 0);
    let r = register(&st, "1001", "123456");
    assert_eq!(r.status, 200);
    // Node-only entry matches any endpoint of that node.
    let r = get(&st, "/v24.0/2001/subscribed_apps");
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some(JSON_CONTENT_TYPE));
    // Raw string defaults to text/plain; headers override and remove defaults.
    st.enqueue(&json!({
        "status": 429,
        "body": "",
        "headers": {"X-App-Usage": "{\"call_count\":100}", "X-Business-Use-Case-Usage": null, "Retry-After": "5"},
        "delay_ms": 15
    }))
    .unwrap();
    let r = get(&st, "/v24.0/1001");
    assert_eq!(r.status, 429);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("x-app-usage"), Some("{\"call_count\":100}"));
    assert_eq!(r.header("x-business-use-case-usage"), None);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.delay, Duration::from_millis(15));
    // clear_queue.
    st.enqueue(&json!({"status": 500, "times": 5})).unwrap();
    st.clear_queue();
    assert_eq!(get(&st, "/v24.0/1001").status, 200);
}

#[test]
fn malformed_arguments_are_refused() {
    let st = SharedState::new();
    assert!(st.configure(&json!([])).is_err());
    assert!(st.configure(&json!({"latency_ms": -1})).is_err());
    assert!(st
        .configure(&json!({"latency": 5}))
        .unwrap_err()
        .contains("latency"));
    assert!(st.configure(&json!({"app_secret": 5})).is_err());
    assert!(st
        .upsert_node("1", &json!({"fields": {}}))
        .unwrap_err()
        .contains("kind"));
    assert!(st.upsert_node("1", &json!({"kind": "user"})).is_err());
    assert!(st
        .upsert_node("1", &json!({"kind": "phone", "fields": []}))
        .is_err());
    assert!(st
        .upsert_node("1", &json!({"kind": "phone", "typo": 1}))
        .is_err());
    assert!(st.upsert_node("", &json!({"kind": "phone"})).is_err());
    assert!(st.enqueue(&json!({"status": 1000})).is_err());
    assert!(st.enqueue(&json!({"endpoint": "messages"})).is_err());
    assert!(st.enqueue(&json!({"times": 0})).is_err());
    assert!(st.enqueue(&json!({"headers": {"bad name": "x"}})).is_err());
    assert!(st
        .enqueue(&json!({"headers": {"x-a": "line\nbreak"}}))
        .is_err());
    assert!(st.enqueue(&json!("x")).is_err());
    assert!(st.node("1").is_none());
    // node() round-trips through upsert_node().
    st.upsert_node("1", &json!({"kind": "waba", "fields": {"name": "n"}}))
        .unwrap();
    let node = st.node("1").unwrap();
    st.upsert_node("1", &node).unwrap();
    assert_eq!(st.node("1").unwrap(), node);
}

#[test]
fn raw_dripped_and_hang_up_answers_are_parsed() {
    let st = fixture();
    st.enqueue(&json!({"body_base64": "/w==", "drip_ms": 1000, "times": 2}))
        .unwrap();
    st.enqueue(&json!({"body": "xy", "chunk_bytes": 64}))
        .unwrap();
    st.enqueue(&json!({"hang_up": true, "delay_ms": 5}))
        .unwrap();
    st.enqueue(&json!({"body": "abc", "cut_after_bytes": 1}))
        .unwrap();
    for _ in 0..2 {
        let r = get(&st, "/v24.0/1001");
        assert_eq!(&r.body[..], b"\xff");
        assert_eq!(
            r.drip,
            Some(Drip {
                interval: Duration::from_secs(1),
                chunk: 1
            })
        );
        assert!(!r.hang_up);
    }
    let r = get(&st, "/v24.0/1001");
    assert_eq!(
        r.drip,
        Some(Drip {
            interval: Duration::ZERO,
            chunk: 64
        })
    );
    let r = get(&st, "/v24.0/1001");
    assert!(r.hang_up);
    assert_eq!(r.delay, Duration::from_millis(5));
    let r = get(&st, "/v24.0/1001");
    assert_eq!((r.cut_after, &r.body[..]), (Some(1), &b"abc"[..]));
    // The normal logic never drips or hangs up.
    let r = get(&st, "/v24.0/1001");
    assert_eq!((r.status, r.drip, r.hang_up), (200, None, false));
    for bad in [
        json!({"body_base64": "@@"}),
        json!({"body_base64": 5}),
        json!({"body": "x", "body_base64": "eA=="}),
        json!({"drip_ms": -1}),
        json!({"chunk_bytes": 0}),
        json!({"hang_up": "yes"}),
        json!({"cut_after_bytes": -1}),
    ] {
        assert!(st.enqueue(&bad).is_err(), "{bad}");
    }
}

#[test]
fn errors_name_the_member_at_fault() {
    let st = fixture();
    let cases = [
        (
            st.configure(&json!({"latency_ms": -1})),
            "settings.latency_ms: invalid value: integer `-1`, expected u64",
        ),
        (
            st.configure(&json!({"access_token": ""})),
            "settings.access_token: must be a non-empty string",
        ),
        (
            st.configure(&json!({"access_token": null})),
            "settings.access_token: invalid type: null, expected a string",
        ),
        (
            st.configure(&json!(5)),
            "settings must be a JSON object, got 5",
        ),
        (
            st.upsert_node("1", &json!({"kind": "user"})),
            "node.kind: unknown variant `user`, expected `phone` or `waba`",
        ),
        (
            st.upsert_node("1", &json!({"kind": "phone", "fields": []})),
            "node.fields: invalid type: sequence, expected a map",
        ),
        (
            st.enqueue(&json!({"times": 0})),
            "response.times: invalid value: integer `0`, expected a nonzero u64",
        ),
        (
            st.enqueue(&json!({"node": true})),
            "response.node: expected a node id (a string or a number)",
        ),
        (
            st.enqueue(&json!({"headers": {"x-a": [1]}})),
            "response.headers.x-a: expected a header value (a string; null removes the header)",
        ),
        (
            st.enqueue(&json!({"status": 99})),
            "response.status must be an HTTP status 100..599, got 99",
        ),
        (
            st.enqueue(&json!({"content_type": "a\nb"})),
            "response.content_type: invalid header value \"a\\nb\"",
        ),
    ];
    for (result, message) in cases {
        assert_eq!(result.unwrap_err(), message);
    }
    let unknown = st.configure(&json!({"latency": 5})).unwrap_err();
    assert!(
        unknown.starts_with(
            "settings.latency: unknown field `latency`, expected one of `access_token`"
        ),
        "{unknown}"
    );
    let unknown = st.enqueue(&json!({"stauts": 500})).unwrap_err();
    assert!(
        unknown.starts_with("response.stauts: unknown field `stauts`"),
        "{unknown}"
    );
    let bad = st.enqueue(&json!({"endpoint": "messages"})).unwrap_err();
    assert!(
        bad.starts_with("response.endpoint: unknown variant `messages`"),
        "{bad}"
    );
    let bad = st.enqueue(&json!({"body_base64": "Zm9v!"})).unwrap_err();
    assert!(
        bad.starts_with("response.body_base64: not valid base64"),
        "{bad}"
    );
    // Nothing was applied or queued by the refused calls.
    assert_eq!(get(&st, "/v24.0/1001").status, 200);
    assert!(st.node("1").is_none());
}

#[test]
fn base64_round_trips_known_vectors() {
    for (text, bytes) in [
        ("", &b""[..]),
        ("Zg==", b"f"),
        ("Zm8=", b"fo"),
        ("Zm9v", b"foo"),
        ("Zm9vYg", b"foob"),
        ("Zm9vYmE=", b"fooba"),
        ("Zm9v\nYmFy", b"foobar"),
        ("/w==", b"\xff"),
        ("+/+/", b"\xfb\xff\xbf"),
    ] {
        assert_eq!(decode_base64(text).unwrap(), bytes, "{text:?}");
    }
}

#[test]
fn base64_refuses_garbage() {
    for bad in ["Zm9v!", "Z", "Zg=a", "Zg===", "Z=g=", "Zm9v-_"] {
        assert!(decode_base64(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn alpn_offers_h2_and_http1_or_only_what_is_asked() {
    use crate::{CertKind, TlsOptions};
    let both = TlsOptions::new(CertKind::Valid);
    assert_eq!(both.alpn, vec!["h2", "http/1.1"]);
    let http1 = both.clone().with_alpn(vec!["http/1.1".into()]).unwrap();
    assert_eq!(http1.alpn, vec!["http/1.1"]);
    for (alpn, problem) in [
        (vec![], "at least one"),
        (vec!["http/1.0".to_owned()], "\"http/1.0\" is not one of"),
        (vec!["h2".to_owned(), "h2".to_owned()], "given twice"),
    ] {
        let err = both.clone().with_alpn(alpn).unwrap_err();
        assert!(err.contains(problem), "{err}");
    }
}
