//! The Ruby binding layer: converts arguments, releases the GVL, raises the Ruby error classes. The
//! work itself is wa_health_core's (crates/wa_health_core), which has no Ruby types.

pub mod batch;
pub mod convert;
pub mod errors;
pub mod graph;
pub mod interrupt;
pub mod nogvl;
pub mod rules;
pub mod webhook;

#[cfg(test)]
mod tests;
