//! The Graph API client, in three jobs (one module each) over its HTTP transport:
//! - `settings.rs`: where and how to talk to the Graph API ([`GraphSettings`], checked once), and
//!   the checks of every call's arguments;
//! - `engine.rs`: the [`Engine`] a call runs on (a current-thread runtime and its keep-alive pools)
//!   and the process-wide pool engines are leased from;
//! - `call.rs`: one call ([`Caller`]): whole-request deadline, capped body, no redirects, Meta's
//!   answer classified and redacted;
//! - `transport.rs`: hyper-util's pool over rustls, the CONNECT proxy, transport errors.

mod call;
mod engine;
mod settings;
mod transport;

pub use call::{Call, Caller};
pub use engine::{Engine, EngineLease};
pub use settings::{
    is_loopback, validate_access_token, validate_node_id, GraphSettings, MAX_ACCESS_TOKEN_BYTES,
    MAX_TIMEOUT_SECONDS,
};
