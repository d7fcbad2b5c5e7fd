//! Ruby entry points for Graph calls: argument conversion, then the network wait without the GVL.

use std::sync::Arc;

use magnus::{Error, RHash, Ruby};

use super::convert::record_to_ruby;
use super::errors::to_ruby_error;
use super::nogvl::EngineWait;
use wa_health_core::client::{validate_access_token, Caller, Engine, GraphSettings};
use wa_health_core::error::GraphResult;
use wa_health_core::secrets::Secrets;
use wa_health_core::{health, registration};

/// `WaHealth::Native::GraphSettings`: settings built once from the Ruby configuration. It holds the
/// app secret, so it has no readers and inspects as an opaque object.
#[magnus::wrap(class = "WaHealth::Native::GraphSettings", free_immediately, size)]
pub struct RbGraphSettings {
    pub(crate) settings: GraphSettings,
    pub(crate) app_secret: Option<String>,
}

impl RbGraphSettings {
    // One argument per setting, in the order Configuration.build_graph_settings passes them.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ruby: &Ruby,
        base_url: String,
        api_version: String,
        timeout: f64,
        open_timeout: f64,
        app_secret: Option<String>,
        ca_file: Option<String>,
        proxy: Option<String>,
    ) -> Result<RbGraphSettings, Error> {
        let mut settings = GraphSettings::new(&base_url, &api_version, timeout, open_timeout)
            .map_err(|e| to_ruby_error(ruby, e))?;
        if let Some(path) = ca_file {
            settings = settings
                .with_ca_file(&path)
                .map_err(|e| to_ruby_error(ruby, e))?;
        }
        if let Some(url) = proxy {
            settings = settings
                .with_proxy(&url)
                .map_err(|e| to_ruby_error(ruby, e))?;
        }
        Ok(RbGraphSettings {
            settings,
            app_secret: app_secret.filter(|s| !s.is_empty()),
        })
    }

    pub fn api_version(&self) -> String {
        self.settings.api_version().to_string()
    }

    fn caller<'a>(&'a self, engine: &'a Engine, secrets: &'a Secrets) -> Caller<'a> {
        Caller {
            engine,
            settings: &self.settings,
            secrets,
        }
    }

    fn secrets(&self, ruby: &Ruby, access_token: &str) -> Result<Secrets, Error> {
        validate_access_token(access_token).map_err(|e| to_ruby_error(ruby, e))?;
        with_fiber_secrets(ruby, Secrets::new(access_token, self.app_secret.as_deref()))
    }
}

/// The fiber-local key (`Thread.current[...]`) of `WaHealth::Redaction`: values every call on this
/// fiber also redacts (a WebhookSetup run's PIN and verify token, for the calls not given them).
pub(crate) const FIBER_SECRETS_KEY: &str = "__wa_health_also_redact";

/// `secrets`, also redacting this fiber's `WaHealth::Redaction` values. Must hold the GVL.
pub(crate) fn with_fiber_secrets(ruby: &Ruby, secrets: Secrets) -> Result<Secrets, Error> {
    let extra: Option<Vec<String>> = ruby.thread_current().local_aref(FIBER_SECRETS_KEY)?;
    Ok(extra
        .into_iter()
        .flatten()
        .fold(secrets, |all, value| all.also_redacting(&value)))
}

/// Runs one Graph operation with the GVL released and turns its outcome into Ruby's terms.
///
/// The operation is one future, created once and polled across as many GVL-free waits as it
/// takes. A wait ends early when Ruby runs the unblocking function: Thread#kill, Thread#raise,
/// Timeout, a signal, but also Thread#wakeup or an interrupt deferred by Thread.handle_interrupt.
/// Ruby then checks its interrupts. If it raises, the future is dropped (which closes the
/// request) and the exception propagates; if not, the same request goes on, so an interrupt that
/// raises nothing never fails a call.
pub(crate) fn perform<T, F, Fut>(ruby: &Ruby, operation: F) -> Result<T, Error>
where
    F: FnOnce(Arc<Engine>) -> Fut,
    Fut: std::future::Future<Output = GraphResult<T>>,
{
    let engine = Engine::lease().map_err(|e| to_ruby_error(ruby, e))?;
    let waits = EngineWait::new(&engine);
    // Declared before the future, so dropped after it: an abandoned request is dropped inside its
    // runtime's context, however this function is left.
    let _context = engine.enter();
    let work = operation(engine.clone());
    let mut work = std::pin::pin!(work);
    loop {
        // None: Ruby has had its chance to raise and did not: keep waiting for the same answer.
        if let Some(result) = waits.wait(ruby, work.as_mut())? {
            return result.map_err(|e| to_ruby_error(ruby, e));
        }
    }
}

