//! What the rules of `apply` (apply.rs) ask the caller to do, as data.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionType {
    /// Register the number now: its display name was approved while registration was incomplete
    /// (reason `display_name_approved`), or a change of the name of a registered number was
    /// approved, which takes effect only once the number is registered again (reason `name_change`).
    RegisterNow,
    /// Tell people: Meta's reasons are in the action's `meta`.
    NotifyRisk,
    /// Tell people something that is not a risk (an alert Meta marks informational or resolved).
    Notify,
    /// The number's two-step verification PIN was changed, or its reset asked for or done: the PIN
    /// the app stores may no longer be the number's. Mark it so, so that no registration trusts it
    /// blindly (registering with a PIN that is not the number's fails with 133005 and spends one of
    /// Meta's 10 register calls per 72 hours).
    MarkPinStale,
    /// The business removed the app: the channel needs a new authorization.
    Reauthorize,
    /// Something changed that the event does not carry: read the health again.
    Refresh,
}

impl ActionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionType::RegisterNow => "register_now",
            ActionType::NotifyRisk => "notify_risk",
            ActionType::Notify => "notify",
            ActionType::MarkPinStale => "mark_pin_stale",
            ActionType::Reauthorize => "reauthorize",
            ActionType::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionType,
    /// Why, as a stable snake_case identifier.
    pub reason: &'static str,
    /// One sentence for an operator, with Meta's words (each on one line and bounded: no control
    /// character, see `text::one_line`).
    pub message: String,
    /// Meta's facts behind the action (event, decision, rejection reason, ban state, ...).
    pub meta: Map<String, Value>,
}
