//! The rules `apply` (apply.rs) runs, one method per health field: what an event sets in the
//! snapshot and which actions it asks for.

use serde_json::{Map, Value};

use super::action::{Action, ActionType};
use super::event::Event;
use crate::decision::{decide, name_in_review, name_status_approved, Reason};
use crate::normalize::normalized;
use crate::text::{one_line, single_line_value};

/// Longest value of Meta's (a name, a reason, an event) quoted in a message, in characters.
const MAX_QUOTED_CHARS: usize = 128;
/// Longest message, in characters.
const MAX_MESSAGE_CHARS: usize = 1024;

/// A value of Meta's as a message quotes it: on one line, bounded.
fn quote(text: &str) -> String {
    one_line(text, MAX_QUOTED_CHARS)
}

/// Whether the event approves a display name of a number that is already registered: a name
/// change, which takes effect only once the number is registered again. Meta's payload does not
/// say whether a review was a first one or a change; the number's state does (research/meta/NOTES.md,
/// section 5: "compare with the number's state").
pub(super) fn approves_name_change(snapshot: &Map<String, Value>, event: &Event) -> bool {
    normalized(event.decision.as_deref()).as_deref() == Some("APPROVED")
        && decide(snapshot).reason == Reason::Provisioned
}

/// The snapshot's member `key` when it is a JSON string.
pub(super) fn member<'a>(snapshot: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    snapshot.get(key).and_then(Value::as_str)
}

/// How bad a phone `status` is, to never replace a worse one with a milder one.
fn severity(status: Option<&str>) -> u8 {
    match normalized(status).as_deref() {
        Some("DELETED") => 5,
        Some("BANNED") => 4,
        Some("RESTRICTED") => 3,
        Some("FLAGGED") => 2,
        Some("RATE_LIMITED" | "DISCONNECTED") => 1,
        _ => 0,
    }
}

/// A messaging limit as a number of conversations: `TIER_250` 250, `TIER_10K` 10,000,
/// `TIER_UNLIMITED` the most; JSON numbers as they are. `TIER_NOT_SET` and the rest: `None`.
pub fn limit_rank(limit: &Value) -> Option<u64> {
    let text = match limit {
        Value::Number(n) => return n.as_u64(),
        Value::String(s) => normalized(Some(s))?,
        _ => return None,
    };
    let tier = text.strip_prefix("TIER_").unwrap_or(&text);
    if tier == "UNLIMITED" {
        return Some(u64::MAX);
    }
    let (number, factor) = match (tier.strip_suffix('K'), tier.strip_suffix('M')) {
        (Some(n), _) => (n, 1_000),
        (_, Some(n)) => (n, 1_000_000),
        _ => (tier, 1),
    };
    number.parse::<u64>().ok().map(|n| n.saturating_mul(factor))
}

pub(super) struct Rules<'a> {
    snapshot: &'a Map<String, Value>,
    event: &'a Event,
    pub changes: Map<String, Value>,
    pub actions: Vec<Action>,
}

impl<'a> Rules<'a> {
    pub fn new(
        snapshot: &'a Map<String, Value>,
        event: &'a Event,
        changes: Map<String, Value>,
    ) -> Self {
        Rules {
            snapshot,
            event,
            changes,
            actions: Vec::new(),
        }
    }

    fn current(&self, key: &str) -> Option<String> {
        match self.changes.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => member(self.snapshot, key).map(str::to_owned),
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.changes.insert(key.into(), Value::String(value.into()));
    }

    fn set_status(&mut self, status: &str) {
        if severity(Some(status)) >= severity(self.current("status").as_deref()) {
            self.set("status", status);
        }
    }

    /// The number the event is about, for messages.
    fn number(&self) -> String {
        let named = [&self.event.display_phone_number, &self.event.phone_number]
            .into_iter()
            .flatten()
            .next()
            .cloned();
        named
            .or_else(|| self.current("display_phone_number"))
            .map_or_else(|| "the number".into(), |n| format!("number {}", quote(&n)))
    }

