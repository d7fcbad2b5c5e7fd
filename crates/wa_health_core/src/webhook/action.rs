//! What the rules of `apply` (apply.rs) ask the caller to do, as data.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionType {
    /// Register the number now (its display name was approved while registration was incomplete).
    RegisterNow,
    /// Tell people: Meta's reasons are in the action's `meta`.
    NotifyRisk,
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
    /// One sentence for an operator, with Meta's words.
    pub message: String,
    /// Meta's facts behind the action (event, decision, rejection reason, ban state, ...).
    pub meta: Map<String, Value>,
}
