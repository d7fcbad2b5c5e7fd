//! Ruby entry points for Graph calls: argument conversion, then the network wait without the GVL.

use std::sync::Arc;

use magnus::{Error, RHash, Ruby};

use super::convert::record_to_ruby;
use super::errors::{panic_error, to_ruby_error};
use super::nogvl::{without_gvl, Outcome};
use crate::client::{validate_access_token, Connection, Engine};
use crate::error::GraphResult;
use crate::secrets::Secrets;
use crate::{health, registration};

/// `WaHealth::Native::Connection`: settings built once from the Ruby configuration. It holds the
/// app secret, so it has no readers and inspects as an opaque object.
#[magnus::wrap(class = "WaHealth::Native::Connection", free_immediately, size)]
pub struct RbConnection {
    connection: Connection,
    app_secret: Option<String>,
}

impl RbConnection {
    pub fn new(
        ruby: &Ruby,
        base_url: String,
        api_version: String,
        timeout: f64,
        open_timeout: f64,
        app_secret: Option<String>,
    ) -> Result<RbConnection, Error> {
        let connection = Connection::new(&base_url, &api_version, timeout, open_timeout)
            .map_err(|e| to_ruby_error(ruby, e))?;
        Ok(RbConnection {
            connection,
            app_secret: app_secret.filter(|s| !s.is_empty()),
        })
    }

    pub fn api_version(&self) -> String {
        self.connection.api_version().to_string()
    }

    fn secrets(&self, ruby: &Ruby, access_token: &str) -> Result<Secrets, Error> {
        validate_access_token(access_token).map_err(|e| to_ruby_error(ruby, e))?;
        Ok(Secrets::new(access_token, self.app_secret.as_deref()))
    }
}

/// Runs one Graph operation with the GVL released and turns its outcome into Ruby's terms.
fn perform<T, F, Fut>(ruby: &Ruby, operation: F) -> Result<T, Error>
where
    F: FnOnce(Arc<Engine>) -> Fut,
    Fut: std::future::Future<Output = GraphResult<T>>,
{
    let engine = Engine::lease().map_err(|e| to_ruby_error(ruby, e))?;
    let outcome = without_gvl(|cancel| {
        let work = operation(engine.clone());
        engine.block_on(cancel, work)
    })?;
    match outcome {
        Outcome::Done(result) => result.map_err(|e| to_ruby_error(ruby, e)),
        Outcome::Panicked => Err(panic_error(ruby)),
    }
}

pub fn fetch(
    ruby: &Ruby,
    conn: &RbConnection,
    phone_number_id: String,
    access_token: String,
    business_account_id: Option<String>,
) -> Result<RHash, Error> {
    let secrets = conn.secrets(ruby, &access_token)?;
    let record = perform(ruby, |engine| async move {
        health::fetch_health(
            &engine,
            &conn.connection,
            &secrets,
            &phone_number_id,
            business_account_id.as_deref(),
        )
        .await
    })?;
    Ok(record_to_ruby(ruby, &record))
}

pub fn register(
    ruby: &Ruby,
    conn: &RbConnection,
    phone_number_id: String,
    access_token: String,
    pin: String,
    region: Option<String>,
) -> Result<bool, Error> {
    let secrets = conn.secrets(ruby, &access_token)?.also_redacting(&pin);
    perform(ruby, |engine| async move {
        registration::register(
            &engine,
            &conn.connection,
            &secrets,
            &phone_number_id,
            &pin,
            region.as_deref(),
        )
        .await
    })?;
    Ok(true)
}

pub fn deregister(
    ruby: &Ruby,
    conn: &RbConnection,
    phone_number_id: String,
    access_token: String,
) -> Result<bool, Error> {
    let secrets = conn.secrets(ruby, &access_token)?;
    perform(ruby, |engine| async move {
        registration::deregister(&engine, &conn.connection, &secrets, &phone_number_id).await
    })?;
    Ok(true)
}

pub fn subscribe_webhook(
    ruby: &Ruby,
    conn: &RbConnection,
    business_account_id: String,
    access_token: String,
    callback_url: String,
    verify_token: String,
) -> Result<bool, Error> {
    let secrets = conn.secrets(ruby, &access_token)?;
    perform(ruby, |engine| async move {
        registration::subscribe_webhook(
            &engine,
            &conn.connection,
            &secrets,
            &business_account_id,
            &callback_url,
            &verify_token,
        )
        .await
    })?;
    Ok(true)
}

/// Forces a panic inside the GVL-free section, so specs can prove none crosses into Ruby.
/// The default panic hook's report is silenced for this deliberate panic only.
pub fn panic_for_test(ruby: &Ruby) -> Result<bool, Error> {
    let outcome = without_gvl(|_| -> bool {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let result = std::panic::catch_unwind(|| -> bool {
            panic!("deliberate panic for the FFI boundary test")
        });
        std::panic::set_hook(previous);
        match result {
            Ok(value) => value,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    })?;
    match outcome {
        Outcome::Done(value) => Ok(value),
        Outcome::Panicked => Err(panic_error(ruby)),
    }
}