    /// Meta's facts for an action's `meta`: every member of the event that is set.
    fn meta(&self) -> Map<String, Value> {
        let mut meta = Map::new();
        for (key, value) in self.event.pairs() {
            let skip = matches!(
                key,
                "field" | "kind" | "event_id" | "waba_id" | "entry_id" | "time" | "value"
            );
            let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
            if !skip && !empty {
                meta.insert(key.into(), value);
            }
        }
        meta
    }

    fn act(&mut self, kind: ActionType, reason: &'static str, message: String) {
        let meta = self.meta();
        self.actions.push(Action {
            kind,
            reason,
            // Each of Meta's values is quoted already; this bounds the whole.
            message: one_line(&message, MAX_MESSAGE_CHARS),
            meta,
        });
    }

    fn refresh(&mut self, reason: &'static str) {
        let what = normalized(
            self.event
                .event
                .as_deref()
                .or(self.event.decision.as_deref()),
        );
        let message = format!(
            "Meta sent {} {}; read the health again for what changed.",
            quote(&self.event.field),
            quote(&what.unwrap_or_default())
        );
        self.act(ActionType::Refresh, reason, message);
    }

    pub fn name_update(&mut self) {
        // Stored as the number's name: one line, whatever Meta's text holds.
        let requested = self
            .event
            .requested_verified_name
            .as_deref()
            .map(single_line_value)
            .filter(|name| !name.is_empty());
        let name = requested
            .as_deref()
            .map_or_else(String::new, |n| format!(" \"{}\"", quote(n)));
        let name_approved = name_status_approved(self.current("name_status").as_deref());
        let change_pending = name_in_review(self.current("new_name_status").as_deref());
        match normalized(self.event.decision.as_deref()).as_deref() {
            Some("APPROVED") => {
                let before = decide(self.snapshot);
                if !name_approved {
                    self.set("name_status", "APPROVED");
                }
                if change_pending {
                    self.set("new_name_status", "APPROVED");
                }
                if let Some(requested) = &requested {
                    self.set("verified_name", requested);
                }
                if before.register {
                    let message = format!(
                        "Meta approved the display name{name} of {}, whose registration was incomplete ({}): register it now.",
                        self.number(),
                        before.reason.as_str()
                    );
                    self.act(ActionType::RegisterNow, "display_name_approved", message);
                } else if approves_name_change(self.snapshot, self.event) {
                    // Meta's registration page (updated Jun 26, 2026): "After approval, re-register
                    // your phone number ... Re-registering before approval has no effect"; the
                    // display names page: "you have 14 days to re-register the phone number".
                    let message = format!(
                        "Meta approved the display name change{name} of {}, which is registered: register it again now for the new name to take effect (within 14 days of the approval).",
                        self.number()
                    );
                    self.act(ActionType::RegisterNow, "name_change", message);
                } else {
                    self.refresh("display_name_approved");
                }
            }
            Some("REJECTED") => {
                // Graph's own value for a rejected name, so a later health read does not flip it.
                let key = if name_approved {
                    "new_name_status"
                } else {
                    "name_status"
                };
                self.set(key, "DECLINED");
                let why = self
                    .event
                    .rejection_reason
                    .as_deref()
                    .map_or_else(|| "no reason given".into(), quote);
                let message = format!(
                    "Meta rejected the display name{name} of {} ({why}).",
                    self.number()
                );
                self.act(ActionType::NotifyRisk, "display_name_rejected", message);
            }
            Some("PENDING" | "DEFERRED") => {}
            _ => self.refresh("display_name_decision"),
        }
    }

    /// The new limit an event carries and whether it is lower than the one before (the event's
    /// `old_limit`, else the snapshot's `messaging_limit_tier`).
    fn limit_change(&self) -> (Option<Value>, bool) {
        let Some(limits) = &self.event.limits else {
            return (None, false);
        };
        let ranked = |v: &Option<Value>| v.clone().filter(|v| limit_rank(v).is_some());
        let new = ranked(&limits.max_daily_conversations_per_business)
            .or_else(|| ranked(&limits.current_limit));
        let previous = ranked(&limits.old_limit).or_else(|| {
            self.current("messaging_limit_tier")
                .map(Value::String)
                .filter(|v| limit_rank(v).is_some())
        });
        let down = match (&new, &previous) {
            (Some(new), Some(previous)) => limit_rank(new) < limit_rank(previous),
            _ => false,
        };
        (new, down)
    }

