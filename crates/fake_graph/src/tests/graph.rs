//! Reading nodes: field selection and version gates, paths, auth, usage headers, trace ids.

use crate::graph::fields::split_fields;
use crate::reply::{APP_USAGE, JSON_CONTENT_TYPE};
use crate::routing::{appsecret_proof, parse_version};

use super::*;

#[test]
fn field_selection() {
    let st = fixture();
    let r = get(&st, "/v24.0/1001?fields=id,quality_rating,verified_name");
    assert_eq!(r.status, 200);
    assert_eq!(
        body(&r),
        json!({"id": "1001", "quality_rating": "GREEN", "verified_name": "Acme"})
    );
    // Known fields without a value (or with null) are absent.
    let r = get(
        &st,
        "/v24.0/1001?fields=certificate,name_status,quality_rating",
    );
    assert_eq!(body(&r), json!({"id": "1001", "quality_rating": "GREEN"}));
    // Defaults.
    let r = get(&st, "/v22.0/1001");
    assert_eq!(
        body(&r),
        json!({"id": "1001", "display_phone_number": "+1 555-0100", "verified_name": "Acme"})
    );
    let r = get(&st, "/v22.0/2001");
    assert_eq!(body(&r), json!({"id": "2001", "name": "Acme WABA"}));
    let r = get(&st, "/v22.0/2001?fields=owner_business_info");
    assert_eq!(body(&r)["owner_business_info"]["name"], "Acme Inc");
    // Sub-selections and blanks are tolerated.
    let r = get(
        &st,
        "/v24.0/2001?fields=owner_business_info%7Bid%2Cname%7D,%20name,",
    );
    assert_eq!(r.status, 200);
    assert_eq!(body(&r)["name"], "Acme WABA");
    assert_eq!(r.header("content-type"), Some(JSON_CONTENT_TYPE));
}

#[test]
fn unknown_and_version_gated_fields() {
    let st = fixture();
    let r = get(&st, "/v24.0/1001?fields=id,bogus");
    assert_eq!(error(&r), (400, 100, None));
    assert_eq!(
        message(&r),
        "(#100) Tried accessing nonexisting field (bogus) on node type (WhatsAppBusinessPhoneNumber)"
    );
    let r = get(&st, "/v24.0/2001?fields=quality_rating");
    assert_eq!(
        message(&r),
        "(#100) Tried accessing nonexisting field (quality_rating) on node type (WhatsAppBusinessAccount)"
    );
    for field in [
        "whatsapp_business_manager_messaging_limit",
        "status",
        "is_on_biz_app",
    ] {
        let r = get(&st, &format!("/v23.0/1001?fields={field}"));
        assert_eq!(error(&r), (400, 100, None), "{field}");
        assert!(message(&r).contains(field));
        let r = get(&st, &format!("/v24.0/1001?fields={field}"));
        assert_eq!(r.status, 200, "{field}");
    }
    let r = get(&st, "/v25.0/1001?fields=status");
    assert_eq!(body(&r)["status"], "PENDING");
    let r = get(
        &st,
        "/v24.0/1001?fields=whatsapp_business_manager_messaging_limit",
    );
    assert_eq!(
        body(&r)["whatsapp_business_manager_messaging_limit"],
        "TIER_2K"
    );
}

#[test]
fn field_splitting() {
    assert_eq!(split_fields("a,b{c,d},e"), vec!["a", "b", "e"]);
    assert_eq!(split_fields(" a , ,b.limit(2)"), vec!["a", "b"]);
    assert_eq!(parse_version("v24.0"), Some((24, 0)));
    assert_eq!(parse_version("v9"), Some((9, 0)));
    assert_eq!(parse_version("24.0"), None);
    assert_eq!(parse_version("v24.x"), None);
}

#[test]
fn unknown_nodes_and_paths() {
    let st = fixture();
    let r = get(&st, "/v24.0/999?fields=id");
    assert_eq!(error(&r), (400, 100, Some(33)));
    assert_eq!(
        message(&r),
        "Unsupported get request. Object with ID '999' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
    );
    // Wrong kind for the edge.
    let r = register(&st, "2001", "123456");
    assert_eq!(error(&r), (400, 100, Some(33)));
    assert!(message(&r).starts_with("Unsupported post request. Object with ID '2001'"));
    let r = post_json(&st, "/v24.0/1001/subscribed_apps", json!({}));
    assert_eq!(error(&r), (400, 100, Some(33)));
    let r = get(&st, "/v24.0/1001/register");
    assert_eq!(error(&r), (400, 100, Some(33)));
    assert!(message(&r).starts_with("Unsupported get request"));
    for path in [
        "/",
        "/v24.0",
        "/v24.0/1001/messages",
        "/latest/1001",
        "/v24.0/1001/register/x",
    ] {
        let r = get(&st, path);
        assert_eq!(error(&r), (404, 100, None), "{path}");
    }
}

