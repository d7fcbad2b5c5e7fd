# frozen_string_literal: true

RSpec.describe "WaHealth errors" do
  include FakeGraphContext

  before { fake.add_phone_number("1001") }

  def fetch(**args)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, **connection_options, **args)
  end

  def error_from
    yield
    raise "expected an error"
  rescue WaHealth::Error => e
    e
  end

  it "raises ApiError whose message starts like Chatwoot's and names status, code, subcode and Meta's message" do
    fake.queue_error(status: 400, code: 100, subcode: 33, message: "Unsupported get request.",
                     type: "GraphMethodException")
    error = error_from { fetch }
    expect(error).to be_a(WaHealth::ApiError)
    expect(error.class).to eq(WaHealth::ApiError)
    expect(error.message).to eq("WhatsApp API request failed: HTTP 400, code 100, subcode 33: Unsupported get request.")
    expect(error).to have_attributes(http_status: 400, code: 100, subcode: 33, error_type: "GraphMethodException",
                                     fbtrace_id: "FakeTrace", transient?: false, authorization_error?: false)
  end

  it "raises AuthorizationError for an expired token (190), which asks for reauthorization" do
    fake.queue_error(status: 401, code: 190, subcode: 463,
                     message: "Error validating access token: Session has expired")
    error = error_from { fetch }
    expect(error).to be_a(WaHealth::AuthorizationError)
    expect(error).to have_attributes(code: 190, subcode: 463, http_status: 401, authorization_error?: true)
  end

  it "raises AuthorizationError for the fake's own answer to a wrong token" do
    expect { fetch(access_token: "not-the-token") }.to raise_error(WaHealth::AuthorizationError) { |e|
      expect(e.code).to eq(190)
    }
  end

  [0, 3, 10, 200, 299].each do |code|
    it "treats permission code #{code} as an AuthorizationError" do
      fake.queue_error(code: code, status: 403)
      expect { fetch }.to raise_error(WaHealth::AuthorizationError)
    end
  end

  [4, 17, 32, 613, 80_007, 130_429, 133_016].each do |code|
    it "raises RateLimitError for code #{code}" do
      fake.queue_error(code: code, status: 400)
      expect { fetch }.to raise_error(WaHealth::RateLimitError) { |e| expect(e.code).to eq(code) }
    end
  end

  it "gives RateLimitError#retry_after in seconds from the business use case usage header" do
    usage = { "2001" => [{ "type" => "whatsapp_business_management", "call_count" => 100,
                           "estimated_time_to_regain_access" => 5 }] }
    fake.queue_error(code: 80_007, status: 400, transient: true,
                     headers: { "X-Business-Use-Case-Usage" => JSON.generate(usage) })
    error = error_from { fetch }
    expect(error).to be_a(WaHealth::RateLimitError)
    expect(error.retry_after).to eq(300)
    expect(error).to be_transient
  end

  it "leaves retry_after nil when the headers do not say" do
    fake.queue_error(code: 4, status: 400)
    expect(error_from { fetch }.retry_after).to be_nil
  end

  it "raises DisplayNamePendingError for 100/2388001 with Meta's user-facing texts" do
    fake.queue_error(code: 100, subcode: 2_388_001, message: "Cannot Create Certificate",
                     user_title: "Cannot Create Certificate", user_message: "Your display name could not be processed.")
    error = error_from { fetch }
    expect(error).to be_a(WaHealth::DisplayNamePendingError)
    expect(error).to have_attributes(user_title: "Cannot Create Certificate",
                                     user_message: "Your display name could not be processed.")
  end

  it "summarises an HTML error page from a proxy instead of dumping it" do
    fake.queue_response(status: 502, body: "<html><title>Bad Gateway</title>#{'x' * 5000}</html>",
                        content_type: "text/html")
    error = error_from { fetch }
    expect(error.class).to eq(WaHealth::ApiError)
    expect(error.message).to start_with("WhatsApp API request failed: HTTP 502")
    expect(error.message).to include("text/html")
    expect(error.message).not_to include("Bad Gateway")
    expect(error.message.length).to be < 200
    expect(error).to be_transient
  end

  it "raises ApiError for a 200 carrying Meta's error envelope" do
    fake.queue_response(status: 200, body: { "error" => { "code" => 1, "message" => "An unknown error occurred" } })
    expect { fetch }.to raise_error(WaHealth::ApiError, /HTTP 200, code 1: An unknown error occurred/)
  end

  it "raises InvalidResponseError for a 2xx body that is not a JSON object" do
    ["", "not json", "[1,2]", "\"text\"", "{\"id\":"].each do |body|
      fake.queue_response(status: 200, body: body, content_type: "application/json")
      expect { fetch }.to raise_error(WaHealth::InvalidResponseError, /HTTP 200/)
    end
  end

  it "refuses bodies over 1 MiB" do
    fake.queue_response(status: 200, body: JSON.generate("id" => "1001", "pad" => "x" * (1024 * 1024)))
    expect { fetch }.to raise_error(WaHealth::InvalidResponseError, /exceeds 1048576 bytes/)
  end

  it "does not follow redirects, so the token never goes to another host" do
    fake.queue_response(status: 302, body: "", headers: { "Location" => "http://127.0.0.2:9/steal" })
    expect { fetch }.to raise_error(WaHealth::ApiError, /HTTP 302/)
    expect(fake.requests.size).to eq(1)
  end

  it "raises TimeoutError when the answer takes longer than the timeout" do
    fake.latency = 3
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    expect { fetch(timeout: 0.3) }.to raise_error(WaHealth::TimeoutError, /timed out after 0.3s/)
    expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 2
  end

  it "raises ConnectionError when nothing listens" do
    port = fake.port
    fake.stop
    expect { fetch(base_url: "http://127.0.0.1:#{port}") }.to raise_error(WaHealth::ConnectionError, /refused/)
  end

  it "never puts the access token or app secret in messages, inspect or backtraces, even when Meta quotes them" do
    fake.app_secret = "the-app-secret"
    fake.queue_error(status: 400, code: 190,
                     message: "Invalid token #{token} for secret the-app-secret, also EAAGm0PX4ZCpsBAabcdefghij",
                     user_message: "token #{token}")
    error = error_from { fetch(app_secret: "the-app-secret") }
    text = [error.message, error.inspect, error.full_message, error.user_message, *error.backtrace].join("\n")
    expect(text).not_to include(token)
    expect(text).not_to include("the-app-secret")
    expect(text).not_to include("EAAGm0PX4ZCpsBAabcdefghij")
    expect(text).to include("[REDACTED]")
  end

  it "keeps the class hierarchy Chatwoot code can rescue" do
    expect(WaHealth::ApiError.ancestors).to include(WaHealth::Error, StandardError)
    [WaHealth::AuthorizationError, WaHealth::RateLimitError, WaHealth::DisplayNamePendingError].each do |klass|
      expect(klass.superclass).to eq(WaHealth::ApiError)
    end
    [WaHealth::TimeoutError, WaHealth::ConnectionError, WaHealth::InvalidResponseError].each do |klass|
      expect(klass.superclass).to eq(WaHealth::Error)
    end
  end
end