    pub fn quality_update(&mut self) {
        let (new_limit, down) = self.limit_change();
        if let Some(Value::String(limit)) = &new_limit {
            self.set("messaging_limit_tier", limit);
        }
        let number = self.number();
        let event = normalized(self.event.event.as_deref());
        match event.as_deref() {
            Some("FLAGGED") => {
                if severity(self.current("status").as_deref()) == 0 {
                    self.set("status", "FLAGGED");
                }
                let message = format!(
                    "Meta flagged the quality of {number}: its messaging limit may go down."
                );
                self.act(ActionType::NotifyRisk, "flagged", message);
            }
            Some("UNFLAGGED") => {
                if normalized(self.current("status").as_deref()).as_deref() == Some("FLAGGED") {
                    self.set("status", "CONNECTED");
                }
                self.refresh("unflagged");
            }
            Some("DOWNGRADE") => {}
            _ => self.refresh("quality_update"),
        }
        if down || event.as_deref() == Some("DOWNGRADE") {
            let limit = new_limit.map_or_else(|| "unknown".into(), |l| quote(&l.to_string()));
            let message = format!("Meta lowered the messaging limit of {number} (now {limit}).");
            self.act(ActionType::NotifyRisk, "limit_down", message);
        }
    }

    pub fn account_update(&mut self) {
        let number = self.number();
        match normalized(self.event.event.as_deref()).as_deref() {
            Some("DISABLED_UPDATE") => {
                let ban = self.event.ban_info.clone().unwrap_or_default();
                let date = ban
                    .waba_ban_date
                    .as_deref()
                    .map_or_else(|| "no date given".into(), quote);
                match normalized(ban.waba_ban_state.as_deref()).as_deref() {
                    Some("DISABLE") => {
                        self.set_status("BANNED");
                        let message = format!("Meta disabled (banned) the WhatsApp Business Account of {number} ({date}).");
                        self.act(ActionType::NotifyRisk, "banned", message);
                    }
                    Some("SCHEDULE_FOR_DISABLE") => {
                        let message = format!("Meta scheduled the WhatsApp Business Account of {number} to be disabled ({date}).");
                        self.act(ActionType::NotifyRisk, "ban_scheduled", message);
                    }
                    _ => self.refresh("ban_update"),
                }
            }
            Some("ACCOUNT_VIOLATION") => {
                let kind = self
                    .event
                    .violation_info
                    .as_ref()
                    .and_then(|v| v.violation_type.clone());
                let message = format!(
                    "Meta reports a policy violation ({}) on the WhatsApp Business Account of {number}.",
                    kind.as_deref().map_or_else(|| "type not given".into(), quote)
                );
                self.act(ActionType::NotifyRisk, "violation", message);
            }
            Some("ACCOUNT_RESTRICTION") => {
                self.set_status("RESTRICTED");
                let types: Vec<_> = self
                    .event
                    .restriction_info
                    .iter()
                    .filter_map(|r| r.restriction_type.as_deref().map(quote))
                    .collect();
                let message = format!(
                    "Meta restricted the WhatsApp Business Account of {number} ({}).",
                    if types.is_empty() {
                        "no restriction type given".into()
                    } else {
                        types.join(", ")
                    }
                );
                self.act(ActionType::NotifyRisk, "restricted", message);
            }
            Some(
                event @ ("PARTNER_REMOVED" | "PARTNER_APP_UNINSTALLED" | "ACCOUNT_OFFBOARDED"),
            ) => {
                let reason = self
                    .event
                    .disconnection_info
                    .as_ref()
                    .and_then(|d| d.reason.clone());
                let message = format!(
                    "Meta reports {event} for the WhatsApp Business Account of {number}{}: the app no longer has access; the channel needs a new authorization.",
                    reason.map_or_else(String::new, |r| format!(" ({})", quote(&r)))
                );
                self.act(ActionType::Reauthorize, "partner_removed", message);
            }
            Some("ACCOUNT_DELETED") => {
                self.set_status("DELETED");
                let message = format!("Meta deleted the WhatsApp Business Account of {number}.");
                self.act(ActionType::NotifyRisk, "account_deleted", message);
            }
            // Billing, pricing, ads and certification news: nothing about the number's health.
            Some(
                "AD_ACCOUNT_LINKED"
                | "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE"
                | "VOLUME_BASED_PRICING_TIER_UPDATE"
                | "MM_LITE_TERMS_SIGNED"
                | "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE"
                | "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
            ) => {}
            // VERIFIED_ACCOUNT, ACCOUNT_RECONNECTED, PARTNER_ADDED, PARTNER_APP_INSTALLED, and events
            // not known yet.
            _ => self.refresh("account_update"),
        }
    }

