# frozen_string_literal: true

require "socket"

# The dependency-free hook (WaHealth.config.instrumenter); the Railtie's ActiveSupport::Notifications
# wiring is in spec/rails/railtie_spec.rb.
RSpec.describe "Instrumentation" do
  include FakeGraphContext

  # Behaves like ActiveSupport::Notifications.instrument: yields the payload, records it afterwards.
  let(:recorder) do
    Class.new do
      attr_reader :events

      def initialize
        @events = []
      end

      def instrument(name, payload)
        started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        yield payload
      ensure
        @events << { name: name, payload: payload.dup,
                     duration: Process.clock_gettime(Process::CLOCK_MONOTONIC) - started }
      end
    end.new
  end
  let(:secret) { "instrumented-app-secret" }

  before do
    fake.app_secret = secret
    WaHealth.configure do |config|
      config.base_url = fake.url
      config.app_secret = secret
      config.instrumenter = recorder
    end
  end

  def only_event
    expect(recorder.events.size).to eq(1)
    recorder.events.first
  end

  def expect_no_secrets(event)
    text = event.inspect
    expect(text).not_to include(token)
    expect(text).not_to include(secret)
  end

  describe "fetch.wa_health" do
    before { fake.add_phone_number("1001") }

    it "carries the ids and HTTP 200 on success, and wraps the call (its duration includes Meta's latency)" do
      fake.latency = 0.05
      WaHealth.fetch(phone_number_id: "1001", access_token: token)
      event = only_event
      expect(event[:name]).to eq("fetch.wa_health")
      expect(event[:payload]).to eq(phone_number_id: "1001", business_account_id: nil, http_status: 200)
      expect(event[:duration]).to be >= 0.05
      expect_no_secrets(event)
    end

    it "carries Meta's status, code, subcode and the error class on an ApiError, and re-raises it" do
      fake.queue_error(code: 190, subcode: 463, status: 401, message: "Error validating access token: #{token}",
                       node: "1001")
      expect { WaHealth.fetch(phone_number_id: "1001", access_token: token, business_account_id: "2001") }
        .to raise_error(WaHealth::AuthorizationError)
      event = only_event
      expect(event[:payload]).to eq(phone_number_id: "1001", business_account_id: "2001", http_status: 401,
                                    error_code: 190, error_subcode: 463,
                                    error_class: "WaHealth::AuthorizationError")
      expect_no_secrets(event)
    end

    it "carries retry_after in seconds on a RateLimitError with Meta's usage header" do
      usage = JSON.generate("2001" => [{ "type" => "whatsapp", "estimated_time_to_regain_access" => 2 }])
      fake.queue_error(code: 80_007, status: 400, headers: { "X-Business-Use-Case-Usage" => usage })
      expect { WaHealth.fetch(phone_number_id: "1001", access_token: token) }.to raise_error(WaHealth::RateLimitError)
      expect(only_event[:payload]).to include(http_status: 400, error_code: 80_007, retry_after: 120,
                                              error_class: "WaHealth::RateLimitError")
    end

    it "leaves http_status nil when no answer came" do
      port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
      expect { WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: "http://127.0.0.1:#{port}") }
        .to raise_error(WaHealth::ConnectionError)
      payload = only_event[:payload]
      expect(payload).to include(error_class: "WaHealth::ConnectionError")
      expect(payload[:http_status]).to be_nil
    end

    it "sends no event for arguments refused before any request" do
      expect { WaHealth.fetch(phone_number_id: "1001", access_token: nil) }.to raise_error(ArgumentError)
      expect { WaHealth.fetch(phone_number_id: "1001", access_token: token, bogus: 1) }.to raise_error(ArgumentError)
      expect(recorder.events).to be_empty
    end
  end

  describe "the registration calls" do
    before do
      fake.add_phone_number("1001", :platform_not_applicable)
      fake.add_business_account("2001")
    end

    it "sends register.wa_health, deregister.wa_health and subscribe_webhook.wa_health without the PIN" do
      WaHealth.register(phone_number_id: "1001", access_token: token, pin: "246810")
      WaHealth.deregister(phone_number_id: "1001", access_token: token)
      WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, verify_token: "verify-secret",
                                 callback_url: "https://chat.example.com/webhooks/whatsapp/1")
      expect(recorder.events.map { |e| [e[:name], e[:payload]] }).to eq(
        [["register.wa_health", { phone_number_id: "1001", http_status: 200 }],
         ["deregister.wa_health", { phone_number_id: "1001", http_status: 200 }],
         ["subscribe_webhook.wa_health", { business_account_id: "2001", http_status: 200 }]]
      )
      recorder.events.each do |event|
        expect_no_secrets(event)
        expect(event.inspect).not_to include("246810")
        expect(event.inspect).not_to include("verify-secret")
      end
    end

    it "fills the error facts of a failed register" do
      fake.add_phone_number("1002", :display_name_pending)
      expect { WaHealth.register(phone_number_id: "1002", access_token: token, pin: "246810") }
        .to raise_error(WaHealth::DisplayNamePendingError)
      expect(only_event[:payload]).to include(phone_number_id: "1002", http_status: 400, error_code: 100,
                                              error_subcode: 2_388_001,
                                              error_class: "WaHealth::DisplayNamePendingError")
    end
  end

  it "sends one event per call that talks to Meta, named as Instrumentation::EVENTS names it, and no other" do
    fake.add_business_account("2001")
    fake.add_phone_number("1001", :platform_not_applicable, business_account: "2001")
    ids = { access_token: token }
    callback = { callback_url: "https://chat.example.com/webhooks/whatsapp/1", verify_token: "verify-secret" }
    WaHealth.fetch(phone_number_id: "1001", **ids)
    WaHealth.fetch_many([{ phone_number_id: "1001", **ids }])
    WaHealth.register(phone_number_id: "1001", pin: "246810", **ids)
    WaHealth.deregister(phone_number_id: "1001", **ids)
    WaHealth.subscribe_webhook(business_account_id: "2001", **ids, **callback)
    WaHealth.subscribe_app(business_account_id: "2001", **ids)
    WaHealth.override_phone_webhook(phone_number_id: "1001", **ids, **callback)
    WaHealth.clear_phone_webhook(phone_number_id: "1001", **ids)
    WaHealth.unsubscribe_app(business_account_id: "2001", **ids)
    names = recorder.events.map { |event| event[:name] }
    expect(names).to eq(WaHealth::Instrumentation::EVENTS.values)
    expect(names).to all(end_with(".wa_health"))
    expect(WaHealth::Instrumentation::EVENTS.keys).to all(satisfy { |call| WaHealth.respond_to?(call) })
  end

  it "is off by default, and the calls work the same" do
    WaHealth.reset_config!
    expect(WaHealth.config.instrumenter).to be_nil
    fake.app_secret = nil
    fake.add_phone_number("1001")
    expect(WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url)).to include(id: "1001")
    expect(recorder.events).to be_empty
  end

  it "refuses an instrumenter without #instrument" do
    expect { WaHealth.config.instrumenter = Object.new }.to raise_error(ArgumentError, /instrument/)
  end
end
