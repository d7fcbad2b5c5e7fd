//! Unit tests, one file per concern; this file holds the helpers they share: a fixture with one
//! phone number and one WABA, and `call`, which runs a request through the server's path.

mod graph;
mod http_client;
mod options;
mod profile;
mod record;
mod registration;
mod server;
mod server_http;
mod webhooks;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::handler::{self, Step};
use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::state::SharedState;

pub(crate) const TOKEN: &str = "test-token";

pub(crate) fn fixture() -> SharedState {
    let st = SharedState::new();
    st.upsert_node(
        "1001",
        &json!({
            "kind": "phone",
            "fields": {
                "display_phone_number": "+1 555-0100",
                "verified_name": "Acme",
                "quality_rating": "GREEN",
                "status": "PENDING",
                "code_verification_status": "VERIFIED",
                "platform_type": "NOT_APPLICABLE",
                "throughput": {"level": "NOT_APPLICABLE"},
                "whatsapp_business_manager_messaging_limit": "TIER_2K",
                "name_status": null
            }
        }),
    )
    .unwrap();
    st.upsert_node(
        "2001",
        &json!({
            "kind": "waba",
            "access_token": "waba-token",
            "fields": {"name": "Acme WABA", "owner_business_info": {"id": "9", "name": "Acme Inc"}}
        }),
    )
    .unwrap();
    st
}

/// Runs one request through the same path the server uses (minus the sleeps).
pub(crate) fn call(
    st: &SharedState,
    method: &str,
    target: &str,
    auth: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let _in_flight = st.begin();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = vec![("host".to_owned(), "127.0.0.1".to_owned())];
    if let Some(token) = auth {
        headers.push(("authorization".to_owned(), format!("Bearer {token}")));
    }
    if let Some(ct) = content_type {
        headers.push(("content-type".to_owned(), ct.to_owned()));
    }
    let request = RecordedRequest {
        http_version: "HTTP/1.1".into(),
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: Bytes::from(body.to_owned()),
        problem: None,
        connection: 0,
    };
    match handler::admit(st, request) {
        Step::Reply(reply) => reply,
        Step::Wait(_, request) => handler::answer(st, &request),
    }
}

pub(crate) fn get(st: &SharedState, target: &str) -> Reply {
    call(st, "GET", target, Some(TOKEN), None, "")
}

pub(crate) fn post_json(st: &SharedState, target: &str, body: Value) -> Reply {
    call(
        st,
        "POST",
        target,
        Some(TOKEN),
        Some("application/json"),
        &body.to_string(),
    )
}

/// `POST /v24.0/{id}/register` as Chatwoot sends it, with `pin`.
pub(crate) fn register(st: &SharedState, id: &str, pin: &str) -> Reply {
    post_json(
        st,
        &format!("/v24.0/{id}/register"),
        json!({"messaging_product": "whatsapp", "pin": pin}),
    )
}

pub(crate) fn body(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).expect("JSON body")
}

/// (status, code, subcode) of an error reply, checking the envelope basics.
pub(crate) fn error(reply: &Reply) -> (u16, i64, Option<i64>) {
    let v = body(reply);
    let e = &v["error"];
    assert!(e["message"].is_string(), "{v}");
    assert!(e["type"].is_string(), "{v}");
    assert!(
        e["fbtrace_id"].as_str().is_some_and(|t| t.len() > 10),
        "{v}"
    );
    (
        reply.status,
        e["code"].as_i64().unwrap(),
        e["error_subcode"].as_i64(),
    )
}

pub(crate) fn message(reply: &Reply) -> String {
    body(reply)["error"]["message"].as_str().unwrap().to_owned()
}

/// spec/fixtures/meta/: Meta's recorded answers, each `{"http_status", "headers", "body" or
/// "body_text", ...}` (see SOURCES.md there).
pub(crate) fn meta_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/fixtures/meta")
}

pub(crate) fn meta_fixture_file(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The `body` of a recorded Meta answer.
pub(crate) fn meta_fixture(name: &str) -> Value {
    meta_fixture_file(&meta_dir().join(format!("{name}.json")))["body"].clone()
}
