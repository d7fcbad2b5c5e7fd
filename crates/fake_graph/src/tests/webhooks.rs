//! The app's subscription to a WABA, the phone-level webhook override, and the phone's
//! `webhook_configuration`, checked against Meta's recorded answers where there are some.

use super::*;

/// The ids of Meta's override example (phone_webhook_configuration_all_overrides.json); WABA
/// 2001 is the fixture's.
const PHONE: &str = "106540352242922";

/// The fixture, plus a phone number of WABA 2001.
fn with_linked_phone() -> SharedState {
    let st = fixture();
    st.upsert_node(PHONE, &json!({"kind": "phone", "waba_id": "2001"}))
        .unwrap();
    st
}

fn delete(st: &SharedState, target: &str) -> Reply {
    call(st, "DELETE", target, Some(TOKEN), None, "")
}

fn set_override(st: &SharedState, phone: &str, config: Value) -> Reply {
    let target = format!("/v24.0/{phone}");
    post_json(st, &target, json!({ "webhook_configuration": config }))
}

fn subscribe_with_override(st: &SharedState, uri: &str) -> Reply {
    let body = json!({"override_callback_uri": uri, "verify_token": "vt-secret"});
    post_json(st, "/v24.0/2001/subscribed_apps", body)
}

#[test]
fn subscribed_apps_list_subscribe_and_unsubscribe() {
    let st = fixture();
    let listed = |st: &SharedState| body(&get(st, "/v24.0/2001/subscribed_apps"));
    assert_eq!(
        listed(&st),
        meta_fixture("subscribed_apps_get_empty_openapi")
    );
    // The older form: a WABA-level override, which needs its verify token.
    let r = post_json(
        &st,
        "/v24.0/2001/subscribed_apps",
        json!({"override_callback_uri": "https://my-waba-alternate-callback.com/webhook"}),
    );
    assert_eq!(error(&r), (400, 100, None));
    assert_eq!(message(&r), "(#100) The parameter verify_token is required");
    let r = subscribe_with_override(&st, "https://my-waba-alternate-callback.com/webhook");
    assert_eq!(body(&r), json!({"success": true}));
    // Meta's own example, but for the app link, which Meta's page shows truncated.
    let mut expected = meta_fixture("subscribed_apps_get_with_waba_override");
    let link = &mut expected["data"][0]["whatsapp_business_api_data"]["link"];
    assert_eq!(link, "https://www.facebook.com/games/?app_id=67084...");
    *link = json!("https://www.facebook.com/games/?app_id=670843887433847");
    assert_eq!(listed(&st), expected);
    assert!(!listed(&st).to_string().contains("vt-secret"));
    assert_eq!(
        st.node("2001").unwrap()["subscriptions"],
        json!([{"override_callback_uri": "https://my-waba-alternate-callback.com/webhook", "verify_token": "vt-secret"}])
    );
    // What Chatwoot sends now; a subscribe without an override removes the WABA's one.
    let r = post_json(
        &st,
        "/v24.0/2001/subscribed_apps",
        json!({"subscribed_fields": ["messages", "smb_message_echoes"]}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        st.node("2001").unwrap()["subscriptions"],
        json!([{"override_callback_uri": null, "verify_token": null, "subscribed_fields": ["messages", "smb_message_echoes"]}])
    );
    assert!(listed(&st)["data"][0]
        .get("override_callback_uri")
        .is_none());
    // Form-encoded clients.
    let r = call(
        &st,
        "POST",
        "/v24.0/2001/subscribed_apps",
        Some(TOKEN),
        Some("application/x-www-form-urlencoded"),
        "subscribed_fields=messages,account_update",
    );
    assert_eq!(r.status, 200);
    let subscription = &st.node("2001").unwrap()["subscriptions"][0];
    assert_eq!(
        subscription["subscribed_fields"],
        json!(["messages", "account_update"])
    );
    let r = post_json(
        &st,
        "/v24.0/2001/subscribed_apps",
        json!({"subscribed_fields": [1]}),
    );
    assert_eq!(error(&r), (400, 100, None));
    let r = delete(&st, "/v24.0/2001/subscribed_apps");
    assert_eq!(
        body(&r),
        meta_fixture("subscribed_apps_delete_success_openapi")
    );
    assert_eq!(listed(&st), json!({"data": []}));
    assert_eq!(st.node("2001").unwrap()["subscriptions"], json!([]));
    // The app shown is configurable.
    st.configure(&json!({"app_id": "42", "app_name": "Chatwoot"}))
        .unwrap();
    post_json(&st, "/v24.0/2001/subscribed_apps", json!({}));
    assert_eq!(
        listed(&st)["data"][0]["whatsapp_business_api_data"],
        json!({"id": "42", "name": "Chatwoot", "link": "https://www.facebook.com/games/?app_id=42"})
    );
}

#[test]
fn a_phone_override_needs_the_app_subscribed_to_its_waba() {
    let st = with_linked_phone();
    let config = json!({"override_callback_uri": "https://my-phone-alternate-callback.com/webhook", "verify_token": "myvoiceismypassport?"});
    // Meta's answer, member for member; only the fbtrace_id is fresh, as on every error.
    let mut expected = meta_fixture("error_100_override_callback_app_not_subscribed");
    for phone in [PHONE, "1001"] {
        let r = set_override(&st, phone, config.clone());
        assert_eq!(error(&r), (400, 100, None), "{phone}");
        let mut answer = body(&r);
        let trace = answer["error"]["fbtrace_id"].take();
        assert_ne!(trace, expected["error"]["fbtrace_id"]);
        expected["error"]["fbtrace_id"] = Value::Null;
        assert_eq!(answer, expected);
    }
    assert_eq!(st.node(PHONE).unwrap()["webhook_override"], Value::Null);
    post_json(
        &st,
        "/v24.0/2001/subscribed_apps",
        json!({"subscribed_fields": ["messages"]}),
    );
    let r = set_override(&st, PHONE, config.clone());
    assert_eq!(body(&r), meta_fixture("phone_override_callback_success"));
    assert_eq!(st.node(PHONE).unwrap()["webhook_override"], config);
    // Malformed requests change nothing.
    let r = set_override(
        &st,
        PHONE,
        json!({"override_callback_uri": "https://x.test/h"}),
    );
    assert_eq!(message(&r), "(#100) The parameter verify_token is required");
    let r = post_json(&st, &format!("/v24.0/{PHONE}"), json!({"other": 1}));
    assert_eq!(
        message(&r),
        "(#100) The parameter webhook_configuration is required"
    );
    assert_eq!(st.node(PHONE).unwrap()["webhook_override"], config);
    // Clearing, as Meta's page sends it: an empty override_callback_uri.
    let r = set_override(&st, PHONE, json!({"override_callback_uri": ""}));
    assert_eq!(body(&r), json!({"success": true}));
    assert_eq!(st.node(PHONE).unwrap()["webhook_override"], Value::Null);
    // Only phone numbers have one.
    let r = set_override(&st, "2001", config);
    assert_eq!(error(&r), (400, 100, Some(33)));
}

#[test]
fn webhook_configuration_shows_each_level_that_is_set() {
    let st = with_linked_phone();
    let read = |st: &SharedState| {
        body(&get(
            st,
            &format!("/v24.0/{PHONE}?fields=webhook_configuration"),
        ))
    };
    // Nothing set anywhere: no field (as for any field without a value).
    assert_eq!(read(&st), json!({"id": PHONE}));
    st.configure(&json!({"app_callback_url": "https://my-production-callback.com/webhook"}))
        .unwrap();
    subscribe_with_override(&st, "https://my-waba-alternate-callback.com/webhook");
    set_override(
        &st,
        PHONE,
        json!({"override_callback_uri": "https://my-phone-alternate-callback.com/webhook", "verify_token": "t"}),
    );
    assert_eq!(
        read(&st),
        meta_fixture("phone_webhook_configuration_all_overrides")
    );
    // The WABA override goes with a plain subscribe (Meta's "Delete WABA alternate callback").
    post_json(&st, "/v24.0/2001/subscribed_apps", json!({}));
    set_override(&st, PHONE, json!({"override_callback_uri": ""}));
    assert_eq!(
        read(&st)["webhook_configuration"],
        json!({"application": "https://my-production-callback.com/webhook"})
    );
    // Without live settings a stored field is served as given.
    st.configure(&json!({"app_callback_url": null})).unwrap();
    st.upsert_node(
        "1001",
        &json!({"kind": "phone", "fields": {"webhook_configuration": {"application": "https://a.test/h"}}}),
    )
    .unwrap();
    let r = get(&st, "/v24.0/1001?fields=webhook_configuration");
    assert_eq!(
        body(&r)["webhook_configuration"],
        json!({"application": "https://a.test/h"})
    );
}

#[test]
fn the_override_and_subscription_survive_an_upsert_that_leaves_them_out() {
    let st = with_linked_phone();
    st.upsert_node(
        "2001",
        &json!({"kind": "waba", "subscriptions": [{"subscribed_fields": ["messages"]}]}),
    )
    .unwrap();
    set_override(
        &st,
        PHONE,
        json!({"override_callback_uri": "https://p.test/h", "verify_token": "t"}),
    );
    st.upsert_node(PHONE, &json!({"kind": "phone", "waba_id": "2001"}))
        .unwrap();
    st.upsert_node("2001", &json!({"kind": "waba"})).unwrap();
    assert_eq!(
        st.node(PHONE).unwrap()["webhook_override"]["override_callback_uri"],
        "https://p.test/h"
    );
    assert_eq!(
        st.node("2001").unwrap()["subscriptions"][0]["subscribed_fields"],
        json!(["messages"])
    );
    // Given, they replace; the node's JSON round-trips.
    for id in [PHONE, "2001"] {
        let node = st.node(id).unwrap();
        st.upsert_node(id, &node).unwrap();
        assert_eq!(st.node(id).unwrap(), node);
    }
    st.upsert_node(PHONE, &json!({"kind": "phone", "webhook_override": null}))
        .unwrap();
    st.upsert_node("2001", &json!({"kind": "waba", "subscriptions": []}))
        .unwrap();
    assert_eq!(st.node(PHONE).unwrap()["webhook_override"], Value::Null);
    assert_eq!(st.node("2001").unwrap()["subscriptions"], json!([]));
    // Members that do not fit the kind are refused.
    for (id, bad) in [
        ("2001", json!({"kind": "waba", "waba_id": "1"})),
        ("2001", json!({"kind": "waba", "business_profile": {}})),
        (PHONE, json!({"kind": "phone", "subscriptions": [{}]})),
        ("2001", json!({"kind": "waba", "subscriptions": [{}, {}]})),
    ] {
        assert!(st.upsert_node(id, &bad).is_err(), "{bad}");
    }
}

#[test]
fn canned_answers_match_the_new_endpoints() {
    let st = with_linked_phone();
    st.enqueue(&json!({"endpoint": "webhook_configuration", "status": 503}))
        .unwrap();
    st.enqueue(&json!({"endpoint": "whatsapp_business_profile", "status": 502}))
        .unwrap();
    assert_eq!(get(&st, &format!("/v24.0/{PHONE}")).status, 200);
    assert_eq!(set_override(&st, PHONE, json!({})).status, 503);
    let r = get(&st, &format!("/v24.0/{PHONE}/whatsapp_business_profile"));
    assert_eq!(r.status, 502);
}
