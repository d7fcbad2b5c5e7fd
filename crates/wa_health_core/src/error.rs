//! Typed errors of the Graph client and how Meta's answers are classified into them.
//!
//! Classification decides on `code` and `error_subcode` (Meta's advice), and on Meta's words for
//! people (`error_user_title`, `error_user_msg`) only where one code and subcode have more than one
//! meaning: that table and its exceptions are [`Meaning::of`]. Every message that leaves this module
//! has been passed through [`Secrets::redact`].

use serde_json::{Map, Value};

use crate::meaning::Meaning;
use crate::secrets::Secrets;

/// An error answer from the Graph API (any non-2xx, or a 2xx carrying Meta's error envelope).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub meaning: Meaning,
    pub message: String,
    pub http_status: u16,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub error_type: Option<String>,
    pub fbtrace_id: Option<String>,
    pub user_title: Option<String>,
    pub user_message: Option<String>,
    pub transient: bool,
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error("{}", .0.message)]
    Api(Box<ApiError>),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Connection(String),
    #[error("{0}")]
    InvalidResponse(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("request cancelled")]
    Cancelled,
    #[error("{0}")]
    Internal(String),
}

pub type GraphResult<T> = Result<T, GraphError>;

impl GraphError {
    /// The name of the Ruby class (under `WaHealth::`) this error is raised as; `None` for an
    /// argument error (Ruby's own ArgumentError).
    pub fn ruby_class(&self) -> Option<&'static str> {
        Some(match self {
            GraphError::Api(details) => details.meaning.ruby_class(),
            GraphError::Timeout(_) => "TimeoutError",
            GraphError::Connection(_) => "ConnectionError",
            GraphError::InvalidResponse(_) => "InvalidResponseError",
            GraphError::InvalidArgument(_) => return None,
            GraphError::Cancelled | GraphError::Internal(_) => "Error",
        })
    }

    /// The error as data for a health record (an enrichment read that failed without failing the
    /// call): `{"class", "message", "code"}`. Messages are already free of secrets.
    pub fn summary(&self) -> Value {
        let class = match self.ruby_class() {
            Some(name) => format!("WaHealth::{name}"),
            None => "ArgumentError".to_string(),
        };
        let code = match self {
            GraphError::Api(details) => details.code.map_or(Value::Null, Value::from),
            _ => Value::Null,
        };
        serde_json::json!({"class": class, "message": self.to_string(), "code": code})
    }
}

/// What a 2xx body that is not the JSON object Meta answers with is.
#[derive(Debug, PartialEq)]
pub enum SuccessBodyError {
    ErrorEnvelope,
    Invalid(&'static str),
}

pub fn parse_success_body(body: &[u8]) -> Result<Map<String, Value>, SuccessBodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SuccessBodyError::Invalid("an empty body"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) if matches!(map.get("error"), Some(Value::Object(_))) => {
            Err(SuccessBodyError::ErrorEnvelope)
        }
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SuccessBodyError::Invalid("JSON that is not an object")),
        Err(_) => Err(SuccessBodyError::Invalid("a body that is not valid JSON")),
    }
}

