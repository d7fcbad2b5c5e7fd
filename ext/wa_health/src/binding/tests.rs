//! Binding-layer tests on a real Ruby VM (rb-sys-test-helpers): conversions, error classes, the
//! GVL-free trampoline.

use magnus::value::ReprValue;
use magnus::{Ruby, Value};
use rb_sys_test_helpers::ruby_test;
use serde_json::json;

use super::convert::{json_to_ruby, record_to_ruby, ruby_to_json};
use super::errors::to_ruby_error;
use super::nogvl::{without_gvl, Outcome};
use wa_health_core::error::{ApiError, GraphError};
use wa_health_core::meaning::Meaning;

fn ruby() -> Ruby {
    Ruby::get().expect("ruby_test runs on the Ruby thread")
}

fn eval(ruby: &Ruby, code: &str) -> Value {
    ruby.eval(code).expect("valid Ruby")
}

fn load_error_classes(ruby: &Ruby) {
    let _: Value = ruby
        .eval(include_str!("../../../../lib/wa_health/errors.rb"))
        .expect("errors.rb loads");
}

#[ruby_test]
fn health_records_have_symbol_keys_and_string_keyed_insides() {
    let ruby = ruby();
    let record = vec![
        ("throughput", json!({"level": "STANDARD"})),
        ("id", json!("1001")),
        ("business_id", serde_json::Value::Null),
    ];
    let hash = record_to_ruby(&ruby, &record);
    let check: Value = eval(
        &ruby,
        "->(h) { h.keys == %i[throughput id business_id] && h[:throughput] == {'level' => 'STANDARD'} && h[:business_id].nil? }",
    );
    let ok: bool = check.funcall("call", (hash,)).unwrap();
    assert!(ok);
}

#[ruby_test]
fn json_values_convert_to_the_ruby_types_json_parse_gives() {
    let ruby = ruby();
    let value = json_to_ruby(
        &ruby,
        &json!({"a": [1, -2, 1.5, true, false, null, "x"], "big": 18446744073709551615u64}),
    );
    let expected = eval(
        &ruby,
        "{'a' => [1, -2, 1.5, true, false, nil, 'x'], 'big' => 18446744073709551615}",
    );
    assert!(value.eql(expected).unwrap());
}

#[ruby_test]
fn ruby_hashes_with_symbol_or_string_keys_become_the_same_json() {
    let ruby = ruby();
    let symbols = eval(
        &ruby,
        "{code_verification_status: :VERIFIED, throughput: {level: 'NOT_APPLICABLE'}, n: 3, f: 0.5, t: true, z: nil}",
    );
    let strings = eval(
        &ruby,
        "{'code_verification_status' => 'VERIFIED', 'throughput' => {'level' => 'NOT_APPLICABLE'}, 'n' => 3, 'f' => 0.5, 't' => true, 'z' => nil}",
    );
    let expected = json!({"code_verification_status": "VERIFIED", "throughput": {"level": "NOT_APPLICABLE"},
        "n": 3, "f": 0.5, "t": true, "z": null});
    assert_eq!(ruby_to_json(&ruby, symbols).unwrap(), expected);
    assert_eq!(ruby_to_json(&ruby, strings).unwrap(), expected);
}

#[ruby_test]
fn too_deep_ruby_structures_are_an_argument_error() {
    let ruby = ruby();
    let deep = eval(&ruby, "h = {}; 100.times { h = {'x' => h} }; h");
    let error = ruby_to_json(&ruby, deep).unwrap_err();
    assert!(error.is_kind_of(ruby.exception_arg_error()));
}

#[ruby_test]
fn api_errors_become_the_ruby_subclass_with_attributes() {
    let ruby = ruby();
    load_error_classes(&ruby);
    let details = ApiError {
        meaning: Meaning::Authorization,
        message: "WhatsApp API request failed: HTTP 401, code 190: expired".into(),
        http_status: 401,
        code: Some(190),
        subcode: Some(463),
        error_type: Some("OAuthException".into()),
        fbtrace_id: None,
        user_title: None,
        user_message: None,
        transient: false,
        retry_after: Some(60),
    };
    let error = to_ruby_error(&ruby, GraphError::Api(Box::new(details)));
    let exception = error.value().expect("an exception object");
    let check: Value = eval(
        &ruby,
        "->(e) { e.is_a?(WaHealth::AuthorizationError) && e.code == 190 && e.subcode == 463 && e.http_status == 401 && e.retry_after == 60 && e.authorization_error? && e.meaning == :authorization && e.next_step.start_with?('Reauthorize') && e.message.start_with?('WhatsApp API request failed') }",
    );
    let ok: bool = check.funcall("call", (exception,)).unwrap();
    assert!(ok);
}

