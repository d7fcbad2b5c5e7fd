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
    let outcome = apply(&stuck(), &event);
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
fn name_approval_on_a_provisioned_number_only_refreshes() {
    let event = one("phone_number_name_update_approved.json");
    let outcome = apply(&provisioned(), &event);
    assert_eq!(types(&outcome), [("refresh", "display_name_approved")]);
    assert!(!outcome.changes.contains_key("name_status"));
}

#[test]
fn name_rejection_declines_and_notifies_with_metas_reason() {
    let mut event = one("phone_number_name_update_approved.json");
    event.decision = Some("REJECTED".into());
    event.rejection_reason = Some("NAME_FORMAT_UNACCEPTABLE".into());
    let outcome = apply(&stuck(), &event);
    assert_eq!(outcome.changes["name_status"], "DECLINED");
    assert_eq!(types(&outcome), [("notify_risk", "display_name_rejected")]);
    assert_eq!(
        outcome.actions[0].meta["rejection_reason"],
        "NAME_FORMAT_UNACCEPTABLE"
    );
    // A rejected name change leaves the approved name alone.
    let mut changing = provisioned();
    changing.insert("new_name_status".into(), json!("PENDING_REVIEW"));
    let outcome = apply(&changing, &event);
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
        let outcome = apply(&unnamed(provisioned()), &one(name));
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
    );
    assert_eq!(
        ban.actions[0].meta["ban_info"]["waba_ban_state"],
        "SCHEDULE_FOR_DISABLE"
    );
    assert!(ban.actions[0].message.contains("January 31, 2021"));
    let restricted = apply(
        &provisioned(),
        &one("account_update_account_restriction.json"),
    );
    assert!(restricted.actions[0]
        .message
        .contains("RESTRICTED_ADD_PHONE_NUMBER_ACTION"));
}

#[test]
fn a_ban_sets_banned_and_a_milder_status_never_replaces_it() {
    let mut ban = one("account_update_disabled_update_reinstate.json");
    ban.ban_info.as_mut().unwrap().waba_ban_state = Some("DISABLE".into());
    let outcome = apply(&provisioned(), &ban);
    assert_eq!(types(&outcome), [("notify_risk", "banned")]);
    let banned = merged(&provisioned(), &outcome);
    assert_eq!(banned["status"], "BANNED");
    let restricted = apply(&banned, &one("account_update_account_restriction.json"));
    assert!(!restricted.changes.contains_key("status"));
    let reinstated = apply(
        &banned,
        &one("account_update_disabled_update_reinstate.json"),
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
        let outcome = apply(&Map::new(), &one(name));
        assert_eq!(
            types(&outcome),
            [("reauthorize", "partner_removed")],
            "{name}"
        );
    }
    let mut uninstalled = one("account_update_partner_removed.json");
    uninstalled.event = Some("PARTNER_APP_UNINSTALLED".into());
    assert_eq!(
        types(&apply(&Map::new(), &uninstalled)),
        [("reauthorize", "partner_removed")]
    );
    let with_reason = apply(
        &Map::new(),
        &one("account_update_partner_removed_disconnection_info.json"),
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
        let outcome = apply(&Map::new(), &one(name));
        assert_eq!(outcome.actions.len(), 1, "{name}");
        assert_eq!(outcome.actions[0].kind, ActionType::Refresh, "{name}");
    }
    for name in [
        "account_update_volume_pricing_tier.json",
        "account_update_ad_account_linked.json",
        "account_update_mm_lite_terms_signed.json",
    ] {
        let outcome = apply(&Map::new(), &one(name));
        assert!(outcome.actions.is_empty(), "{name}");
        assert!(outcome.changes.contains_key(LAST_EVENT_AT), "{name}");
    }
}

#[test]
fn a_lower_limit_is_a_risk() {
    let mut event = one("phone_number_quality_update_throughput_upgrade.json");
    event.event = Some("ONBOARDING".into());
    event.limits.as_mut().unwrap().current_limit = Some(json!("TIER_1K"));
    let outcome = apply(&stuck(), &event);
    assert_eq!(
        types(&outcome),
        [("refresh", "quality_update"), ("notify_risk", "limit_down")]
    );
    assert_eq!(outcome.changes["messaging_limit_tier"], "TIER_1K");
    // business_capability_update carries a number: 2000 is below TIER_10K.
    let caps = apply(
        &unnamed(stuck()),
        &one("business_capability_update_limits.json"),
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
    let first = apply(&stuck(), &approved);
    let after = merged(&stuck(), &first);
    let again = apply(&after, &approved);
    assert_eq!(again.skipped, Some(Skip::Duplicate));
    assert!(again.changes.is_empty() && again.actions.is_empty());

    let mut older = approved.clone();
    older.time = Some(1739321024 - 1);
    older.decision = Some("REJECTED".into());
    assert_eq!(apply(&after, &older).skipped, Some(Skip::Stale));

    // Another change of the same second is not a duplicate.
    let mut same_second = approved.clone();
    same_second
        .value
        .insert("requested_verified_name".into(), json!("Other"));
    assert_eq!(apply(&after, &same_second).skipped, None);

    // Ordering is per field: an older quality event after a newer name event still applies.
    let mut quality = one("phone_number_quality_update_flagged_tier_10k.json");
    quality.waba_id = Some("102290129340398".into());
    quality.display_phone_number = Some("15550783881".into());
    quality.time = Some(1739321024 - 60);
    let late = apply(&after, &quality);
    assert_eq!(late.skipped, None);
    assert_eq!(late.changes[LAST_EVENT_AT], 1739321024);
}

#[test]
fn events_for_another_number_or_waba_and_unknown_fields_are_skipped() {
    let mut other_number = one("phone_number_name_update_approved.json");
    other_number.display_phone_number = Some("15550000000".into());
    assert_eq!(
        apply(&stuck(), &other_number).skipped,
        Some(Skip::OtherNumber)
    );
    let mut other_waba = one("phone_number_name_update_approved.json");
    other_waba.waba_id = Some("999".into());
    assert_eq!(
        apply(&stuck(), &other_waba).skipped,
        Some(Skip::OtherAccount)
    );
    // Placeholders are not ids: no match needed.
    let placeholder = one("account_update_verified_account.json");
    assert_eq!(
        apply(&stuck(), &placeholder).skipped,
        Some(Skip::OtherNumber)
    );
    let unknown = Event::from_change("messages", None, Some(1), Map::new());
    assert_eq!(apply(&stuck(), &unknown).skipped, Some(Skip::NotHealth));
}

#[test]
fn an_event_without_time_applies_and_is_not_remembered() {
    let mut event = one("phone_number_name_update_approved.json");
    event.time = None;
    let outcome = apply(&stuck(), &event);
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
            "account_update", "account_review_update", "business_capability_update", "messages"][..]),
        time in proptest::option::of(0i64..2_000_000_000),
    ) {
        let event = Event::from_change(field, Some("1".into()), time, value);
        let outcome = apply(&snapshot, &event);
        if time.is_some() && outcome.skipped.is_none() {
            let again = apply(&merged(&snapshot, &outcome), &event);
            prop_assert_eq!(again.skipped, Some(Skip::Duplicate));
            prop_assert!(again.actions.is_empty() && again.changes.is_empty());
        }
    }
}
