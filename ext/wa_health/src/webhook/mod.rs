//! Meta's health webhooks: the signature check, the subscription challenge, parsing a body into
//! [`event::Event`]s, and the rules from an event to snapshot changes and actions ([`apply`]).
//! Plain Rust; the Ruby side is in binding/webhook.rs.

pub mod apply;
pub mod event;
pub mod parse;
mod rules;
pub mod signature;
