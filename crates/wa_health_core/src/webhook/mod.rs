//! Meta's health webhooks: the signature check, the subscription challenge, parsing a body into
//! [`event::Event`]s, and the rules from an event to snapshot changes and actions ([`apply`]).
//! Plain Rust; the Ruby side is binding/webhook.rs of ext/wa_health.

pub mod action;
pub mod apply;
pub mod event;
pub mod identity;
pub mod parse;
mod rules;
pub mod signature;
