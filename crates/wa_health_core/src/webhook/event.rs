//! One health event: a `changes[]` item of Meta's webhook envelope, with the facts the gem acts on
//! pulled out of its `value` (which is kept whole, for what is not pulled out).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// What a change is about, from its `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `phone_number_name_update`: a display name decision.
    NameUpdate,
    /// `phone_number_quality_update`: flags, limits, throughput.
    QualityUpdate,
    /// `account_update`: bans, restrictions, violations, partner changes, deletion.
    AccountUpdate,
    /// `account_review_update`: the WABA's review decision.
    AccountReview,
    /// `business_capability_update`: the portfolio's limits.
    CapabilityUpdate,
    /// `account_alerts`: Meta's alerts about the business, the WABA or a number (limit increases
    /// deferred or refused, official business account decisions, a lost profile picture, ...).
    AccountAlert,
    /// `security`: the number's two-step verification PIN was changed, or its reset asked for or
    /// done; a stored PIN may no longer be the number's.
    Security,
    /// Any other field (`messages`, `message_template_status_update`, ...).
    #[default]
    Unknown,
}

impl Kind {
    pub fn of(field: &str) -> Kind {
        match field {
            "phone_number_name_update" => Kind::NameUpdate,
            "phone_number_quality_update" => Kind::QualityUpdate,
            "account_update" => Kind::AccountUpdate,
            "account_review_update" => Kind::AccountReview,
            "business_capability_update" => Kind::CapabilityUpdate,
            "account_alerts" => Kind::AccountAlert,
            "security" => Kind::Security,
            _ => Kind::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NameUpdate => "name_update",
            Kind::QualityUpdate => "quality_update",
            Kind::AccountUpdate => "account_update",
            Kind::AccountReview => "account_review",
            Kind::CapabilityUpdate => "capability_update",
            Kind::AccountAlert => "account_alert",
            Kind::Security => "security",
            Kind::Unknown => "unknown",
        }
    }
}

