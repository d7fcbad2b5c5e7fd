//! The Ruby binding layer: converts arguments, releases the GVL, raises the Ruby error classes.
//! Everything below `crate::` outside this module is plain Rust with no Ruby types.

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
