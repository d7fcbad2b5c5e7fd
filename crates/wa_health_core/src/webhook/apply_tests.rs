use super::*;
use crate::decision::display_name_approved;
use crate::schedule::next_registration_at;
use crate::webhook::parse::parse;
use crate::webhook::rules::limit_rank;
use proptest::prelude::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// The events of a corpus body (spec/fixtures/meta/webhooks/<name>).
fn fixture(name: &str) -> Vec<Event> {
    let path = format!(
        "{}/../../spec/fixtures/meta/webhooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let file: Value = serde_json::from_slice(&std::fs::read(&path).expect(&path)).unwrap();
    parse(file["body"].to_string().as_bytes()).unwrap()
}

fn one(name: &str) -> Event {
    fixture(name).remove(0)
}

/// A number stuck on a pending display name (FakeGraph's :display_name_pending preset, as fetched).
fn stuck() -> Map<String, Value> {
    obj(json!({
        "display_phone_number": "+1 555-078-3881", "name_status": "PENDING_REVIEW",
        "code_verification_status": "VERIFIED", "platform_type": "NOT_APPLICABLE",
        "throughput": {"level": "NOT_APPLICABLE"}, "status": "PENDING", "business_id": "102290129340398",
        "messaging_limit_tier": "TIER_10K"
    }))
}

fn provisioned() -> Map<String, Value> {
    let mut s = stuck();
    s.insert("name_status".into(), json!("APPROVED"));
    s.insert("platform_type".into(), json!("CLOUD_API"));
    s.insert("throughput".into(), json!({"level": "STANDARD"}));
    s.insert("status".into(), json!("CONNECTED"));
    s
}

/// The snapshot with no phone number or WABA id, so events from any corpus file apply to it.
fn unnamed(mut snapshot: Map<String, Value>) -> Map<String, Value> {
    snapshot.remove("display_phone_number");
    snapshot.remove("business_id");
    snapshot
}

fn merged(snapshot: &Map<String, Value>, outcome: &Outcome) -> Map<String, Value> {
    let mut s = snapshot.clone();
    s.extend(outcome.changes.clone());
    s
}

fn types(outcome: &Outcome) -> Vec<(&'static str, &'static str)> {
    outcome
        .actions
        .iter()
        .map(|a| (a.kind.as_str(), a.reason))
        .collect()
}

#[test]
fn name_approval_registers_a_stuck_number_and_unblocks_the_schedule() {
    let event = one("phone_number_name_update_approved.json");
    let outcome = apply(&stuck(), &event, None);
    assert_eq!(types(&outcome), [("register_now", "display_name_approved")]);
    assert_eq!(outcome.changes["name_status"], "APPROVED");
    assert_eq!(outcome.changes["verified_name"], "Lucky Shrub");
    assert_eq!(outcome.changes[LAST_EVENT_AT], 1739321024);
    let after = merged(&stuck(), &outcome);
    assert!(display_name_approved(&after));
    // Before: a DisplayNamePending error waits for approval; after: due now.
    let pending = Some(crate::meaning::Meaning::DisplayNamePending);
    assert_eq!(
        next_registration_at(&[], 100, pending, Some(&stuck())),
        None
    );
    assert_eq!(
        next_registration_at(&[], 100, pending, Some(&after)),
        Some(100)
    );
    assert!(outcome.actions[0].message.contains("Lucky Shrub"));
}

#[test]
fn name_approval_on_a_registered_number_is_a_name_change_to_register_again() {
    let event = one("phone_number_name_update_approved.json");
    let mut changing = provisioned();
    changing.insert("verified_name".into(), json!("Old Shrub"));
    changing.insert("new_name_status".into(), json!("PENDING_REVIEW"));
    let outcome = apply(&changing, &event, None);
    assert_eq!(types(&outcome), [("register_now", "name_change")]);
    assert_eq!(outcome.changes["verified_name"], "Lucky Shrub");
    assert_eq!(outcome.changes["new_name_status"], "APPROVED");
    assert!(!outcome.changes.contains_key("name_status"));
    let action = &outcome.actions[0];
    assert_eq!(action.meta["requested_verified_name"], "Lucky Shrub");
    assert_eq!(action.meta["decision"], "APPROVED");
    assert!(
        action.message.contains("register it again"),
        "{}",
        action.message
    );
    // Without a pending change in the snapshot (it may have been read after the approval), a
    // registered number's approval is still a change.
    let outcome = apply(&provisioned(), &event, None);
    assert_eq!(types(&outcome), [("register_now", "name_change")]);
    // A first approval of a stuck number keeps its reason; an On-Premises number is not registered.
    assert_eq!(
        types(&apply(&stuck(), &event, None)),
        [("register_now", "display_name_approved")]
    );
    let mut on_premise = provisioned();
    on_premise.insert("platform_type".into(), json!("ON_PREMISE"));
    assert_eq!(
        types(&apply(&on_premise, &event, None)),
        [("refresh", "display_name_approved")]
    );
}

#[test]
fn metas_text_never_makes_a_message_or_a_name_multi_line() {
    let mut event = one("phone_number_name_update_approved.json");
    event.requested_verified_name = Some("Lucky\nShrub\r\n[ERROR] forged \u{1b}[2J".into());
    let outcome = apply(&stuck(), &event, None);
    assert_eq!(
        outcome.changes["verified_name"],
        "Lucky Shrub [ERROR] forged [2J"
    );
    let message = &outcome.actions[0].message;
    assert!(!message.chars().any(char::is_control), "{message}");
    // The name as stored: one line.
    assert!(
        message.contains("\"Lucky Shrub [ERROR] forged [2J\""),
        "{message}"
    );
    // Meta's own text stays as it came in meta.
    assert_eq!(
        outcome.actions[0].meta["requested_verified_name"],
        "Lucky\nShrub\r\n[ERROR] forged \u{1b}[2J"
    );

    let mut rejected = one("phone_number_name_update_approved.json");
    rejected.decision = Some("REJECTED".into());
    rejected.rejection_reason = Some(format!("NAME\n{}", "x".repeat(10_000)));
    let outcome = apply(&stuck(), &rejected, None);
    let message = &outcome.actions[0].message;
    assert!(message.contains("NAME\\nxxx"), "{message}");
    assert!(message.chars().count() < 600, "{}", message.len());

    let mut quality = one("phone_number_quality_update_flagged_tier_10k.json");
    quality.event = Some("SOMETHING\nNEW".into());
    quality.display_phone_number = Some("1555\n0783881".into());
    let outcome = apply(&Map::new(), &quality, None);
    assert!(outcome
        .actions
        .iter()
        .all(|a| !a.message.chars().any(char::is_control)));
}

#[test]
fn an_event_older_than_the_health_read_changes_nothing() {
    let approved = one("phone_number_name_update_approved.json");
    let time = approved.time.unwrap();
    let mut rejected = approved.clone();
    rejected.decision = Some("REJECTED".into());
    // The read (after a later approval) already shows the outcome: the old rejection is not acted on.
    let mut read = provisioned();
    read.insert(
        READ_AT.into(),
        json!(time + READ_REFLECTS_AFTER_SECONDS + 1),
    );
    assert_eq!(
        apply(&stuck(), &rejected, Some(time + 3600)).skipped,
        Some(Skip::OlderThanRead)
    );
    assert_eq!(
        apply(&read, &rejected, None).skipped,
        Some(Skip::OlderThanRead)
    );
    let flagged = one("phone_number_quality_update_flagged_tier_10k.json");
    let flagged_time = flagged.time.unwrap();
    let outcome = apply(&Map::new(), &flagged, Some(flagged_time + 3600));
    assert_eq!(outcome.skipped, Some(Skip::OlderThanRead));
    assert!(outcome.actions.is_empty() && outcome.changes.is_empty());
    // Within the margin (clock skew, a read not showing the change yet) it applies.
    let outcome = apply(&Map::new(), &flagged, Some(flagged_time + 60));
    assert_eq!(types(&outcome), [("notify_risk", "flagged")]);
    // A registered number's name change: no read shows it done, so it still asks to register.
    assert_eq!(
        types(&apply(&read, &approved, None)),
        [("register_now", "name_change")]
    );
    // Events the read does not show (bans, partners, alerts, PINs) are applied whatever its time.
    let removed = one("account_update_partner_removed.json");
    let outcome = apply(&Map::new(), &removed, Some(removed.time.unwrap() + 86_400));
    assert_eq!(types(&outcome), [("reauthorize", "partner_removed")]);
    // No time on either side: applied.
    let mut untimed = flagged.clone();
    untimed.time = None;
    assert_eq!(
        apply(&Map::new(), &untimed, Some(flagged_time + 3600)).skipped,
        None
    );
}

/// An envelope around a change given as {field, value} only (the App Dashboard's samples).
fn enveloped(name: &str, entry_id: &str) -> Event {
    let path = format!(
        "{}/../../spec/fixtures/meta/webhooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let file: Value = serde_json::from_slice(&std::fs::read(&path).expect(&path)).unwrap();
    let body = json!({"object": "whatsapp_business_account",
        "entry": [{"id": entry_id, "time": 1_745_612_159, "changes": [file["body"].clone()]}]});
    parse(body.to_string().as_bytes()).unwrap().remove(0)
}

#[test]
fn account_alerts_notify_with_metas_alert_in_either_shape() {
    let deferred = one("account_alerts_increased_capabilities_deferred.json");
    let info = deferred.alert_info.clone().unwrap();
    assert_eq!(info.alert_severity.as_deref(), Some("WARNING"));
    assert_eq!(deferred.entity_type.as_deref(), Some("BUSINESS"));
    let outcome = apply(&stuck(), &deferred, None);
    assert_eq!(types(&outcome), [("notify_risk", "account_alert")]);
    let action = &outcome.actions[0];
    assert!(action
        .message
        .contains("INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED"));
    assert_eq!(
        action.meta["alert_info"]["alert_status"], "ACTIVE",
        "{:?}",
        action.meta
    );
    assert!(outcome.changes.contains_key(LAST_EVENT_AT));

    let flat = enveloped("account_alerts_flat_dashboard_sample.json", "123456");
    assert_eq!(flat.entity_id.as_deref(), Some("123456"));
    assert_eq!(
        flat.alert_info.as_ref().unwrap().alert_type.as_deref(),
        Some("OBA_APPROVED")
    );
    assert_eq!(
        types(&apply(&Map::new(), &flat, None)),
        [("notify", "account_alert")]
    );
    // An alert about one phone number concerns that number only.
    let mut about_phone = deferred.clone();
    about_phone.entity_type = Some("PHONE_NUMBER".into());
    about_phone.entity_id = Some("1001".into());
    let mut own = stuck();
    own.insert("id".into(), json!("1001"));
    assert_eq!(types(&apply(&own, &about_phone, None)).len(), 1);
    own.insert("id".into(), json!("1002"));
    assert_eq!(
        apply(&own, &about_phone, None).skipped,
        Some(Skip::OtherNumber)
    );
}

#[test]
fn security_events_mark_the_stored_pin_stale() {
    let reset = one("security_pin_reset_request.json");
    assert_eq!(reset.kind, Kind::Security);
    assert_eq!(reset.requester.as_deref(), Some("61555822107539"));
    let outcome = apply(&stuck(), &reset, None);
    assert_eq!(types(&outcome), [("mark_pin_stale", "pin_reset_requested")]);
    assert_eq!(outcome.actions[0].meta["event"], "PIN_RESET_REQUEST");
    let changed = enveloped(
        "security_pin_changed_dashboard_sample.json",
        "102290129340398",
    );
    assert_eq!(
        types(&apply(&Map::new(), &changed, None)),
        [("mark_pin_stale", "pin_changed")]
    );
    let mut done = reset.clone();
    done.event = Some("PIN_REQUEST_SUCCESS".into());
    assert_eq!(
        types(&apply(&Map::new(), &done, None)),
        [("mark_pin_stale", "pin_reset")]
    );
    let mut unknown = reset.clone();
    unknown.event = Some("SOMETHING_ELSE".into());
    assert_eq!(
        types(&apply(&Map::new(), &unknown, None)),
        [("notify", "security_event")]
    );
    // Another number's PIN is not this one's.
    let mut other = stuck();
    other.insert("display_phone_number".into(), json!("+1 555-000-0000"));
    assert_eq!(apply(&other, &reset, None).skipped, Some(Skip::OtherNumber));
}

#[test]
fn partner_events_concern_the_waba_in_waba_info() {
    let removed = one("account_update_partner_removed.json");
    assert_eq!(removed.entry_id.as_deref(), Some("2949482758682047"));
    assert_eq!(removed.waba_id.as_deref(), Some("980198427658004"));
    let customer = obj(json!({"business_account_id": "980198427658004", "status": "CONNECTED"}));
    assert_eq!(
        types(&apply(&customer, &removed, None)),
        [("reauthorize", "partner_removed")]
    );
    // The partner's portfolio is not a WABA of the customer's; another customer is not concerned.
    for waba in ["2949482758682047", "184943124712545"] {
        let other = obj(json!({"business_account_id": waba}));
        assert_eq!(
            apply(&other, &removed, None).skipped,
            Some(Skip::OtherAccount),
            "{waba}"
        );
    }
    let uninstalled = one("account_update_partner_app_uninstalled_no_time.json");
    assert_eq!(uninstalled.time, None);
    assert_eq!(uninstalled.waba_id.as_deref(), Some("862494833091949"));
    let customer = obj(json!({"business_id": "862494833091949"}));
    assert_eq!(
        types(&apply(&customer, &uninstalled, None)),
        [("reauthorize", "partner_removed")]
    );
    // Without waba_info, the entry is the WABA (the older shape).
    let named = one("account_update_partner_removed_with_phone_number.json");
    assert_eq!(named.waba_id, named.entry_id);
}

#[test]
fn name_rejection_declines_and_notifies_with_metas_reason() {
    let mut event = one("phone_number_name_update_approved.json");
    event.decision = Some("REJECTED".into());
    event.rejection_reason = Some("NAME_FORMAT_UNACCEPTABLE".into());
    let outcome = apply(&stuck(), &event, None);
    assert_eq!(outcome.changes["name_status"], "DECLINED");
    assert_eq!(types(&outcome), [("notify_risk", "display_name_rejected")]);
    assert_eq!(
        outcome.actions[0].meta["rejection_reason"],
        "NAME_FORMAT_UNACCEPTABLE"
    );
    // A rejected name change leaves the approved name alone.
    let mut changing = provisioned();
    changing.insert("new_name_status".into(), json!("PENDING_REVIEW"));
    let outcome = apply(&changing, &event, None);
    assert_eq!(outcome.changes["new_name_status"], "DECLINED");
    assert!(!outcome.changes.contains_key("name_status"));
}

#[test]
fn risks_are_notified_with_metas_reasons() {
    let cases = [
        (
            "phone_number_quality_update_flagged_tier_10k.json",
            "flagged",
            Some("FLAGGED"),
        ),
        (
            "account_update_account_restriction.json",
            "restricted",
            Some("RESTRICTED"),
        ),
        (
            "account_update_account_violation_adult.json",
            "violation",
            None,
        ),
        (
            "account_update_disabled_update_schedule_for_disable.json",
            "ban_scheduled",
            None,
        ),
        (
            "account_update_account_deleted.json",
            "account_deleted",
            Some("DELETED"),
        ),
    ];
    for (name, reason, status) in cases {
        let outcome = apply(&unnamed(provisioned()), &one(name), None);
        assert_eq!(types(&outcome), [("notify_risk", reason)], "{name}");
        assert_eq!(
            outcome.changes.get("status").and_then(Value::as_str),
            status,
            "{name}"
        );
    }
    let ban = apply(
        &provisioned(),
        &one("account_update_disabled_update_schedule_for_disable.json"),
        None,
    );
    assert_eq!(
        ban.actions[0].meta["ban_info"]["waba_ban_state"],
        "SCHEDULE_FOR_DISABLE"
    );
    assert!(ban.actions[0].message.contains("January 31, 2021"));
    let restricted = apply(
        &provisioned(),
        &one("account_update_account_restriction.json"),
        None,
    );
    assert!(restricted.actions[0]
        .message
        .contains("RESTRICTED_ADD_PHONE_NUMBER_ACTION"));
}

#[test]
fn a_ban_sets_banned_and_a_milder_status_never_replaces_it() {
    let mut ban = one("account_update_disabled_update_reinstate.json");
    ban.ban_info.as_mut().unwrap().waba_ban_state = Some("DISABLE".into());
    let outcome = apply(&provisioned(), &ban, None);
    assert_eq!(types(&outcome), [("notify_risk", "banned")]);
    let banned = merged(&provisioned(), &outcome);
    assert_eq!(banned["status"], "BANNED");
    let restricted = apply(
        &banned,
        &one("account_update_account_restriction.json"),
        None,
    );
    assert!(!restricted.changes.contains_key("status"));
    let reinstated = apply(
        &banned,
        &one("account_update_disabled_update_reinstate.json"),
        None,
    );
    assert_eq!(types(&reinstated), [("refresh", "ban_update")]);
}

#[test]
fn partner_removal_asks_for_reauthorization() {
    for name in [
        "account_update_partner_removed.json",
        "account_update_partner_removed_disconnection_info.json",
        "account_update_account_offboarded.json",
    ] {
        let outcome = apply(&Map::new(), &one(name), None);
        assert_eq!(
            types(&outcome),
            [("reauthorize", "partner_removed")],
            "{name}"
        );
    }
    let mut uninstalled = one("account_update_partner_removed.json");
    uninstalled.event = Some("PARTNER_APP_UNINSTALLED".into());
    assert_eq!(
        types(&apply(&Map::new(), &uninstalled, None)),
        [("reauthorize", "partner_removed")]
    );
    let with_reason = apply(
        &Map::new(),
        &one("account_update_partner_removed_disconnection_info.json"),
        None,
    );
    assert!(with_reason.actions[0]
        .message
        .contains("PRIMARY_INACTIVITY"));
}

#[test]
fn events_that_do_not_carry_the_change_ask_for_a_refresh() {
    for name in [
        "phone_number_quality_update_throughput_upgrade.json",
        "account_update_verified_account.json",
        "account_review_update_approved.json",
        "business_capability_update_limits.json",
        "account_update_account_reconnected.json",
    ] {
        let outcome = apply(&Map::new(), &one(name), None);
        assert_eq!(outcome.actions.len(), 1, "{name}");
        assert_eq!(outcome.actions[0].kind, ActionType::Refresh, "{name}");
    }
    for name in [
        "account_update_volume_pricing_tier.json",
        "account_update_ad_account_linked.json",
        "account_update_mm_lite_terms_signed.json",
    ] {
        let outcome = apply(&Map::new(), &one(name), None);
        assert!(outcome.actions.is_empty(), "{name}");
        assert!(outcome.changes.contains_key(LAST_EVENT_AT), "{name}");
    }
}

#[test]
fn a_lower_limit_is_a_risk() {
    let mut event = one("phone_number_quality_update_throughput_upgrade.json");
    event.event = Some("ONBOARDING".into());
    event.limits.as_mut().unwrap().current_limit = Some(json!("TIER_1K"));
    let outcome = apply(&stuck(), &event, None);
    assert_eq!(
        types(&outcome),
        [("refresh", "quality_update"), ("notify_risk", "limit_down")]
    );
    assert_eq!(outcome.changes["messaging_limit_tier"], "TIER_1K");
    // business_capability_update carries a number: 2000 is below TIER_10K.
    let caps = apply(
        &unnamed(stuck()),
        &one("business_capability_update_limits.json"),
        None,
    );
    assert_eq!(
        types(&caps),
        [
            ("notify_risk", "limit_down"),
            ("refresh", "capability_update")
        ]
    );
    assert_eq!(limit_rank(&json!("TIER_UNLIMITED")), Some(u64::MAX));
    assert_eq!(limit_rank(&json!("TIER_NOT_SET")), None);
    assert_eq!(limit_rank(&json!("TIER_2K")), Some(2000));
}

#[test]
fn duplicates_and_older_events_change_nothing() {
    let approved = one("phone_number_name_update_approved.json");
    let first = apply(&stuck(), &approved, None);
    let after = merged(&stuck(), &first);
    let again = apply(&after, &approved, None);
    assert_eq!(again.skipped, Some(Skip::Duplicate));
    assert!(again.changes.is_empty() && again.actions.is_empty());

    let mut older = approved.clone();
    older.time = Some(1739321024 - 1);
    older.decision = Some("REJECTED".into());
    assert_eq!(apply(&after, &older, None).skipped, Some(Skip::Stale));

    // Another change of the same second is not a duplicate.
    let mut same_second = approved.clone();
    same_second
        .value
        .insert("requested_verified_name".into(), json!("Other"));
    assert_eq!(apply(&after, &same_second, None).skipped, None);

    // Ordering is per field: an older quality event after a newer name event still applies.
    let mut quality = one("phone_number_quality_update_flagged_tier_10k.json");
    quality.waba_id = Some("102290129340398".into());
    quality.display_phone_number = Some("15550783881".into());
    quality.time = Some(1739321024 - 60);
    let late = apply(&after, &quality, None);
    assert_eq!(late.skipped, None);
    assert_eq!(late.changes[LAST_EVENT_AT], 1739321024);
}

#[test]
fn events_for_another_number_or_waba_and_unknown_fields_are_skipped() {
    let mut other_number = one("phone_number_name_update_approved.json");
    other_number.display_phone_number = Some("15550000000".into());
    assert_eq!(
        apply(&stuck(), &other_number, None).skipped,
        Some(Skip::OtherNumber)
    );
    let mut other_waba = one("phone_number_name_update_approved.json");
    other_waba.waba_id = Some("999".into());
    assert_eq!(
        apply(&stuck(), &other_waba, None).skipped,
        Some(Skip::OtherAccount)
    );
    // Placeholders are not ids: no match needed.
    let placeholder = one("account_update_verified_account.json");
    assert_eq!(
        apply(&stuck(), &placeholder, None).skipped,
        Some(Skip::OtherNumber)
    );
    let unknown = Event::from_change("messages", None, Some(1), Map::new(), String::new());
    assert_eq!(
        apply(&stuck(), &unknown, None).skipped,
        Some(Skip::NotHealth)
    );
}

#[test]
fn an_event_without_time_applies_and_is_not_remembered() {
    let mut event = one("phone_number_name_update_approved.json");
    event.time = None;
    let outcome = apply(&stuck(), &event, None);
    assert_eq!(types(&outcome), [("register_now", "display_name_approved")]);
    assert!(!outcome.changes.contains_key(LAST_EVENT_AT));
    assert!(!outcome.changes.contains_key(APPLIED_EVENTS));
}

proptest! {
    #[test]
    fn any_event_on_any_snapshot_never_panics_and_is_idempotent(
        snapshot in crate::test_support::object(),
        value in crate::test_support::object(),
        field in proptest::sample::select(&["phone_number_name_update", "phone_number_quality_update",
            "account_update", "account_review_update", "business_capability_update", "account_alerts",
            "security", "messages"][..]),
        time in proptest::option::of(0i64..2_000_000_000),
    ) {
        let event = Event::from_change(field, Some("1".into()), time, value, "0".repeat(32));
        let outcome = apply(&snapshot, &event, None);
        if time.is_some() && outcome.skipped.is_none() {
            let again = apply(&merged(&snapshot, &outcome), &event, None);
            prop_assert_eq!(again.skipped, Some(Skip::Duplicate));
            prop_assert!(again.actions.is_empty() && again.changes.is_empty());
        }
    }
}