/// Limits as Meta sent them: tier names (`"TIER_10K"`) in phone_number_quality_update, JSON numbers
/// (`2000`) in business_capability_update (spec/fixtures/meta/webhooks/business_capability_update_limits.json).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub current_limit: Option<Value>,
    pub old_limit: Option<Value>,
    pub max_daily_conversations_per_business: Option<Value>,
    pub max_phone_numbers_per_waba: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BanInfo {
    /// `DISABLE`, `REINSTATE` or `SCHEDULE_FOR_DISABLE`.
    pub waba_ban_state: Option<String>,
    /// Prose, e.g. "April 17, 2025".
    pub waba_ban_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Restriction {
    pub restriction_type: Option<String>,
    /// Unix seconds; `None` when Meta sent something else (older docs show `"<TIMESTAMP>"`).
    pub expiration: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ViolationInfo {
    pub violation_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DisconnectionInfo {
    pub reason: Option<String>,
    pub initiated_by: Option<String>,
}

/// An `account_alerts` alert. Meta's reference nests these under `value.alert_info`; the sample
/// its App Dashboard sends has them directly in `value` (research: account_alerts_*.json); both are
/// read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertInfo {
    /// `CRITICAL`, `WARNING` or `INFORMATIONAL`.
    pub alert_severity: Option<String>,
    /// `ACTIVE` or `NONE`.
    pub alert_status: Option<String>,
    /// e.g. `INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED`, `OBA_APPROVED`, `PROFILE_PICTURE_LOST`.
    pub alert_type: Option<String>,
    pub alert_description: Option<String>,
}

/// One change of a webhook body. Every member but `field` may be missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    pub field: String,
    /// Derived from `field`; never trusted from outside (see [`Event::normalized`]).
    pub kind: Kind,
    /// This change's identity ([`super::identity::event_id`]): the same for every delivery of the
    /// same change, whatever else the body holds.
    pub event_id: String,
    /// The WABA the event concerns: `value.waba_info.waba_id` when the change has one (partner
    /// `account_update` events, whose entry is the partner's business portfolio), else the entry's
    /// `id` (older doc examples have placeholders such as "waba-id").
    pub waba_id: Option<String>,
    /// The entry's `id` as Meta sent it: the WABA, or for partner events the partner's portfolio.
    pub entry_id: Option<String>,
    /// The entry's `time`, Unix seconds (a fractional time rounded down); `None` when absent or not
    /// a time that fits.
    pub time: Option<i64>,
    /// `value.phone_number` (account_update; present in older shapes only).
    pub phone_number: Option<String>,
    /// `value.display_phone_number` (name and quality updates).
    pub display_phone_number: Option<String>,
    /// `value.event` (quality and account updates).
    pub event: Option<String>,
    /// `value.decision` (name and account review updates).
    pub decision: Option<String>,
    pub requested_verified_name: Option<String>,
    pub rejection_reason: Option<String>,
    pub limits: Option<Limits>,
    pub ban_info: Option<BanInfo>,
    pub restriction_info: Vec<Restriction>,
    pub violation_info: Option<ViolationInfo>,
    pub disconnection_info: Option<DisconnectionInfo>,
    /// `value.entity_type` (account_alerts): `BUSINESS`, `WABA`, `PHONE_NUMBER`, ...
    pub entity_type: Option<String>,
    /// `value.entity_id` (account_alerts): the id of that business, WABA or phone number.
    pub entity_id: Option<String>,
    pub alert_info: Option<AlertInfo>,
    /// `value.requester` (security): who asked for a PIN reset.
    pub requester: Option<String>,
    /// Meta's `value` object as it came.
    pub value: Map<String, Value>,
}

/// A string member as text: strings as they are, numbers as their decimal text (ids and phone
/// numbers have been seen as JSON numbers), anything else (null included) as `None`.
pub fn text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A Unix time: an integer, a number with a fraction (rounded down), or a string of digits;
/// anything else, and a time that does not fit in an i64, is `None`.
pub fn unix_time(value: Option<&Value>) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, itself out of range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Some(Value::Number(n)) => n.as_i64().or_else(|| {
            let f = n.as_f64()?.floor();
            (f.is_finite() && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
        }),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn limit(value: Option<&Value>) -> Option<Value> {
    match value {
        Some(v @ (Value::String(_) | Value::Number(_))) => Some(v.clone()),
        _ => None,
    }
}

fn object<'a>(value: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    value.get(key).and_then(Value::as_object)
}

impl Event {
    /// The event for one change whose `field` is known; `value` is the change's `value` object
    /// (empty when Meta sent none or not an object), `event_id` its identity.
    pub fn from_change(
        field: &str,
        entry_id: Option<String>,
        time: Option<i64>,
        value: Map<String, Value>,
        event_id: String,
    ) -> Event {
        let get = |key: &str| text(value.get(key));
        let waba_info_id = object(&value, "waba_info").and_then(|info| text(info.get("waba_id")));
        // The reference's alert_info, else the same members directly in value (the dashboard's).
        let alert_source = object(&value, "alert_info").unwrap_or(&value);
        let alert_info = AlertInfo {
            alert_severity: text(alert_source.get("alert_severity")),
            alert_status: text(alert_source.get("alert_status")),
            alert_type: text(alert_source.get("alert_type")),
            alert_description: text(alert_source.get("alert_description")),
        };
        let limits = Limits {
            current_limit: limit(value.get("current_limit")),
            old_limit: limit(value.get("old_limit")),
            max_daily_conversations_per_business: limit(
                value.get("max_daily_conversations_per_business"),
            ),
            max_phone_numbers_per_waba: limit(value.get("max_phone_numbers_per_waba")),
        };
        let restriction_info = match value.get("restriction_info") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_object)
                .map(|r| Restriction {
                    restriction_type: text(r.get("restriction_type")),
                    expiration: unix_time(r.get("expiration")),
                })
                .collect(),
            _ => Vec::new(),
        };
        let kind = Kind::of(field);
        Event {
            field: field.to_owned(),
            kind,
            event_id,
            waba_id: waba_info_id.or_else(|| entry_id.clone()),
            entry_id,
            time,
            phone_number: get("phone_number"),
            display_phone_number: get("display_phone_number"),
            event: get("event"),
            decision: get("decision"),
            requested_verified_name: get("requested_verified_name"),
            rejection_reason: get("rejection_reason"),
            limits: (limits != Limits::default()).then_some(limits),
            ban_info: object(&value, "ban_info").map(|b| BanInfo {
                waba_ban_state: text(b.get("waba_ban_state")),
                waba_ban_date: text(b.get("waba_ban_date")),
            }),
            restriction_info,
            violation_info: object(&value, "violation_info").map(|v| ViolationInfo {
                violation_type: text(v.get("violation_type")),
            }),
            disconnection_info: object(&value, "disconnection_info").map(|d| DisconnectionInfo {
                reason: text(d.get("reason")),
                initiated_by: text(d.get("initiated_by")),
            }),
            entity_type: get("entity_type"),
            entity_id: get("entity_id"),
            alert_info: (kind == Kind::AccountAlert && alert_info != AlertInfo::default())
                .then_some(alert_info),
            requester: get("requester"),
            value,
        }
    }

    /// An event that came back from Ruby: `kind` recomputed from `field`.
    pub fn normalized(mut self) -> Event {
        self.kind = Kind::of(&self.field);
        self
    }

    /// The members in a stable, readable order (the Ruby Hash's key order).
    pub fn pairs(&self) -> Vec<(&'static str, Value)> {
        let to_json = |v: serde_json::Result<Value>| v.unwrap_or(Value::Null);
        vec![
            ("field", json!(self.field)),
            ("kind", json!(self.kind.as_str())),
            ("event_id", json!(self.event_id)),
            ("waba_id", json!(self.waba_id)),
            ("entry_id", json!(self.entry_id)),
            ("time", json!(self.time)),
            ("phone_number", json!(self.phone_number)),
            ("display_phone_number", json!(self.display_phone_number)),
            ("event", json!(self.event)),
            ("decision", json!(self.decision)),
            (
                "requested_verified_name",
                json!(self.requested_verified_name),
            ),
            ("rejection_reason", json!(self.rejection_reason)),
            ("limits", to_json(serde_json::to_value(&self.limits))),
            ("ban_info", to_json(serde_json::to_value(&self.ban_info))),
            (
                "restriction_info",
                to_json(serde_json::to_value(&self.restriction_info)),
            ),
            (
                "violation_info",
                to_json(serde_json::to_value(&self.violation_info)),
            ),
            (
                "disconnection_info",
                to_json(serde_json::to_value(&self.disconnection_info)),
            ),
            ("entity_type", json!(self.entity_type)),
            ("entity_id", json!(self.entity_id)),
            (
                "alert_info",
                to_json(serde_json::to_value(&self.alert_info)),
            ),
            ("requester", json!(self.requester)),
            ("value", Value::Object(self.value.clone())),
        ]
    }

    /// The phone number the event names (`phone_number`, else `display_phone_number`), digits only;
    /// `None` when it names none (placeholders such as "<PHONE_NUMBER>" have no digits).
    pub fn phone_digits(&self) -> Option<String> {
        [&self.phone_number, &self.display_phone_number]
            .into_iter()
            .flatten()
            .map(|p| digits(p))
            .find(|d| !d.is_empty())
    }
}

pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}
