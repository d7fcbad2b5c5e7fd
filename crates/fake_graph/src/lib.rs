//! A loopback fake of Meta's WhatsApp Cloud (Graph) API.
//!
//! The owner programs a [`SharedState`] (settings, nodes, canned answers; JSON in, JSON out) and
//! serves it over real HTTP with [`FakeServer`]. Facts followed come from `graph-api.md`.
//!
//! Where things are, each file depending only on those listed before it (tests/ aside):
//! - `raw.rs`: the response body: whole, dripped or cut short.
//! - `tls.rs`: the test CA and server certificates, for HTTPS.
//! - `reply.rs`: an answer ready to be written, and the usage headers.
//! - `error.rs`: the Graph error envelope and `fbtrace_id`s.
//! - `settings.rs`: the fake's settings.
//! - `record.rs`: recorded requests, the request log and the stats.
//! - `routing.rs`: path shapes, the caller's token and `appsecret_proof`, write parameters.
//! - `canned.rs`: the queue of canned answers and how a request picks one.
//! - `graph/`: Graph behaviour: which fields each kind of node has (`fields.rs`), the nodes
//!   (`node.rs`), the 72-hour limit on register calls (`register_limit.rs`), the app's
//!   subscriptions (`subscriptions.rs`), where a number's webhooks go (`webhooks.rs`), the business
//!   profile (`profile.rs`), register/deregister (`registration.rs`), and what each endpoint does
//!   (`mod.rs`).
//! - `options.rs`: the owner's JSON (settings, nodes, canned answers), parsed with serde.
//! - `state.rs`: [`SharedState`]: everything above behind one lock, and the owner's API.
//! - `handler.rs`: how a received request is recorded and answered from the state, in order.
//! - `server.rs`: the hyper server on its own tokio runtime.
//! - `tests/`: unit tests, one file per concern.

mod canned;
mod error;
mod graph;
mod handler;
mod options;
mod raw;
mod record;
mod reply;
mod routing;
mod server;
mod settings;
mod state;
mod tls;

#[cfg(test)]
mod tests;

pub use server::FakeServer;
pub use state::SharedState;
pub use tls::{CertKind, TlsOptions};
