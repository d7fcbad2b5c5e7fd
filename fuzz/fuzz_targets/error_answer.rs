#![no_main]
// Any error answer (status, Content-Type, usage header, body) gives a well-formed error whose every
// text is free of the token, the app secret and the PIN.
use libfuzzer_sys::fuzz_target;
use wa_health_core::error::{api_error_from_response, ErrorContext};
use wa_health_fuzz::{assert_no_secret, secrets};

fuzz_target!(|input: (u16, &str, &str, &[u8])| {
    let (status, content_type, usage, body) = input;
    let secrets = secrets();
    let ctx = ErrorContext {
        http_status: 400 + status % 200,
        content_type: Some(content_type),
        business_use_case_usage: Some(usage),
        secrets: &secrets,
    };
    let error = api_error_from_response(body, &ctx);
    for text in [
        Some(error.message.as_str()),
        error.user_title.as_deref(),
        error.user_message.as_deref(),
        error.error_type.as_deref(),
        error.fbtrace_id.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        assert_no_secret(text);
        assert!(!text.chars().any(char::is_control), "control character in {text:?}");
    }
});
