# frozen_string_literal: true

require "logger"
require "stringio"

# Chatwoot's Whatsapp::WebhookSetupService spec, ported to WaHealth::WebhookSetup against FakeGraph.
RSpec.describe WaHealth::WebhookSetup do
  include FakeGraphContext

  let(:log) { StringIO.new }
  let(:logger) { Logger.new(log) }
  let(:callback_url) { "https://chat.example.com/webhooks/whatsapp/+15550100001" }
  let(:verify_token) { "existing-verify-token" }

  before do
    fake.add_business_account("2001")
    allow(described_class).to receive(:generate_pin).and_return("223456")
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

  it "registers a number that is not verified with a new PIN, then subscribes the webhook" do
    fake.add_phone_number("1001", :not_verified)
    result = setup.perform
    expect(register_requests.map(&:json)).to eq([{ "messaging_product" => "whatsapp", "pin" => "223456" }])
    expect(subscribe_requests.size).to eq(1)
    expect(result).to have_attributes(registered?: true, pin: "223456", registration_error: nil)
    expect(result.decision.reason).to eq(:not_verified)
    expect(result.health).to include(code_verification_status: "NOT_VERIFIED")
  end

  it "only subscribes when the number is verified and provisioned" do
    fake.add_phone_number("1001")
    result = setup.perform
    expect(register_requests).to be_empty
    expect(subscribe_requests.size).to eq(1)
    expect(result).to have_attributes(registered?: false, pin: nil)
    expect(result.decision.reason).to eq(:provisioned)
    expect(described_class).not_to have_received(:generate_pin)
  end

  it "registers a verified number whose platform_type is NOT_APPLICABLE" do
    fake.add_phone_number("1001", :platform_not_applicable)
    expect(setup.perform).to have_attributes(registered?: true, pin: "223456")
    expect(register_requests.size).to eq(1)
    expect(fake.phone_number("1001")["platform_type"]).to eq("CLOUD_API")
  end

  it "registers a verified number whose throughput level is NOT_APPLICABLE (the case Chatwoot missed)" do
    fake.add_phone_number("1001", :throughput_not_applicable)
    expect(setup.perform).to have_attributes(registered?: true, pin: "223456")
    expect(register_requests.size).to eq(1)
  end

  it "registers when the health cannot be read for another reason (unknown = not verified), without raising" do
    fake.add_phone_number("1001", :platform_not_applicable)
    fake.queue_response(status: 503, body: "<html>Service Unavailable</html>", content_type: "text/html",
                        node: "1001", endpoint: :get)
    result = setup.perform
    expect(result).to have_attributes(registered?: true, decision: nil, health: nil)
    expect(subscribe_requests.size).to eq(1)
  end

  [[190, WaHealth::AuthorizationError], [80_007, WaHealth::RateLimitError]].each do |code, klass|
    it "does not register when the health read fails with #{klass}, and raises nothing" do
      fake.add_phone_number("1001", :not_verified)
      fake.queue_error(code: code, status: 400, node: "1001", endpoint: :get)
      result = setup.perform
      expect(register_requests).to be_empty
      expect(subscribe_requests.size).to eq(1)
      expect(result).to have_attributes(registered?: false, pin: nil, decision: nil, health: nil)
      expect(log.string).to include("registration skipped")
    end
  end

  it "still subscribes when registration fails, keeps the error, returns no PIN and raises nothing" do
    fake.add_phone_number("1001", :display_name_pending)
    result = setup.perform
    expect(register_requests.size).to eq(1)
    expect(subscribe_requests.size).to eq(1)
    expect(result).to have_attributes(registered?: false, pin: nil)
    expect(result.registration_error).to be_a(WaHealth::DisplayNamePendingError)
    expect(log.string).to match(/WARN.*registration failed \(WaHealth::DisplayNamePendingError/)
  end

  it "raises WebhookSetupError starting 'Webhook setup failed' when the subscription fails" do
    fake.add_phone_number("1001")
    fake.queue_error(code: 100, message: "(#100) Before override the current callback uri, your app must be subscribed",
                     endpoint: :subscribed_apps)
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

  it "reuses a stored PIN and generates none" do
    fake.add_phone_number("1001", :not_verified)
    result = setup(pin: "123456").perform
    expect(register_requests.last.json["pin"]).to eq("123456")
    expect(result.pin).to eq("123456")
    expect(described_class).not_to have_received(:generate_pin)
  end

  it "reuses the PIN a successful run returned in the next run (as Chatwoot persists it)" do
    fake.add_phone_number("1001", :not_verified)
    first = setup.perform
    fake.add_phone_number("1001", :platform_not_applicable)
    second = setup(pin: first.pin).perform
    expect(register_requests.map { |r| r.json["pin"] }).to eq(%w[223456 223456])
    expect(second.registration_error).to be_nil
  end

  it "reuses the existing verify token on reauthorization" do
    fake.add_phone_number("1001")
    setup.perform
    expect(subscribe_requests.last.json).to eq("override_callback_uri" => callback_url,
                                               "verify_token" => "existing-verify-token")
  end

  it "logs every decision with the phone number id and never the token or PIN" do
    fake.add_phone_number("1001", :platform_not_applicable)
    fake.queue_error(code: 133_005, message: "PIN 223456 does not match for token #{token}", endpoint: :register)
    result = setup.perform
    expect(log.string).to include("phone_number_id=1001", "decision pending_provisioning", "registration failed")
    expect(log.string).not_to include("223456")
    expect(log.string).not_to include(token)
    expect(result.inspect).not_to include("223456")
    expect(setup.inspect).not_to include(token)
  end

  it "generates PINs in Meta's 6-digit range from SecureRandom" do
    allow(described_class).to receive(:generate_pin).and_call_original
    pins = Array.new(200) { described_class.generate_pin }
    expect(pins).to all(match(/\A[1-9]\d{5}\z/))
    expect(pins.uniq.size).to be > 150
  end
end