    pub fn account_review(&mut self) {
        match normalized(self.event.decision.as_deref()).as_deref() {
            Some("REJECTED") => {
                let message = format!(
                    "Meta rejected the review of the WhatsApp Business Account of {}.",
                    self.number()
                );
                self.act(ActionType::NotifyRisk, "account_review_rejected", message);
            }
            Some("PENDING" | "DEFERRED") => {}
            _ => self.refresh("account_review"),
        }
    }

    pub fn capability_update(&mut self) {
        let (new_limit, down) = self.limit_change();
        if down {
            let limit = new_limit.map_or_else(|| "unknown".into(), |l| quote(&l.to_string()));
            let message = format!(
                "Meta lowered the business portfolio's messaging limit (now {limit}) for {}.",
                self.number()
            );
            self.act(ActionType::NotifyRisk, "limit_down", message);
        }
        self.refresh("capability_update");
    }

    /// `account_alerts`: a risk when Meta says CRITICAL or WARNING and the alert is not resolved
    /// (`alert_status` NONE), news otherwise.
    pub fn account_alert(&mut self) {
        let info = self.event.alert_info.clone().unwrap_or_default();
        let severity = normalized(info.alert_severity.as_deref());
        let resolved = normalized(info.alert_status.as_deref()).as_deref() == Some("NONE");
        let risky = !resolved
            && !matches!(severity.as_deref(), Some("INFORMATIONAL"))
            && severity.is_some();
        let entity = match (&self.event.entity_type, &self.event.entity_id) {
            (Some(t), Some(id)) => format!("{} {}", quote(t), quote(id)),
            (Some(t), None) => quote(t),
            _ => "the WhatsApp Business Account".into(),
        };
        let message = format!(
            "Meta alert{} on {entity} of {}: {}{}.",
            severity.map_or_else(String::new, |s| format!(" ({})", quote(&s))),
            self.number(),
            info.alert_type
                .as_deref()
                .map_or_else(|| "type not given".into(), quote),
            info.alert_description
                .as_deref()
                .map_or_else(String::new, |d| format!(" ({})", quote(d)))
        );
        let kind = if risky {
            ActionType::NotifyRisk
        } else {
            ActionType::Notify
        };
        self.act(kind, "account_alert", message);
    }

    /// `security`: the two-step verification PIN changed, or its reset was asked for or done
    /// (Meta's security webhook reference, Oct 22, 2025). Each makes the stored PIN untrustworthy.
    pub fn security(&mut self) {
        let number = self.number();
        let requester = self
            .event
            .requester
            .as_deref()
            .map_or_else(String::new, |r| format!(" (requester {})", quote(r)));
        let (reason, message) = match normalized(self.event.event.as_deref()).as_deref() {
            Some("PIN_CHANGED") => (
                "pin_changed",
                format!("The two-step verification PIN of {number} was changed in WhatsApp Manager: the stored PIN is no longer the number's, and registering with it would fail (133005)."),
            ),
            Some("PIN_RESET_REQUEST") => (
                "pin_reset_requested",
                format!("A reset of the two-step verification PIN of {number} was requested{requester}: once it is done the stored PIN is no longer the number's."),
            ),
            Some("PIN_REQUEST_SUCCESS") => (
                "pin_reset",
                format!("Two-step verification of {number} was turned off{requester}: the stored PIN is no longer set on the number; the next registration sets the PIN it is given."),
            ),
            other => {
                let message = format!(
                    "Meta sent a security event ({}) for {number}; check the number's two-step verification in WhatsApp Manager.",
                    other.map_or_else(|| "no event given".into(), quote)
                );
                self.act(ActionType::Notify, "security_event", message);
                return;
            }
        };
        self.act(ActionType::MarkPinStale, reason, message);
    }
}
