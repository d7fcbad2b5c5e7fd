//! wa_health: WhatsApp Business phone number health and registration for Chatwoot.
//! This file is the table of contents: it registers the Ruby methods, nothing else.

pub mod batch;
pub mod binding;
pub mod client;
pub mod decision;
pub mod error;
pub mod fake_graph;
pub mod health;
pub mod registration;
pub mod schedule;
pub mod secrets;
pub mod usage;

#[cfg(test)]
mod test_support;

use magnus::{function, method, prelude::*, Error, Ruby};

use binding::fake::RbFakeServer;
use binding::graph::{self, RbConnection};
use binding::rules;

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let wa_health = ruby.define_module("WaHealth")?;
    let native = wa_health.define_module("Native")?;

    let connection = native.define_class("Connection", ruby.class_object())?;
    connection.define_singleton_method("new", function!(RbConnection::new, 5))?;
    connection.define_method("api_version", method!(RbConnection::api_version, 0))?;

    native.define_singleton_method("fetch", function!(graph::fetch, 4))?;
    native.define_singleton_method("fetch_many", function!(binding::batch::fetch_many, 3))?;
    native.define_singleton_method("register", function!(graph::register, 5))?;
    native.define_singleton_method("deregister", function!(graph::deregister, 3))?;
    native.define_singleton_method("subscribe_webhook", function!(graph::subscribe_webhook, 5))?;
    native.define_singleton_method(
        "registration_decision",
        function!(rules::registration_decision, 1),
    )?;
    native.define_singleton_method(
        "next_registration_at",
        function!(rules::registration_time, 6),
    )?;
    native.define_singleton_method("panic_for_test", function!(graph::panic_for_test, 0))?;
    native.define_singleton_method("bench_floor", function!(binding::bench::floor, 3))?;
    native.define_singleton_method(
        "bench_sweep_floor",
        function!(binding::bench::sweep_floor, 3),
    )?;

    let fake = native.define_class("FakeServer", ruby.class_object())?;
    fake.define_singleton_method("new", function!(RbFakeServer::new, 0))?;
    fake.define_method("start", method!(RbFakeServer::start, 2))?;
    fake.define_method("stop", method!(RbFakeServer::stop, 0))?;
    fake.define_method("running?", method!(RbFakeServer::is_running, 0))?;
    fake.define_method("configure", method!(RbFakeServer::configure, 1))?;
    fake.define_method("upsert_node", method!(RbFakeServer::upsert_node, 2))?;
    fake.define_method("node", method!(RbFakeServer::node, 1))?;
    fake.define_method("enqueue", method!(RbFakeServer::enqueue, 1))?;
    fake.define_method("clear_queue", method!(RbFakeServer::clear_queue, 0))?;
    fake.define_method("requests", method!(RbFakeServer::requests, 0))?;
    fake.define_method("clear_requests", method!(RbFakeServer::clear_requests, 0))?;
    fake.define_method("stats", method!(RbFakeServer::stats, 0))?;
    fake.define_method("reset_stats", method!(RbFakeServer::reset_stats, 0))?;
    fake.define_method("reset", method!(RbFakeServer::reset, 0))?;
    Ok(())
}
