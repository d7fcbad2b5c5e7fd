//! Raising the Ruby error classes (defined in lib/wa_health/errors.rb) from Rust errors.

use magnus::value::{Lazy, ReprValue};
use magnus::{Error, Exception, KwArgs, Module, RClass, RModule, Ruby};

use wa_health_core::error::{ApiError, GraphError};

/// The class `WaHealth::<name>`, resolved once: errors.rb, which defines them all, is loaded before
/// this extension.
macro_rules! error_classes {
    ($($name:ident),* $(,)?) => {
        $(
            #[allow(non_upper_case_globals)]
            static $name: Lazy<RClass> = Lazy::new(|ruby| {
                ruby.class_object()
                    .const_get::<_, RModule>("WaHealth")
                    .and_then(|module| module.const_get(stringify!($name)))
                    .expect(concat!("WaHealth::", stringify!($name), " is defined by lib/wa_health/errors.rb"))
            });
        )*

        fn error_class(ruby: &Ruby, name: &str) -> Result<RClass, Error> {
            match name {
                $(stringify!($name) => Ok(ruby.get_inner(&$name)),)*
                _ => Err(Error::new(ruby.exception_name_error(), format!("no error class {name}"))),
            }
        }
    };
}

error_classes!(
    Error,
    TimeoutError,
    ConnectionError,
    InvalidResponseError,
    ApiError,
    AuthorizationError,
    RateLimitError,
    DisplayNamePendingError,
    NumberInUseError,
    WebhookSignatureError,
    WebhookPayloadError,
);

fn instantiate<A: magnus::ArgList>(ruby: &Ruby, class_name: &str, args: A) -> Error {
    let build = || -> Result<Error, Error> {
        let exception: magnus::Value = error_class(ruby, class_name)?.funcall("new", args)?;
        let exception = Exception::from_value(exception)
            .ok_or_else(|| Error::new(ruby.exception_type_error(), "not an exception"))?;
        Ok(Error::from(exception))
    };
    build().unwrap_or_else(|error| error)
}

pub fn raise(ruby: &Ruby, class_name: &str, message: &str) -> Error {
    instantiate(ruby, class_name, (message,))
}

fn api_error(ruby: &Ruby, details: &ApiError) -> Error {
    let build = || -> Result<Error, Error> {
        let attributes = ruby.hash_new();
        attributes.aset(ruby.to_symbol("http_status"), details.http_status)?;
        attributes.aset(ruby.to_symbol("code"), details.code)?;
        attributes.aset(ruby.to_symbol("subcode"), details.subcode)?;
        attributes.aset(ruby.to_symbol("error_type"), details.error_type.as_deref())?;
        attributes.aset(ruby.to_symbol("fbtrace_id"), details.fbtrace_id.as_deref())?;
        attributes.aset(ruby.to_symbol("user_title"), details.user_title.as_deref())?;
        attributes.aset(
            ruby.to_symbol("user_message"),
            details.user_message.as_deref(),
        )?;
        attributes.aset(ruby.to_symbol("transient"), details.transient)?;
        attributes.aset(ruby.to_symbol("retry_after"), details.retry_after)?;
        attributes.aset(
            ruby.to_symbol("meaning"),
            ruby.to_symbol(details.meaning.as_str()),
        )?;
        attributes.aset(ruby.to_symbol("next_step"), details.meaning.next_step())?;
        Ok(instantiate(
            ruby,
            details.meaning.ruby_class(),
            (details.message.as_str(), KwArgs(attributes)),
        ))
    };
    build().unwrap_or_else(|error| error)
}

pub fn to_ruby_error(ruby: &Ruby, error: GraphError) -> Error {
    match (&error, error.ruby_class()) {
        (GraphError::Api(details), _) => api_error(ruby, details),
        (GraphError::Cancelled, _) => raise(ruby, "Error", "WhatsApp API request interrupted"),
        (_, Some(class)) => raise(ruby, class, &error.to_string()),
        (_, None) => Error::new(ruby.exception_arg_error(), error.to_string()),
    }
}

pub fn panic_error(ruby: &Ruby) -> Error {
    raise(
        ruby,
        "Error",
        "internal error in the wa_health native extension (a Rust panic was caught)",
    )
}
