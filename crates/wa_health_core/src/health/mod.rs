//! A phone number's health: the read (`read.rs`: the phone number node, its WABA and business
//! profile) and the record Chatwoot expects, built from Meta's answers (`record.rs`).

#[cfg(feature = "client")]
mod read;
mod record;

#[cfg(feature = "client")]
pub use read::{fetch_health, HealthQuery};
pub use record::{
    record_from_answers, HealthRecord, BUSINESS_PROFILE_FIELDS, HEALTH_MINIMUM_MAJOR_VERSION,
    PHONE_FIELDS, WABA_FIELDS,
};