/// Meta sends numbers, but proxies and old endpoints have been seen sending `"100"`.
fn integer_member(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn string_member(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Longest text from Meta (in characters) kept in a message or an attribute: real ones are a few
/// hundred at most, and a hostile or broken server must not put a megabyte into every log line.
pub const MAX_META_TEXT_CHARS: usize = 1000;

/// `text` cut after [`MAX_META_TEXT_CHARS`] characters (marked with "..."). Cut only after
/// redaction, so a secret straddling the cut is already gone.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_META_TEXT_CHARS) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// `text` with control characters (newlines included) as spaces: an exception message becomes a
/// log line, and Meta's text must not be able to start a forged one.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The facts an error is built from besides the body: kept apart so tests can build them freely.
pub struct ErrorContext<'a> {
    pub http_status: u16,
    pub content_type: Option<&'a str>,
    pub business_use_case_usage: Option<&'a str>,
    pub secrets: &'a Secrets,
}

/// Builds the typed error for an error answer. `body` is the raw response body.
pub fn api_error_from_response(body: &[u8], ctx: &ErrorContext<'_>) -> ApiError {
    let envelope = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| match v {
            Value::Object(mut map) => map.remove("error"),
            _ => None,
        });
    let retry_after = ctx
        .business_use_case_usage
        .and_then(crate::usage::retry_after_seconds);
    match envelope {
        Some(Value::Object(error)) => {
            let code = integer_member(error.get("code"));
            let subcode = integer_member(error.get("error_subcode"));
            let meta_message = string_member(error.get("message"));
            let redact = |s: Option<String>| s.map(|s| bounded(&ctx.secrets.redact(&s)));
            let user_title = redact(string_member(error.get("error_user_title")));
            let user_message = redact(string_member(error.get("error_user_msg")));
            let meaning = Meaning::of(
                code,
                subcode,
                &[user_title.as_deref(), user_message.as_deref()],
            );
            // Meta's own verdict, when it gives one, wins over the table.
            let transient = match error.get("is_transient") {
                Some(Value::Bool(verdict)) => *verdict,
                _ => meaning.transient(),
            };
            let mut summary = format!("WhatsApp API request failed: HTTP {}", ctx.http_status);
            if let Some(c) = code {
                summary.push_str(&format!(", code {c}"));
            }
            if let Some(s) = subcode {
                summary.push_str(&format!(", subcode {s}"));
            }
            summary.push_str(": ");
            // What Meta says to people (title and message) is often the only useful part; all of
            // Meta's text together is bounded, after redaction.
            let mut meta_text = meta_message.unwrap_or_else(|| "(no message from Meta)".into());
            let for_people = ["error_user_title", "error_user_msg"]
                .iter()
                .filter_map(|member| string_member(error.get(*member)))
                .filter(|text| !meta_text.contains(text.as_str()))
                .collect::<Vec<_>>();
            if !for_people.is_empty() {
                meta_text = format!("{meta_text} ({})", for_people.join(": "));
            }
            summary.push_str(&one_line(&bounded(&ctx.secrets.redact(&meta_text))));
            if let Some(step) = meaning.next_step() {
                summary.push_str(" Next step: ");
                summary.push_str(step);
            }
            ApiError {
                meaning,
                message: ctx.secrets.redact(&summary),
                http_status: ctx.http_status,
                code,
                subcode,
                error_type: redact(string_member(error.get("type"))),
                fbtrace_id: redact(string_member(error.get("fbtrace_id"))),
                user_title,
                user_message,
                transient,
                retry_after,
            }
        }
        _ => ApiError {
            meaning: Meaning::Other,
            message: format!(
                "WhatsApp API request failed: HTTP {}: {}",
                ctx.http_status,
                summarise_foreign_body(body, ctx.content_type)
            ),
            http_status: ctx.http_status,
            code: None,
            subcode: None,
            error_type: None,
            fbtrace_id: None,
            user_title: None,
            user_message: None,
            transient: ctx.http_status >= 500,
            retry_after,
        },
    }
}

/// A body that is not Meta's envelope (a proxy's HTML page, an empty answer) is described, never
/// quoted: it may echo the request, and it is useless noise in a Rails log.
fn summarise_foreign_body(body: &[u8], content_type: Option<&str>) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        return "empty body".to_string();
    }
    format!(
        "unexpected {} body ({} bytes) instead of a Graph API error",
        content_kind(content_type),
        body.len()
    )
}

