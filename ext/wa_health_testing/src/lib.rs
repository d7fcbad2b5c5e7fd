//! wa_health_testing: the fake Graph API (crates/fake_graph) for specs, the demo and `rake bench`,
//! kept out of the production extension. Loaded only by `require "wa_health/testing"`.

mod fake;

use magnus::{function, method, prelude::*, Error, Ruby};

use fake::RbFakeServer;

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let testing = ruby.define_module("WaHealth")?.define_module("Testing")?;
    let native = testing.define_module("Native")?;

    let fake = native.define_class("FakeServer", ruby.class_object())?;
    fake.define_singleton_method("new", function!(RbFakeServer::new, 0))?;
    fake.define_method("start", method!(RbFakeServer::start, 4))?;
    fake.define_method("ca_pem", method!(RbFakeServer::ca_pem, 0))?;
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