#[ruby_test]
fn transport_errors_map_to_their_classes() {
    let ruby = ruby();
    load_error_classes(&ruby);
    let cases = [
        (GraphError::Timeout("t".into()), "WaHealth::TimeoutError"),
        (
            GraphError::Connection("c".into()),
            "WaHealth::ConnectionError",
        ),
        (
            GraphError::InvalidResponse("i".into()),
            "WaHealth::InvalidResponseError",
        ),
        (GraphError::Cancelled, "WaHealth::Error"),
    ];
    for (graph_error, class_name) in cases {
        let error = to_ruby_error(&ruby, graph_error);
        let exception = error.value().expect("an exception object");
        let class_of: Value = eval(&ruby, "->(e) { e.class.name }");
        let name: String = class_of.funcall("call", (exception,)).unwrap();
        assert_eq!(name, class_name);
    }
    let argument = to_ruby_error(&ruby, GraphError::InvalidArgument("a".into()));
    assert!(argument.is_kind_of(ruby.exception_arg_error()));
}

#[ruby_test]
fn work_without_the_gvl_returns_its_value_and_contains_panics() {
    let _ruby = ruby();
    match without_gvl(|cancel| !cancel.is_cancelled()).unwrap() {
        Outcome::Done(value) => assert!(value),
        Outcome::Panicked => panic!("no panic expected"),
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = without_gvl(|_| -> u8 { panic!("boom") });
    std::panic::set_hook(previous);
    assert!(matches!(outcome, Ok(Outcome::Panicked)));
}

#[ruby_test]
fn empty_ruby_hash_is_an_empty_object() {
    let ruby = ruby();
    let hash = ruby.hash_new();
    assert_eq!(ruby_to_json(&ruby, hash.as_value()).unwrap(), json!({}));
}

/// The real request path (`perform`: engine lease, GVL release, signal slices) turns a panic in
/// the operation into `WaHealth::Error`, and the process goes on making requests afterwards.
#[ruby_test]
fn a_panic_inside_a_request_becomes_a_ruby_error() {
    let ruby = ruby();
    load_error_classes(&ruby);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = super::graph::perform(&ruby, |_engine| async {
        panic!("deliberate panic inside the GVL-free request path");
        #[allow(unreachable_code)]
        Ok(())
    });
    std::panic::set_hook(previous);
    let error = result.expect_err("a panic must become a Ruby error");
    let class: String = error.value().unwrap().class().inspect();
    assert_eq!(class, "WaHealth::Error");
    assert!(error
        .to_string()
        .contains("internal error in the wa_health native extension"));
    let after = super::graph::perform(&ruby, |_engine| async { Ok(7) }).unwrap();
    assert_eq!(after, 7);
}

/// The webhook entry points raise the gem's classes, and a panic inside one becomes `WaHealth::Error`
/// instead of magnus's `fatal` (which would end the process).
#[ruby_test]
fn webhook_entry_points_raise_typed_errors_and_contain_panics() {
    let ruby = ruby();
    load_error_classes(&ruby);
    let class_name = |error: magnus::Error| error.value().unwrap().class().inspect();
    let body = ruby.str_new("{}");
    let bad_signature = super::webhook::verify(&ruby, body, Some("sha256=00".into()), "s".into());
    assert_eq!(
        class_name(bad_signature.unwrap_err()),
        "WaHealth::WebhookSignatureError"
    );
    let not_json = super::webhook::parse(&ruby, ruby.str_new("nope"));
    assert_eq!(
        class_name(not_json.unwrap_err()),
        "WaHealth::WebhookPayloadError"
    );
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked: Result<(), magnus::Error> = super::webhook::guarded(&ruby, || {
        panic!("deliberate panic in a webhook entry point")
    });
    std::panic::set_hook(previous);
    let error = panicked.unwrap_err();
    assert_eq!(class_name(error), "WaHealth::Error");
}
