//! Register, deregister and the 72-hour limit.

use std::time::{Duration, Instant};

use super::*;
use crate::graph::register_limit::RegisterWindow;

#[test]
fn register_success_side_effects() {
    let st = fixture();
    let r = post_json(
        &st,
        "/v24.0/1001/register",
        json!({"messaging_product": "whatsapp", "pin": "123456", "data_localization_region": "DE"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(body(&r), json!({"success": true}));
    let node = st.node("1001").unwrap();
    assert_eq!(node["pin"], "123456");
    assert_eq!(node["register_attempts"], 1);
    assert_eq!(node["fields"]["platform_type"], "CLOUD_API");
    assert_eq!(node["fields"]["throughput"], json!({"level": "STANDARD"}));
    assert_eq!(node["fields"]["status"], "CONNECTED");
    assert_eq!(node["fields"]["code_verification_status"], "VERIFIED");
    // A HIGH throughput is kept; form bodies work too.
    let mut fields = node["fields"].clone();
    fields["throughput"] = json!({"level": "HIGH"});
    st.upsert_node(
        "1001",
        &json!({"kind": "phone", "fields": fields, "pin": "123456"}),
    )
    .unwrap();
    let r = call(
        &st,
        "POST",
        "/v24.0/1001/register",
        Some(TOKEN),
        Some("application/x-www-form-urlencoded"),
        "messaging_product=whatsapp&pin=123456",
    );
    assert_eq!(r.status, 200, "{:?}", body(&r));
    let node = st.node("1001").unwrap();
    assert_eq!(node["fields"]["throughput"], json!({"level": "HIGH"}));
    // Upsert kept the register history.
    assert_eq!(node["register_attempts"], 2);
}

#[test]
fn register_parameter_validation() {
    let st = fixture();
    let r = post_json(&st, "/v24.0/1001/register", json!({"pin": "123456"}));
    assert_eq!(error(&r), (400, 100, None));
    assert_eq!(
        message(&r),
        "(#100) The parameter messaging_product is required."
    );
    let r = post_json(
        &st,
        "/v24.0/1001/register",
        json!({"messaging_product": "sms", "pin": "123456"}),
    );
    assert_eq!(
        message(&r),
        "(#100) The parameter messaging_product is required."
    );
    for pin in [
        json!("12345"),
        json!("1234567"),
        json!("12345a"),
        json!("１２３４５６"),
        json!(true),
    ] {
        let r = post_json(
            &st,
            "/v24.0/1001/register",
            json!({"messaging_product": "whatsapp", "pin": pin}),
        );
        assert_eq!(error(&r), (400, 100, None), "{pin}");
    }
    let r = register(&st, "1001", "12345");
    assert_eq!(message(&r), "(#100) Param pin must be 6 characters long.");
    let r = post_json(
        &st,
        "/v24.0/1001/register",
        json!({"messaging_product": "whatsapp"}),
    );
    assert_eq!(error(&r), (400, 100, None));
    let r = call(
        &st,
        "POST",
        "/v24.0/1001/register",
        Some(TOKEN),
        Some("application/json"),
        "{not json",
    );
    assert_eq!(error(&r), (400, 100, None));
    // Nothing changed, but every call counted.
    let node = st.node("1001").unwrap();
    assert_eq!(node["pin"], Value::Null);
    assert_eq!(node["fields"]["status"], "PENDING");
    assert_eq!(node["register_attempts"], 10);
    // Calls refused before the node check do not count.
    call(&st, "POST", "/v24.0/1001/register", None, None, "");
    call(&st, "POST", "/v24.0/1001/register", Some("bad"), None, "");
    assert_eq!(st.node("1001").unwrap()["register_attempts"], 10);
}

#[test]
fn display_name_not_ready_gives_2388001() {
    let st = fixture();
    st.upsert_node(
        "1002",
        &json!({"kind": "phone", "display_name_ready": false}),
    )
    .unwrap();
    let r = register(&st, "1002", "123456");
    assert_eq!(error(&r), (400, 100, Some(2_388_001)));
    let e = &body(&r)["error"];
    assert_eq!(e["type"], "OAuthException");
    assert_eq!(e["error_user_title"], "Cannot Create Certificate");
    assert_eq!(
        e["error_user_msg"],
        "Your display name could not be processed. Please edit your display name and try again."
    );
    assert_eq!(st.node("1002").unwrap()["pin"], Value::Null);
}

#[test]
fn pin_mismatch_gives_133005() {
    let st = fixture();
    st.upsert_node("1003", &json!({"kind": "phone", "pin": "111111"}))
        .unwrap();
    let r = register(&st, "1003", "222222");
    assert_eq!(error(&r), (400, 133005, None));
    assert_eq!(message(&r), "Two step verification PIN Mismatch");
    let r = register(&st, "1003", "111111");
    assert_eq!(r.status, 200);
}

#[test]
fn eleventh_register_in_72h_gives_133016() {
    let st = fixture();
    for i in 0..10 {
        let target = if i % 2 == 0 {
            "/v24.0/1001/register"
        } else {
            "/v24.0/1001/deregister"
        };
        let r = post_json(
            &st,
            target,
            json!({"messaging_product": "whatsapp", "pin": "123456"}),
        );
        assert_eq!(r.status, 200, "call {i}");
    }
    for _ in 0..2 {
        let r = register(&st, "1001", "123456");
        assert_eq!(error(&r), (400, 133016, None));
        assert_eq!(
            message(&r),
            "Account register deregister rate limit exceeded"
        );
        assert_eq!(body(&r)["error"]["type"], "OAuthException");
    }
    let r = post_json(&st, "/v24.0/1001/deregister", json!({}));
    assert_eq!(error(&r), (400, 133016, None));
    assert_eq!(st.node("1001").unwrap()["register_attempts"], 13);
    // Other numbers are unaffected.
    st.upsert_node("1004", &json!({"kind": "phone"})).unwrap();
    let r = register(&st, "1004", "123456");
    assert_eq!(r.status, 200);
}

#[test]
fn register_window_moves() {
    let mut window = RegisterWindow::default();
    let over = |window: &mut RegisterWindow, hours: u64| {
        window
            .count(t0() + Duration::from_secs(hours * 3600))
            .is_err()
    };
    for i in 0..10 {
        assert!(!over(&mut window, i));
    }
    assert!(over(&mut window, 71));
    // 72 h after the first call, the first one has left the window, but the refused call
    // (at 71 h) still counts.
    assert!(over(&mut window, 72));
    // Once the early calls have aged out, calls go through again.
    assert!(!over(&mut window, 81));
    assert_eq!(window.attempts(), 13);
}

/// One fixed instant for the window test.
fn t0() -> Instant {
    static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *T0.get_or_init(Instant::now)
}

#[test]
fn deregister() {
    let st = fixture();
    register(&st, "1001", "123456");
    let r = call(&st, "POST", "/v24.0/1001/deregister", Some(TOKEN), None, "");
    assert_eq!(r.status, 200);
    assert_eq!(body(&r), json!({"success": true}));
    let node = st.node("1001").unwrap();
    assert_eq!(node["fields"]["platform_type"], "NOT_APPLICABLE");
    assert_eq!(
        node["fields"]["throughput"],
        json!({"level": "NOT_APPLICABLE"})
    );
    assert_eq!(node["fields"]["status"], "DISCONNECTED");
    assert_eq!(node["pin"], "123456");
    assert_eq!(node["register_attempts"], 2);
    let r = get(&st, "/v24.0/1001?fields=status,platform_type,throughput");
    assert_eq!(body(&r)["status"], "DISCONNECTED");
}
