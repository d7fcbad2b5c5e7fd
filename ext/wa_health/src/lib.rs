//! wa_health: WhatsApp Business phone number health and registration for Chatwoot, as a Ruby
//! extension. This file registers the Ruby methods and constants of `WaHealth::Native`; `binding/`
//! converts and releases the GVL; the work is wa_health_core's (crates/wa_health_core).

mod binding;

use magnus::{function, method, prelude::*, Error, RModule, Ruby};
use wa_health_core::{batch, client, ids, registration, schedule, webhook};

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
    native.define_singleton_method("apply_event", function!(hooks::apply_event, 3))?;
    native.define_singleton_method("log_line", function!(hooks::log_line, 2))?;
    define_rules(ruby, native)
}

/// The limits and names Ruby reads from here rather than writing them again: each rule is defined
/// once, in the core.
fn define_rules(ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.const_set("MAX_GRAPH_ID_DIGITS", ids::MAX_GRAPH_ID_DIGITS)?;
    native.const_set("MAX_ACCESS_TOKEN_BYTES", client::MAX_ACCESS_TOKEN_BYTES)?;
    native.const_set("MAX_TIMEOUT_SECONDS", client::MAX_TIMEOUT_SECONDS)?;
    native.const_set("PIN_DIGITS", registration::PIN_DIGITS)?;
    native.const_set("DEFAULT_CONCURRENCY", batch::DEFAULT_CONCURRENCY)?;
    native.const_set("MAX_CONCURRENCY", batch::MAX_CONCURRENCY)?;
    native.const_set("REGISTRATION_WINDOW_SECONDS", schedule::WINDOW_SECONDS)?;
    native.const_set(
        "MAX_REGISTRATION_ATTEMPTS_PER_WINDOW",
        schedule::MAX_ATTEMPTS_PER_WINDOW,
    )?;
    native.const_set("WEBHOOK_MAX_BODY_BYTES", webhook::parse::MAX_BODY_BYTES)?;
    native.const_set("WEBHOOK_LAST_EVENT_AT", webhook::apply::LAST_EVENT_AT)?;
    native.const_set("WEBHOOK_APPLIED_EVENTS", webhook::apply::APPLIED_EVENTS)?;
    native.const_set("ALSO_REDACT_KEY", ruby.to_symbol(graph::FIBER_SECRETS_KEY))?;
    Ok(())
}
