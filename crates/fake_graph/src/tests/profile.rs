//! `GET /{phone}/whatsapp_business_profile`, checked against Meta's recorded answers.

use super::*;

const ALL_FIELDS: &str = "about,address,description,email,profile_picture_url,websites,vertical";

fn profile(st: &SharedState, id: &str, fields: &str) -> Reply {
    get(
        st,
        &format!("/v24.0/{id}/whatsapp_business_profile?fields={fields}"),
    )
}

#[test]
fn an_unset_profile_reads_vertical_undefined() {
    let st = fixture();
    let r = profile(&st, "1001", "vertical");
    assert_eq!(r.status, 200);
    assert_eq!(
        body(&r),
        meta_fixture("business_profile_vertical_undefined")
    );
    assert_eq!(
        body(&profile(&st, "1001", ALL_FIELDS)),
        meta_fixture("business_profile_vertical_undefined")
    );
}

#[test]
fn a_set_profile_answers_the_requested_fields() {
    let st = fixture();
    let recorded = meta_fixture("business_profile_all_fields");
    let mut set = recorded["data"][0].clone();
    set.as_object_mut().unwrap().remove("messaging_product");
    st.upsert_node("1001", &json!({"kind": "phone", "business_profile": set}))
        .unwrap();
    assert_eq!(body(&profile(&st, "1001", ALL_FIELDS)), recorded);
    assert_eq!(st.node("1001").unwrap()["business_profile"], set);
    // Without `fields`, all of them; with some, only those (and messaging_product).
    let r = get(&st, "/v24.0/1001/whatsapp_business_profile");
    assert_eq!(body(&r), recorded);
    assert_eq!(
        body(&profile(&st, "1001", "about,profile_picture_url")),
        json!({"data": [{"about": "A very cool business", "messaging_product": "whatsapp"}]})
    );
    // A picture, as in Meta's docs example.
    let documented = meta_fixture("business_profile_retail_with_picture");
    st.upsert_node(
        "1001",
        &json!({"kind": "phone", "business_profile": documented["data"][0]}),
    )
    .unwrap();
    assert_eq!(body(&profile(&st, "1001", ALL_FIELDS)), documented);
}

#[test]
fn unknown_fields_and_wabas_are_refused() {
    let st = fixture();
    let r = profile(&st, "1001", "about,bogus");
    assert_eq!(error(&r), (400, 100, None));
    assert_eq!(
        message(&r),
        "(#100) Tried accessing nonexisting field (bogus) on node type (WhatsAppBusinessProfile)"
    );
    let r = profile(&st, "2001", "about");
    assert_eq!(error(&r), (400, 100, Some(33)));
    let r = call(
        &st,
        "POST",
        "/v24.0/1001/whatsapp_business_profile",
        Some(TOKEN),
        None,
        "",
    );
    assert_eq!(error(&r), (400, 100, Some(33)));
}
