//! wa_health: WhatsApp Business phone number health and registration for Chatwoot.
//! This file is the table of contents: it declares the modules and registers the Ruby methods.

mod batch;
mod binding;
mod client;
mod decision;
mod error;
mod health;
mod meaning;
mod registration;
mod schedule;
mod secrets;
mod transport;
mod usage;
mod webhook;

#[cfg(test)]
mod test_support;

use magnus::{function, method, prelude::*, Error, Ruby};

use binding::graph::{self, RbGraphSettings};
use binding::rules;
use binding::webhook as hooks;

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let wa_health = ruby.define_module("WaHealth")?;
    let native = wa_health.define_module("Native")?;

    let graph_settings = native.define_class("GraphSettings", ruby.class_object())?;
    graph_settings.define_singleton_method("new", function!(RbGraphSettings::new, 7))?;
    graph_settings.define_method("api_version", method!(RbGraphSettings::api_version, 0))?;

    native.define_singleton_method("fetch", function!(graph::fetch, 5))?;
    native.define_singleton_method("fetch_many", function!(binding::batch::fetch_many, 3))?;
    native.const_set("DEFAULT_CONCURRENCY", batch::DEFAULT_CONCURRENCY)?;
    native.const_set("MAX_CONCURRENCY", batch::MAX_CONCURRENCY)?;
    native.const_set("MAX_GRAPH_ID_DIGITS", client::MAX_GRAPH_ID_DIGITS)?;
    native.const_set("ALSO_REDACT_KEY", ruby.to_symbol(graph::FIBER_SECRETS_KEY))?;
    native.define_singleton_method("register", function!(graph::register, 5))?;
    native.define_singleton_method("deregister", function!(graph::deregister, 3))?;
    native.define_singleton_method("subscribe_webhook", function!(graph::subscribe_webhook, 5))?;
    native.define_singleton_method("subscribe_app", function!(graph::subscribe_app, 4))?;
    native.define_singleton_method("unsubscribe_app", function!(graph::unsubscribe_app, 3))?;
    native.define_singleton_method(
        "override_phone_webhook",
        function!(graph::override_phone_webhook, 4),
    )?;
    native.define_singleton_method(
        "validate_callback_url",
        function!(rules::validate_callback_url, 1),
    )?;
    native.define_singleton_method(
        "registration_decision",
        function!(rules::registration_decision, 1),
    )?;
    native.define_singleton_method(
        "next_registration_at",
        function!(rules::next_registration_at, 4),
    )?;
    native.define_singleton_method("webhook_verify", function!(hooks::verify, 3))?;
    native.define_singleton_method("webhook_parse", function!(hooks::parse, 1))?;
    native.define_singleton_method("webhook_challenge", function!(hooks::challenge, 4))?;
    native.define_singleton_method("apply_event", function!(hooks::apply_event, 2))?;
    native.const_set(
        "WEBHOOK_MAX_BODY_BYTES",
        crate::webhook::parse::MAX_BODY_BYTES,
    )?;
    Ok(())
}