#[test]
fn auth() {
    let st = fixture();
    let r = call(&st, "GET", "/v24.0/1001", None, None, "");
    assert_eq!(error(&r), (400, 2500, None));
    assert_eq!(body(&r)["error"]["type"], "OAuthException");
    assert_eq!(
        message(&r),
        "An active access token must be used to query information about the current user."
    );
    let r = call(
        &st,
        "GET",
        "/v24.0/1001",
        Some("wrong-secret-token"),
        None,
        "",
    );
    assert_eq!(error(&r), (401, 190, None));
    assert_eq!(
        message(&r),
        "Invalid OAuth access token - Cannot parse access token"
    );
    assert!(!String::from_utf8_lossy(&r.body).contains("wrong-secret-token"));
    // Node token: accepted on its node only.
    let r = call(&st, "GET", "/v24.0/2001", Some("waba-token"), None, "");
    assert_eq!(r.status, 200);
    let r = call(&st, "GET", "/v24.0/1001", Some("waba-token"), None, "");
    assert_eq!(error(&r), (401, 190, None));
    // Old clients: access_token in the query.
    let r = call(
        &st,
        "GET",
        "/v24.0/1001?access_token=test-token",
        None,
        None,
        "",
    );
    assert_eq!(r.status, 200);
    let r = call(&st, "GET", "/v24.0/1001?access_token=nope", None, None, "");
    assert_eq!(r.status, 401);
    // Configured default token.
    st.configure(&json!({"access_token": "other"})).unwrap();
    assert_eq!(get(&st, "/v24.0/1001").status, 401);
    assert_eq!(
        call(&st, "GET", "/v24.0/1001", Some("other"), None, "").status,
        200
    );
}

#[test]
fn appsecret_proof_checked() {
    let st = fixture();
    st.configure(&json!({"app_secret": "s3cret"})).unwrap();
    let proof = appsecret_proof("s3cret", TOKEN);
    assert_eq!(proof.len(), 64);
    let r = get(
        &st,
        &format!("/v24.0/1001?fields=id&appsecret_proof={proof}"),
    );
    assert_eq!(r.status, 200);
    for bad in ["", "&appsecret_proof=abc", "&appsecret_proof=0000"] {
        let r = get(&st, &format!("/v24.0/1001?fields=id{bad}"));
        assert_eq!(error(&r), (400, 100, None));
        assert_eq!(
            message(&r),
            "Invalid appsecret_proof provided in the API argument"
        );
    }
    // The proof is per token.
    let waba_proof = appsecret_proof("s3cret", "waba-token");
    let r = call(
        &st,
        "GET",
        &format!("/v24.0/2001?appsecret_proof={waba_proof}"),
        Some("waba-token"),
        None,
        "",
    );
    assert_eq!(r.status, 200);
    let r = call(
        &st,
        "GET",
        &format!("/v24.0/2001?appsecret_proof={proof}"),
        Some("waba-token"),
        None,
        "",
    );
    assert_eq!(r.status, 400);
    st.configure(&json!({"app_secret": null})).unwrap();
    assert_eq!(get(&st, "/v24.0/1001").status, 200);
}

#[test]
fn appsecret_proof_known_vector() {
    // RFC 4231 test case 2.
    assert_eq!(
        appsecret_proof("Jefe", "what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn usage_headers_on_every_answer() {
    let st = fixture();
    for r in [
        get(&st, "/v24.0/1001?fields=id"),
        get(&st, "/v24.0/1001?fields=nope"),
        call(&st, "GET", "/v24.0/1001", None, None, ""),
    ] {
        assert_eq!(r.header("x-app-usage"), Some(APP_USAGE));
        let buc: Value =
            serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
        assert_eq!(buc["1001"][0]["type"], "whatsapp_business_management");
        assert_eq!(buc["1001"][0]["estimated_time_to_regain_access"], 0);
        assert_eq!(r.header("content-type"), Some(JSON_CONTENT_TYPE));
    }
}

#[test]
fn trace_ids_differ() {
    let st = fixture();
    let a = body(&get(&st, "/v24.0/999"))["error"]["fbtrace_id"].clone();
    let b = body(&get(&st, "/v24.0/999"))["error"]["fbtrace_id"].clone();
    assert_ne!(a, b);
}
