# frozen_string_literal: true

require "json"
require "zlib"

# Odd, broken and hostile answers for FakeGraph to send raw, with what wa_health must make of each:
# used by spec/reliability/hostile_responses_spec.rb and by `rake stress`.
# name => [queue_response arguments, expectation]. An expectation is
# an error class with a message pattern, or a Hash of fields the returned record must have.
module HostileResponses
  MIB = 1024 * 1024
  HEALTHY = { "id" => "1001", "verified_name" => "Acme", "quality_rating" => "GREEN" }.freeze

  def self.nested(depth, leaf = 1)
    ("[" * depth) + leaf.to_s + ("]" * depth)
  end

  CASES = {
    "an HTML 502 from a proxy" =>
      [{ status: 502, body: "<html><h1>502 Bad Gateway</h1></html>", content_type: "text/html" },
       [WaHealth::ApiError, %r{HTTP 502: unexpected text/html body \(\d+ bytes\)}]],
    "an empty 200" => [{ status: 200, body: "" }, [WaHealth::InvalidResponseError, /an empty body/]],
    "a 200 of whitespace" => [{ status: 200, body: " \r\n\t " }, [WaHealth::InvalidResponseError, /an empty body/]],
    "a 204 No Content" => [{ status: 204 }, [WaHealth::InvalidResponseError, /HTTP 204 with an empty body/]],
    "truncated JSON" =>
      [{ status: 200, body: '{"id":"1001","verified_name":"Ac' }, [WaHealth::InvalidResponseError, /not valid JSON/]],
    "a JSON array" => [{ status: 200, body: "[1,2,3]" }, [WaHealth::InvalidResponseError, /not an object/]],
    "a JSON string" => [{ status: 200, body: '"ok"' }, [WaHealth::InvalidResponseError, /not an object/]],
    "JSON null" => [{ status: 200, body: "null" }, [WaHealth::InvalidResponseError, /not an object/]],
    "a JSON number" => [{ status: 200, body: "42" }, [WaHealth::InvalidResponseError, /not an object/]],
    "two JSON objects" =>
      [{ status: 200, body: '{"id":"1"}{"id":"2"}' }, [WaHealth::InvalidResponseError, /not valid JSON/]],
    "throughput as a string" =>
      [{ status: 200, body: HEALTHY.merge("throughput" => "STANDARD") }, { throughput: nil, throughput_level: nil }],
    "ids as numbers" =>
      [{ status: 200, body: HEALTHY.merge("id" => 1001) }, { id: "1001", verified_name: "Acme" }],
    "is_on_biz_app as \"yes\"" =>
      [{ status: 200, body: HEALTHY.merge("is_on_biz_app" => "yes") }, { is_on_biz_app: nil }],
    "health_status as an array" =>
      [{ status: 200, body: HEALTHY.merge("health_status" => ["AVAILABLE"]) },
       { health_status: nil, can_send_message: nil }],
    "quality_rating as an object, verified_name as an array" =>
      [{ status: 200, body: HEALTHY.merge("quality_rating" => { "x" => 1 }, "verified_name" => ["Acme"]) },
       { quality_rating: nil, verified_name: nil, id: "1001" }],
    "throughput.level as a number" =>
      [{ status: 200, body: HEALTHY.merge("throughput" => { "level" => 3 }) },
       { throughput: { "level" => 3 }, throughput_level: "3" }],
    "unknown extra fields" => [{ status: 200, body: HEALTHY.merge("surprise" => { "a" => [1] }) }, { id: "1001" }],
    "duplicate keys (the last one wins)" =>
      [{ status: 200, body: '{"id":"1","verified_name":"First","verified_name":"Last","id":"1001"}' },
       { id: "1001", verified_name: "Last" }],
    "invalid UTF-8 in a 200" =>
      [{ status: 200, body: "{\"id\":\"1001\",\"verified_name\":\"\xFF\xFE\"}".b },
       [WaHealth::InvalidResponseError, /not valid JSON/]],
    "invalid UTF-8 in an error answer" =>
      [{ status: 400, body: "{\"error\":{\"code\":100,\"message\":\"\xC3\x28\"}}".b, content_type: "application/json" },
       [WaHealth::ApiError, %r{HTTP 400: unexpected application/json body}]],
    "JSON nested 10,000 deep" =>
      [{ status: 200, body: nested(10_000) }, [WaHealth::InvalidResponseError, /not valid JSON/]],
    "an object nested 10,000 deep in a field" =>
      [{ status: 200, body: "{\"id\":\"1001\",\"webhook_configuration\":#{'{"a":' * 10_000}1#{'}' * 10_000}}" },
       [WaHealth::InvalidResponseError, /not valid JSON/]],
    "nesting 100 deep in a field (within the parser's limit)" =>
      [{ status: 200, body: "{\"id\":\"1001\",\"webhook_configuration\":{\"x\":#{nested(100)}}}" },
       { id: "1001", webhook_configuration: { "x" => JSON.parse(nested(100)) } }],
    "a body over 1 MiB with its Content-Length" =>
      [{ status: 200, body: JSON.generate("id" => "1001", "pad" => "x" * MIB) },
       [WaHealth::InvalidResponseError, /exceeds 1048576 bytes/]],
    "a body over 1 MiB sent chunked, without a length" =>
      [{ status: 200, body: JSON.generate("id" => "1001", "pad" => "x" * (2 * MIB)), drip: 0, chunk_bytes: 64 * 1024 },
       [WaHealth::InvalidResponseError, /exceeds 1048576 bytes/]],
    "a gzip bomb (10 MB of zeros in 10 KB), never inflated" =>
      [{ status: 200, body: Zlib.gzip("\0" * 10_000_000).b, headers: { "Content-Encoding" => "gzip" } },
       [WaHealth::InvalidResponseError, /not valid JSON/]],
    "gzip-encoded JSON nobody asked for" =>
      [{ status: 200, body: Zlib.gzip(JSON.generate(HEALTHY)).b, headers: { "Content-Encoding" => "gzip" } },
       [WaHealth::InvalidResponseError, /not valid JSON/]],
    "an error envelope missing every member" =>
      [{ status: 400, body: { "error" => {} } },
       [WaHealth::ApiError, /\AWhatsApp API request failed: HTTP 400: \(no message from Meta\)\z/]],
    "an error that is a string" =>
      [{ status: 500, body: { "error" => "boom" } },
       [WaHealth::ApiError, /HTTP 500: unexpected application.json body/]],
    "code as a string" =>
      [{ status: 401, body: { "error" => { "code" => "190", "message" => "Expired" } } },
       [WaHealth::AuthorizationError, /HTTP 401, code 190: Expired/]],
    "code and subcode as strings (display name pending)" =>
      [{ status: 400, body: { "error" => { "code" => "100", "error_subcode" => "2388001" } } },
       [WaHealth::DisplayNamePendingError, /code 100, subcode 2388001/]],
    "code as a float" =>
      [{ status: 400, body: { "error" => { "code" => 190.5, "message" => "odd" } } },
       [WaHealth::ApiError, /\AWhatsApp API request failed: HTTP 400: odd\z/]],
    "code beyond 64 bits" =>
      [{ status: 400, body: '{"error":{"code":123456789012345678901234567890,"message":"big"}}' },
       [WaHealth::ApiError, /HTTP 400: big/]],
    "a 200 carrying Meta's error envelope" =>
      [{ status: 200, body: { "error" => { "code" => 4, "message" => "Too many calls" } } },
       [WaHealth::RateLimitError, /HTTP 200, code 4: Too many calls/]],
    "a one-megabyte error message with newlines" =>
      [{ status: 400, body: { "error" => { "code" => 100, "message" => "a\nb#{'c' * (MIB - 100)}" } } },
       [WaHealth::ApiError, /\AWhatsApp API request failed: HTTP 400, code 100: a bc+\.\.\.\z/]],
    "an unknown status code" =>
      [{ status: 599, body: "" }, [WaHealth::ApiError, /HTTP 599: empty body/]],
    "garbage usage headers on a rate limit" =>
      [{ status: 400, body: { "error" => { "code" => 80_007 } },
         headers: { "X-Business-Use-Case-Usage" => "{not json", "X-App-Usage" => "[]" } },
       [WaHealth::RateLimitError, /code 80007/]],
    "a JSON object sent as text/html" =>
      [{ status: 200, body: JSON.generate(HEALTHY), content_type: "text/html" },
       { id: "1001", quality_rating: "GREEN" }]
  }.freeze
end
