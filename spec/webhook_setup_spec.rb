# frozen_string_literal: true

require "logger"
require "stringio"

# Chatwoot's Whatsapp::WebhookSetupService spec (develop, 2026: subscribe the app with subscribed_fields,
# then the phone-level override), ported to WaHealth::WebhookSetup against FakeGraph.
RSpec.describe WaHealth::WebhookSetup do
  include FakeGraphContext

  let(:log) { StringIO.new }
  let(:logger) { Logger.new(log) }
  let(:callback_url) { "https://chat.example.com/webhooks/whatsapp/+15550100001" }
  let(:verify_token) { "existing-verify-token" }

  before do
    fake.add_business_account("2001")
    allow(WaHealth).to receive(:generate_pin).and_return("223456")
  end

  def setup(**args)
    described_class.new(phone_number_id: "1001", business_account_id: "2001", access_token: token,
                        callback_url: callback_url, verify_token: verify_token, logger: logger,
                        base_url: fake.url, **args)
  end

  def register_requests
    fake.requests.select { |r| r.path.end_with?("/register") }
  end

  def subscribe_requests
    fake.requests.select { |r| r.path.end_with?("/subscribed_apps") }
  end

  def override_requests
    fake.requests.select { |r| r.http_method == "POST" && r.path.end_with?("/1001") }
  end

  # The newest protocol, in order: subscribe the app with its fields, then override this number's callback.
  def expect_newest_webhook_setup(fields: %w[messages smb_message_echoes])
    webhook_calls = fake.requests.reject { |r| r.http_method == "GET" || r.path.end_with?("/register") }
    expect(webhook_calls.map { |r| [r.http_method, r.path.split("/", 3).last] })
      .to eq([%w[POST 2001/subscribed_apps], %w[POST 1001]])
    expect(webhook_calls.first.json).to eq("subscribed_fields" => fields)
    expect(webhook_calls.last.json).to eq("webhook_configuration" => { "override_callback_uri" => callback_url,
                                                                       "verify_token" => verify_token })
  end

  it "registers a number that is not verified with a new PIN, then subscribes the webhook" do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    result = setup.perform
    expect(register_requests.map(&:json)).to eq([{ "messaging_product" => "whatsapp", "pin" => "223456" }])
    expect_newest_webhook_setup
    read_back = WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url)
    expect(read_back[:webhook_configuration]).to include("phone_number" => callback_url)
    expect(result).to have_attributes(registered?: true, pin: "223456", registration_error: nil)
    expect(result.decision.reason).to eq(:not_verified)
    expect(result.health).to include(code_verification_status: "NOT_VERIFIED")
  end

  it "only subscribes when the number is verified and provisioned" do
    fake.add_phone_number("1001", business_account: "2001")
    result = setup.perform
    expect(register_requests).to be_empty
    expect_newest_webhook_setup
    expect(result).to have_attributes(registered?: false, pin: nil)
    expect(result.decision.reason).to eq(:provisioned)
    expect(WaHealth).not_to have_received(:generate_pin)
  end

  it "registers a verified number whose platform_type is NOT_APPLICABLE" do
    fake.add_phone_number("1001", :platform_not_applicable, business_account: "2001")
    expect(setup.perform).to have_attributes(registered?: true, pin: "223456")
    expect(register_requests.size).to eq(1)
    expect(fake.phone_number("1001")["platform_type"]).to eq("CLOUD_API")
  end

  it "registers a verified number whose throughput level is NOT_APPLICABLE (the case Chatwoot missed)" do
    fake.add_phone_number("1001", :throughput_not_applicable, business_account: "2001")
    expect(setup.perform).to have_attributes(registered?: true, pin: "223456")
    expect(register_requests.size).to eq(1)
  end

  # Newest Chatwoot: "does not register phone (conservative approach) and proceeds with webhook setup".
  [[503, nil, WaHealth::ApiError], [400, 190, WaHealth::AuthorizationError],
   [400, 80_007, WaHealth::RateLimitError]].each do |status, code, klass|
    it "does not register when the health read fails with #{klass}, says why, sets up the webhook, raises nothing" do
      fake.add_phone_number("1001", :not_verified, business_account: "2001")
      if code
        fake.queue_error(code: code, status: status, node: "1001", endpoint: :get)
      else
        fake.queue_response(status: status, body: "<html>Service Unavailable</html>", content_type: "text/html",
                            node: "1001", endpoint: :get)
      end
      result = setup.perform
      expect(register_requests).to be_empty
      expect_newest_webhook_setup
      expect(result).to have_attributes(registered?: false, pin: nil, decision: nil, health: nil)
      expect(result.health_error).to be_a(klass)
      expect(result.registration_note).to start_with("not registered: health could not be read")
      expect(log.string).to include("not registered: health could not be read")
    end
  end

  it "never registers a live number whose verification expired (provisioned on Cloud API)" do
    fake.add_phone_number("1001", business_account: "2001", code_verification_status: "EXPIRED")
    result = setup.perform
    expect(register_requests).to be_empty
    expect(result.decision).to have_attributes(reason: :provisioned, verification_expired?: true)
    expect(result.registration_note).to include("that is normal")
  end

  it "subscribes calls too when calling is enabled, and keeps the older WABA-level override as an option" do
    fake.add_phone_number("1001", business_account: "2001")
    setup(calls: true).perform
    expect_newest_webhook_setup(fields: %w[messages smb_message_echoes calls])
    fake.clear_requests
    setup(protocol: :waba_override).perform
    expect(subscribe_requests.map(&:json)).to eq([{ "override_callback_uri" => callback_url,
                                                    "verify_token" => verify_token }])
    expect(override_requests).to be_empty
  end

  it "still subscribes when registration fails, keeps the error, returns no PIN and raises nothing" do
    fake.add_phone_number("1001", :display_name_pending, business_account: "2001")
    result = setup.perform
    expect(register_requests.size).to eq(1)
    expect(subscribe_requests.size).to eq(1)
    expect(result).to have_attributes(registered?: false, pin: nil)
    expect(result.registration_error).to be_a(WaHealth::DisplayNamePendingError)
    expect(log.string).to match(/WARN.*registration failed \(WaHealth::DisplayNamePendingError/)
  end

  it "raises WebhookSetupError starting 'Webhook setup failed' when the subscription fails" do
    fake.add_phone_number("1001", business_account: "2001")
    fake.queue_error(code: 100, message: "(#100) Invalid parameter", endpoint: :subscribed_apps)
    expect { setup.perform }.to raise_error(WaHealth::WebhookSetupError, /\AWebhook setup failed: /) { |e|
      expect(e.cause).to be_a(WaHealth::ApiError)
      expect(e).to be_a(WaHealth::Error)
    }
  end

  {
    phone_number_id: "phone_number_id is missing", business_account_id: "business_account_id is missing",
    access_token: "access_token is missing", callback_url: "callback_url must be a non-blank String",
    verify_token: "verify_token is missing"
  }.each do |argument, message|
    it "raises ArgumentError for a blank #{argument}" do
      expect { setup(argument => "") }.to raise_error(ArgumentError, message)
      expect { setup(argument => nil) }.to raise_error(ArgumentError)
    end
  end

  # Found by a new user: a relative or http callback used to be refused only after a new PIN had been
  # registered, so the PIN was lost. Every input is now checked before the first request.
  {
    callback_url: ["/webhooks/whatsapp/+15550100001", "http://chat.example.com/webhooks/whatsapp/1"],
    pin: %w[12345 abcdef], subscribed_fields: [[], ["Messages!"]], protocol: [:other], timeout: [0, -1],
    base_url: ["not a url"]
  }.each do |argument, values|
    it "refuses a bad #{argument} before any request, so no PIN is registered and lost" do
      fake.add_phone_number("1001", :not_verified, business_account: "2001")
      values.each do |value|
        expect { setup(argument => value).perform }.to raise_error(ArgumentError, /#{argument}|base_url/)
      end
      expect(fake.requests).to be_empty
    end
  end

  it "reuses a stored PIN and generates none" do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    result = setup(pin: "123456").perform
    expect(register_requests.last.json["pin"]).to eq("123456")
    expect(result.pin).to eq("123456")
    expect(WaHealth).not_to have_received(:generate_pin)
  end

  it "reuses the PIN a successful run returned in the next run (as Chatwoot persists it)" do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    first = setup.perform
    fake.add_phone_number("1001", :platform_not_applicable, business_account: "2001")
    second = setup(pin: first.pin).perform
    expect(register_requests.map { |r| r.json["pin"] }).to eq(%w[223456 223456])
    expect(second.registration_error).to be_nil
  end

  it "reuses the existing verify token on reauthorization" do
    fake.add_phone_number("1001", business_account: "2001")
    setup.perform
    expect(override_requests.last.json["webhook_configuration"]).to include("verify_token" => "existing-verify-token")
  end

  it "logs every decision with the phone number id and never the token or PIN" do
    fake.add_phone_number("1001", :platform_not_applicable, business_account: "2001")
    fake.queue_error(code: 133_005, message: "PIN 223456 does not match for token #{token}", endpoint: :register)
    result = setup.perform
    expect(log.string).to include("phone_number_id=1001", "decision pending_provisioning", "registration failed")
    expect(log.string).not_to include("223456")
    expect(log.string).not_to include(token)
    expect(result.inspect).not_to include("223456")
    expect(setup.inspect).not_to include(token)
  end
end