/// A few well-known media types by name, anything else as "unexpected content type": the header's
/// value is never quoted, since a server may put anything there (a token included).
fn content_kind(content_type: Option<&str>) -> &'static str {
    let media_type = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase());
    match media_type.as_deref() {
        Some("text/html") => "text/html",
        Some("text/plain") => "text/plain",
        Some("application/json") => "application/json",
        Some("text/xml" | "application/xml") => "XML",
        Some("") | None => "unknown content type",
        Some(_) => "unexpected content type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(status: u16, secrets: &'a Secrets) -> ErrorContext<'a> {
        ErrorContext {
            http_status: status,
            content_type: Some("application/json"),
            business_use_case_usage: None,
            secrets,
        }
    }

    #[test]
    fn reads_the_envelope() {
        let secrets = Secrets::new("EAAGsecrettoken123456789", None);
        let body = br#"{"error":{"message":"Cannot Create Certificate","type":"OAuthException","code":100,"error_subcode":2388001,"error_user_title":"Cannot Create Certificate","error_user_msg":"Your display name could not be processed.","fbtrace_id":"AbC"}}"#;
        let err = api_error_from_response(body, &ctx(400, &secrets));
        assert_eq!(err.meaning, Meaning::DisplayNamePending);
        assert_eq!(err.code, Some(100));
        assert_eq!(err.subcode, Some(2388001));
        assert_eq!(err.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(err.fbtrace_id.as_deref(), Some("AbC"));
        assert_eq!(err.user_title.as_deref(), Some("Cannot Create Certificate"));
        assert!(!err.transient);
        assert_eq!(
            err.message,
            "WhatsApp API request failed: HTTP 400, code 100, subcode 2388001: Cannot Create Certificate \
             (Your display name could not be processed.) Next step: Wait until Meta approves the \
             display name, then register again."
        );
    }

    #[test]
    fn code_given_as_string_still_classifies() {
        let secrets = Secrets::new("tok", None);
        let body = br#"{"error":{"code":"190","error_subcode":"463"}}"#;
        let err = api_error_from_response(body, &ctx(401, &secrets));
        assert_eq!(err.meaning, Meaning::Authorization);
        assert_eq!(err.subcode, Some(463));
        assert!(err.message.contains("(no message from Meta)"));
    }

    #[test]
    fn token_quoted_by_meta_is_redacted_everywhere() {
        let token = "EAAGm0PX4ZCpsBAxyzxyzxyzxyz";
        let secrets = Secrets::new(token, Some("app-secret-value"));
        let body = format!(
            r#"{{"error":{{"message":"Invalid token {token} (secret app-secret-value)","code":190,"error_user_msg":"token {token}"}}}}"#
        );
        let err = api_error_from_response(body.as_bytes(), &ctx(401, &secrets));
        assert!(!err.message.contains(token));
        assert!(!err.message.contains("app-secret-value"));
        assert!(!err.user_message.unwrap().contains(token));
    }

    #[test]
    fn meta_text_is_bounded_and_kept_on_one_line() {
        let token = "EAAGm0PX4ZCpsBAxyzxyzxyzxyz";
        let secrets = Secrets::new(token, None);
        // The token straddles the cut: redaction comes first, so no part of it survives.
        let long = format!("{}{token}{}", "a".repeat(990), "b".repeat(5000));
        let body = serde_json::json!({"error": {"code": 1, "message": format!("line one\nline two\r\t{long}"),
            "error_user_msg": long}})
        .to_string();
        let err = api_error_from_response(body.as_bytes(), &ctx(500, &secrets));
        assert!(
            err.message.contains("line one line two  "),
            "{}",
            err.message
        );
        assert!(!err.message.chars().any(char::is_control));
        assert!(err.message.ends_with("..."));
        assert!(err.message.chars().count() < MAX_META_TEXT_CHARS + 100);
        assert!(!err.message.contains("EAAGm0"));
        let user_message = err.user_message.unwrap();
        assert_eq!(user_message.chars().count(), MAX_META_TEXT_CHARS + 3);
        assert!(user_message.starts_with(&"a".repeat(990)));
        assert!(!user_message.contains("EAAGm0"));
    }

    #[test]
    fn html_bodies_are_summarised_not_dumped() {
        let secrets = Secrets::new("tok", None);
        let body = b"<html><body>Bad gateway, request was GET /v24.0/1?x=y</body></html>";
        let context = ErrorContext {
            http_status: 502,
            content_type: Some("text/html; charset=utf-8"),
            business_use_case_usage: None,
            secrets: &secrets,
        };
        let err = api_error_from_response(body, &context);
        assert_eq!(err.meaning, Meaning::Other);
        assert!(err.transient);
        assert!(err
            .message
            .starts_with("WhatsApp API request failed: HTTP 502"));
        assert!(err.message.contains("text/html"));
        assert!(!err.message.contains("Bad gateway"));
    }

    #[test]
    fn empty_error_envelope_still_gives_an_error() {
        let secrets = Secrets::new("tok", None);
        let err = api_error_from_response(br#"{"error":{}}"#, &ctx(500, &secrets));
        assert_eq!(err.meaning, Meaning::Other);
        assert_eq!(err.code, None);
        let err = api_error_from_response(b"", &ctx(503, &secrets));
        assert!(err.message.ends_with("empty body"));
    }

    #[test]
    fn rate_limit_takes_retry_after_from_usage_header() {
        let secrets = Secrets::new("tok", None);
        let context = ErrorContext {
            http_status: 429,
            content_type: None,
            business_use_case_usage: Some(
                r#"{"456":[{"type":"whatsapp_business_management","call_count":100,"estimated_time_to_regain_access":7}]}"#,
            ),
            secrets: &secrets,
        };
        let err = api_error_from_response(
            br#"{"error":{"code":80007,"is_transient":true,"message":"rate"}}"#,
            &context,
        );
        assert_eq!(err.meaning, Meaning::RateLimit);
        assert!(err.transient);
        assert_eq!(err.retry_after, Some(420));
    }

    mod properties {
        use super::*;
        use crate::test_support;
        use proptest::prelude::*;

        const TOKEN: &str = "EAAGpropTokenValue0123456789abcdef";
        const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";

        fn secrets() -> Secrets {
            Secrets::new(TOKEN, Some(APP_SECRET))
        }

        fn context<'a>(
            status: u16,
            content_type: Option<&'a str>,
            usage: Option<&'a str>,
            secrets: &'a Secrets,
        ) -> ErrorContext<'a> {
            ErrorContext {
                http_status: status,
                content_type,
                business_use_case_usage: usage,
                secrets,
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Any body, status and headers give an error (no panic) whose message names the status.
            #[test]
            fn any_answer_gives_a_well_formed_error(
                body in test_support::body(),
                status in 100u16..=599,
                content_type in proptest::option::of(".{0,80}"),
                usage in proptest::option::of(prop_oneof![
                    ".{0,40}".boxed(),
                    test_support::json().prop_map(|v| v.to_string()).boxed(),
                ]),
            ) {
                let secrets = secrets();
                let err = api_error_from_response(
                    &body,
                    &context(status, content_type.as_deref(), usage.as_deref(), &secrets),
                );
                let prefix = format!("WhatsApp API request failed: HTTP {status}");
                prop_assert!(err.message.starts_with(&prefix), "{}", err.message);
                prop_assert_eq!(err.http_status, status);
                prop_assert_eq!(
                    err.meaning,
                    Meaning::of(err.code, err.subcode, &[err.user_title.as_deref(), err.user_message.as_deref()])
                );
                prop_assert!(!err.message.chars().any(char::is_control), "{:?}", err.message);
                prop_assert!(err.message.chars().count() <= MAX_META_TEXT_CHARS + 200);
            }

            /// Without Meta's words for people, the meaning comes from `code` and `error_subcode`
            /// alone (numbers or numeric strings), never from the message or any other member.
            #[test]
            fn classification_reads_code_and_subcode_only(
                mut error in test_support::object(),
                code in proptest::option::of(prop_oneof![
                    proptest::sample::select(&[0i64, 1, 3, 4, 10, 17, 32, 100, 190, 200, 250, 299,
                        300, 613, 80007, 130429, 131031, 133005, 133016][..]).boxed(),
                    any::<i64>().boxed(),
                ]),
                subcode in proptest::option::of(prop_oneof![Just(2_388_001i64), Just(463i64), any::<i64>()]),
                as_strings in any::<bool>(),
                status in 400u16..=599,
            ) {
                let number = |n: i64| if as_strings { Value::String(n.to_string()) } else { Value::from(n) };
                for member in ["code", "error_subcode", "error_user_title", "error_user_msg"] {
                    error.remove(member);
                }
                if let Some(c) = code { error.insert("code".into(), number(c)); }
                if let Some(s) = subcode { error.insert("error_subcode".into(), number(s)); }
                let body = serde_json::json!({ "error": error }).to_string();
                let secrets = secrets();
                let err = api_error_from_response(body.as_bytes(), &context(status, None, None, &secrets));
                prop_assert_eq!(err.code, code);
                prop_assert_eq!(err.subcode, subcode);
                prop_assert_eq!(err.meaning, Meaning::of(code, subcode, &[]));
            }

            /// Whatever Meta puts in its envelope, and wherever it quotes the token or the app
            /// secret, neither reaches the error.
            #[test]
            fn secrets_quoted_anywhere_are_redacted(
                error in test_support::object(),
                members in proptest::collection::vec(
                    proptest::sample::select(&["message", "type", "fbtrace_id", "error_user_title",
                        "error_user_msg"][..]), 1..5),
                before in ".{0,16}",
                after in ".{0,16}",
                which in any::<bool>(),
                status in 100u16..=599,
            ) {
                let mut error = error;
                let secret = if which { TOKEN } else { APP_SECRET };
                for member in members {
                    error.insert(member.to_string(), Value::String(format!("{before}{secret}{after}")));
                }
                let body = serde_json::json!({ "error": error }).to_string();
                let secrets = secrets();
                let err = api_error_from_response(body.as_bytes(), &context(status, None, None, &secrets));
                let shown = format!("{err:?}");
                prop_assert!(!shown.contains(TOKEN), "{}", shown);
                prop_assert!(!shown.contains(APP_SECRET), "{}", shown);
            }

            /// A body that is not Meta's envelope is described in a short line, never quoted.
            #[test]
            fn foreign_bodies_are_summarised_briefly(
                body in proptest::collection::vec(any::<u8>(), 0..4096),
                content_type in proptest::option::of(".{0,200}"),
                status in 100u16..=599,
            ) {
                let secrets = secrets();
                let is_envelope = matches!(
                    serde_json::from_slice::<Value>(&body),
                    Ok(Value::Object(ref map)) if map.contains_key("error")
                );
                prop_assume!(!is_envelope);
                let err = api_error_from_response(&body, &context(status, content_type.as_deref(), None, &secrets));
                prop_assert!(err.message.chars().count() < 200, "{}", err.message);
                prop_assert_eq!(err.transient, status >= 500);
                prop_assert_eq!(err.meaning, Meaning::Other);
            }
        }
    }

    #[test]
    fn success_bodies_must_be_objects() {
        assert!(parse_success_body(br#"{"id":"1"}"#).is_ok());
        assert_eq!(
            parse_success_body(b""),
            Err(SuccessBodyError::Invalid("an empty body"))
        );
        assert_eq!(
            parse_success_body(b"[1,2]"),
            Err(SuccessBodyError::Invalid("JSON that is not an object"))
        );
        assert_eq!(
            parse_success_body(br#""str""#),
            Err(SuccessBodyError::Invalid("JSON that is not an object"))
        );
        assert_eq!(
            parse_success_body(br#"{"id":"1""#),
            Err(SuccessBodyError::Invalid("a body that is not valid JSON"))
        );
        assert_eq!(
            parse_success_body(b"{\"id\":\"\xff\"}"),
            Err(SuccessBodyError::Invalid("a body that is not valid JSON"))
        );
        assert_eq!(
            parse_success_body(br#"{"error":{"code":1}}"#),
            Err(SuccessBodyError::ErrorEnvelope)
        );
        let deep = "[".repeat(10_000);
        assert!(parse_success_body(deep.as_bytes()).is_err());
    }

    mod success_body_properties {
        use super::*;
        use crate::test_support;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// Any bytes give a map, Meta's envelope or a typed refusal, and which one is decided
            /// by what the bytes are as JSON.
            #[test]
            fn success_bodies_are_classified_by_their_json(body in test_support::body()) {
                let parsed = serde_json::from_slice::<Value>(&body);
                match (parse_success_body(&body), parsed) {
                    (Ok(map), Ok(Value::Object(expected))) => {
                        prop_assert!(!matches!(expected.get("error"), Some(Value::Object(_))));
                        prop_assert_eq!(map, expected);
                    }
                    (Err(SuccessBodyError::ErrorEnvelope), Ok(Value::Object(map))) => {
                        prop_assert!(matches!(map.get("error"), Some(Value::Object(_))));
                    }
                    (Err(SuccessBodyError::Invalid(_)), Ok(Value::Object(_))) => {
                        prop_assert!(false, "an object was refused");
                    }
                    (Err(SuccessBodyError::Invalid(_)), _) => {}
                    (other, parsed) => prop_assert!(false, "{:?} for {:?}", other, parsed),
                }
            }

            /// Nesting of any depth is refused or accepted without exhausting the stack.
            #[test]
            fn deep_nesting_never_overflows(depth in 1usize..20_000, object in any::<bool>()) {
                let (open, close) = if object { (r#"{"a":"#, "}") } else { ("[", "]") };
                let mut body = open.repeat(depth);
                body.push('1');
                body.push_str(&close.repeat(depth));
                let result = parse_success_body(body.as_bytes());
                if depth > 128 {
                    prop_assert!(result.is_err());
                }
            }
        }
    }
}