pub fn fetch(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    phone_number_id: String,
    access_token: String,
    business_account_id: Option<String>,
    business_profile: bool,
) -> Result<RHash, Error> {
    let secrets = graph_settings.secrets(ruby, &access_token)?;
    let record = perform(ruby, |engine| async move {
        let query = health::HealthQuery {
            phone_number_id: &phone_number_id,
            business_account_id: business_account_id.as_deref(),
            business_profile,
        };
        health::fetch_health(graph_settings.caller(&engine, &secrets), &query).await
    })?;
    Ok(record_to_ruby(ruby, &record))
}

pub fn register(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    phone_number_id: String,
    access_token: String,
    pin: String,
    region: Option<String>,
) -> Result<bool, Error> {
    let secrets = graph_settings
        .secrets(ruby, &access_token)?
        .also_redacting(&pin);
    perform(ruby, |engine| async move {
        let caller = graph_settings.caller(&engine, &secrets);
        registration::register(caller, &phone_number_id, &pin, region.as_deref()).await
    })?;
    Ok(true)
}

pub fn deregister(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    phone_number_id: String,
    access_token: String,
) -> Result<bool, Error> {
    let secrets = graph_settings.secrets(ruby, &access_token)?;
    perform(ruby, |engine| async move {
        let caller = graph_settings.caller(&engine, &secrets);
        registration::deregister(caller, &phone_number_id).await
    })?;
    Ok(true)
}

pub fn subscribe_webhook(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    business_account_id: String,
    access_token: String,
    callback_url: String,
    verify_token: String,
) -> Result<bool, Error> {
    let secrets = graph_settings
        .secrets(ruby, &access_token)?
        .also_redacting(&verify_token);
    perform(ruby, |engine| async move {
        let caller = graph_settings.caller(&engine, &secrets);
        registration::subscribe_webhook(caller, &business_account_id, &callback_url, &verify_token)
            .await
    })?;
    Ok(true)
}

pub fn subscribe_app(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    business_account_id: String,
    access_token: String,
    subscribed_fields: Vec<String>,
) -> Result<bool, Error> {
    let secrets = graph_settings.secrets(ruby, &access_token)?;
    perform(ruby, |engine| async move {
        let caller = graph_settings.caller(&engine, &secrets);
        registration::subscribe_app(caller, &business_account_id, &subscribed_fields).await
    })?;
    Ok(true)
}

pub fn unsubscribe_app(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    business_account_id: String,
    access_token: String,
) -> Result<bool, Error> {
    let secrets = graph_settings.secrets(ruby, &access_token)?;
    perform(ruby, |engine| async move {
        let caller = graph_settings.caller(&engine, &secrets);
        registration::unsubscribe_app(caller, &business_account_id).await
    })?;
    Ok(true)
}

/// `callback`: `[url, verify_token]` to set the phone-level override, nil to clear it.
pub fn override_phone_webhook(
    ruby: &Ruby,
    graph_settings: &RbGraphSettings,
    phone_number_id: String,
    access_token: String,
    callback: Option<(String, String)>,
) -> Result<bool, Error> {
    let mut secrets = graph_settings.secrets(ruby, &access_token)?;
    if let Some((_, verify_token)) = &callback {
        secrets = secrets.also_redacting(verify_token);
    }
    perform(ruby, |engine| async move {
        let callback = callback
            .as_ref()
            .map(|(url, token)| (url.as_str(), token.as_str()));
        let caller = graph_settings.caller(&engine, &secrets);
        registration::override_phone_webhook(caller, &phone_number_id, callback).await
    })?;
    Ok(true)
}
