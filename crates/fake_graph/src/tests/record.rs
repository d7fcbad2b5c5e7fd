//! The request log and the stats.

use std::time::Duration;

use super::*;

#[test]
fn request_log_is_a_ring_buffer() {
    let st = fixture();
    st.configure(&json!({"max_recorded_requests": 3})).unwrap();
    for i in 0..5 {
        call(
            &st,
            "POST",
            &format!("/v24.0/1001/deregister?n={i}"),
            Some(TOKEN),
            Some("text/plain"),
            &format!("body {i}"),
        );
    }
    let log = st.requests();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0]["query"], "n=2");
    assert_eq!(log[2]["query"], "n=4");
    assert_eq!(log[2]["method"], "POST");
    assert_eq!(log[2]["path"], "/v24.0/1001/deregister");
    assert_eq!(log[2]["body"], "body 4");
    assert_eq!(log[2]["headers"]["authorization"], "Bearer test-token");
    assert_eq!(log[2]["headers"]["content-type"], "text/plain");
    get(&st, "/v24.0/1001");
    assert_eq!(st.requests()[2]["query"], "");
    st.configure(&json!({"max_recorded_requests": 1})).unwrap();
    assert_eq!(st.requests().as_array().unwrap().len(), 1);
    st.configure(&json!({"max_recorded_requests": 0})).unwrap();
    assert_eq!(st.requests(), json!([]));
    get(&st, "/v24.0/1001");
    assert_eq!(st.requests(), json!([]));
    st.configure(&json!({"max_recorded_requests": 10})).unwrap();
    get(&st, "/v24.0/1001");
    assert_eq!(st.requests().as_array().unwrap().len(), 1);
    st.clear_requests();
    assert_eq!(st.requests(), json!([]));
}

#[test]
fn stats_and_reset() {
    let st = fixture();
    for _ in 0..4 {
        get(&st, "/v24.0/1001");
    }
    assert_eq!(
        st.stats(),
        json!({"request_count": 4, "in_flight": 0, "max_in_flight": 1, "connections": 0})
    );
    let guard = st.begin();
    let guard2 = st.begin();
    assert_eq!(st.stats()["in_flight"], 2);
    assert_eq!(st.stats()["max_in_flight"], 2);
    drop(guard);
    st.reset_stats();
    assert_eq!(
        st.stats(),
        json!({"request_count": 0, "in_flight": 1, "max_in_flight": 1, "connections": 0})
    );
    drop(guard2);
    st.configure(&json!({"latency_ms": 5})).unwrap();
    st.enqueue(&json!({"status": 500})).unwrap();
    st.reset();
    assert_eq!(
        st.stats(),
        json!({"request_count": 0, "in_flight": 0, "max_in_flight": 0, "connections": 0})
    );
    assert!(st.node("1001").is_none());
    assert_eq!(st.requests(), json!([]));
    assert_eq!(get(&st, "/v24.0/1001").status, 400);
    // Settings survive reset (latency is still set: admit asks to wait).
    let _g = st.begin();
    let request = RecordedRequest {
        http_version: "HTTP/1.1".into(),
        method: "GET".into(),
        path: "/v24.0/1001".into(),
        query: String::new(),
        headers: vec![],
        body: Bytes::new(),
        problem: None,
        connection: 0,
    };
    assert!(
        matches!(handler::admit(&st, request), Step::Wait(d, _) if d == Duration::from_millis(5))
    );
}
