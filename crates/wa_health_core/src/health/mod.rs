//! A phone number's health: the read (`read.rs`: the phone number node, its WABA and business
//! profile) and the record Chatwoot expects, built from Meta's answers (`record.rs`).

mod read;
mod record;

pub use read::{fetch_health, HealthQuery};
pub use record::{HealthRecord, PHONE_FIELDS};
