//! wa_health: WhatsApp Business phone number health and registration for Chatwoot.
//! This file is the table of contents: it registers the Ruby methods, nothing else.

pub mod binding;
pub mod client;
pub mod error;
pub mod health;
pub mod registration;
pub mod secrets;
pub mod usage;

use magnus::{function, method, prelude::*, Error, Ruby};

use binding::graph::{self, RbConnection};

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let wa_health = ruby.define_module("WaHealth")?;
    let native = wa_health.define_module("Native")?;

    let connection = native.define_class("Connection", ruby.class_object())?;
    connection.define_singleton_method("new", function!(RbConnection::new, 5))?;
    connection.define_method("api_version", method!(RbConnection::api_version, 0))?;

    native.define_singleton_method("fetch", function!(graph::fetch, 4))?;
    native.define_singleton_method("register", function!(graph::register, 5))?;
    native.define_singleton_method("deregister", function!(graph::deregister, 3))?;
    native.define_singleton_method("subscribe_webhook", function!(graph::subscribe_webhook, 5))?;
    native.define_singleton_method("panic_for_test", function!(graph::panic_for_test, 0))?;
    Ok(())
}
