//! wa_health's core, in plain Rust (no Ruby type anywhere): the Graph API client, Meta's answers
//! and errors, the health record, the registration decision and retry schedule, and Meta's health
//! webhooks. The Ruby extension (ext/wa_health) binds it; fuzz/ fuzzes it.
//!
//! Without the default `client` feature only the modules that need no network stack are built:
//! everything that reads bytes Meta (or anyone) sends, and the rules (what fuzz/ builds). The tests
//! need the default features.

#[cfg(feature = "client")]
pub mod batch;
#[cfg(feature = "client")]
pub mod client;
pub mod decision;
pub mod error;
#[cfg(feature = "client")]
pub mod health;
pub mod ids;
pub mod meaning;
pub mod normalize;
#[cfg(feature = "client")]
pub mod registration;
pub mod schedule;
pub mod secrets;
pub mod text;
pub mod usage;
pub mod webhook;

#[cfg(test)]
mod test_support;
