//! A loopback fake of Meta's WhatsApp Cloud (Graph) API.
//!
//! The owner programs a [`SharedState`] (settings, nodes, canned answers; JSON in, JSON out) and
//! serves it over real HTTP with [`FakeServer`]. Facts followed come from `graph-api.md`.
//!
//! Where things are:
//! - `state.rs`: [`SharedState`], the settings, and the owner's API.
//! - `options.rs`: the owner's JSON (settings, nodes, canned answers), parsed with serde.
//! - `canned.rs`: the queue of canned answers and how a request picks one.
//! - `routing.rs`: path shapes, auth and `appsecret_proof`, write parameters, the answering order.
//! - `graph/`: Graph behaviour: nodes and fields (`mod.rs`), register/deregister and the 72-hour
//!   limit (`registration.rs`), the app's subscriptions (`subscriptions.rs`).
//! - `error.rs`: the Graph error envelope and `fbtrace_id`s.
//! - `reply.rs`: an answer ready to be written, and the usage headers.
//! - `record.rs`: recorded requests, the request log and the stats.
//! - `server.rs`: the hyper server on its own tokio runtime.
//! - `tls.rs`: the test CA and server certificates, for HTTPS.
//! - `raw.rs`: the response body: whole, dripped or cut short.
//! - `tests/`: unit tests, one file per concern.

mod canned;
mod error;
mod graph;
mod options;
mod raw;
mod record;
mod reply;
mod routing;
mod server;
mod state;
mod tls;

#[cfg(test)]
mod tests;

pub use server::FakeServer;
pub use state::SharedState;
pub use tls::{CertKind, TlsOptions};
