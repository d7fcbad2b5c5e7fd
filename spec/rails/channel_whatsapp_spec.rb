# frozen_string_literal: true

require "rails_helper"

# Channel::Whatsapp#setup_webhooks in spec/rails_app: WaHealth::WebhookSetup against FakeGraph, and the
# PIN Meta accepted stored in provider_config, only then.
RSpec.describe Channel::Whatsapp do
  include FakeGraphContext

  let(:account) { create_account }
  let(:stored_pin) { nil }
  let(:channel) do
    config = { api_key: token, phone_number_id: "1001", business_account_id: "2001",
               webhook_verify_token: "verify-token", source: "embedded_signup", verification_pin: stored_pin }
    create_whatsapp_inbox(account, **config.compact).channel
  end

  before do
    WaHealth.config.base_url = fake.url
    fake.add_business_account("2001")
  end

  def register_pins
    fake.requests.select { |r| r.path == "/v24.0/1001/register" }.map { |r| r.json["pin"] }
  end

  # The webhook calls of the newest protocol the channel made: the app subscription, then the override.
  def subscriptions
    fake.requests.select do |r|
      r.http_method == "POST" && ["/v24.0/2001/subscribed_apps", "/v24.0/1001"].include?(r.path)
    end
        .map(&:json)
  end

  def stored
    channel.reload.provider_config["verification_pin"]
  end

  it "stores the new PIN after a successful registration, and subscribes the webhook" do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    result = channel.setup_webhooks
    expect(result).to be_registered
    expect(register_pins.size).to eq(1)
    expect(register_pins.first).to match(/\A[1-9]\d{5}\z/)
    expect(stored).to eq(register_pins.first)
    expect(fake.node("1001")["pin"]).to eq(stored)
    expect(subscriptions).to eq([{ "subscribed_fields" => %w[messages smb_message_echoes] },
                                 { "webhook_configuration" => {
                                   "override_callback_uri" => "https://chat.example.com/webhooks/whatsapp/+15550100001",
                                   "verify_token" => "verify-token"
                                 } }])
    expect(channel.provider_config).to include("api_key" => token, "phone_number_id" => "1001",
                                               "source" => "embedded_signup")
  end

  context "with a stored PIN" do
    let(:stored_pin) { "123456" }

    it "registers with it and keeps it" do
      fake.add_phone_number("1001", :platform_not_applicable, business_account: "2001", pin: "123456")
      channel.setup_webhooks
      expect(register_pins).to eq(["123456"])
      expect(stored).to eq("123456")
    end

    it "leaves it untouched when the registration fails (PIN mismatch), and still subscribes" do
      fake.add_phone_number("1001", :platform_not_applicable, business_account: "2001", pin: "654321")
      result = channel.setup_webhooks
      expect(result.registration_error).to be_a(WaHealth::ApiError).and(have_attributes(code: 133_005))
      expect(stored).to eq("123456")
      expect(subscriptions.size).to eq(2)
    end
  end

  it "stores nothing when the registration fails (display name not ready)" do
    fake.add_phone_number("1001", :display_name_pending, business_account: "2001")
    result = channel.setup_webhooks
    expect(result.registration_error).to be_a(WaHealth::DisplayNamePendingError)
    expect(register_pins.size).to eq(1)
    expect(channel.reload.provider_config).not_to have_key("verification_pin")
    expect(subscriptions.size).to eq(2)
  end

  it "stores nothing and registers nothing when the number is provisioned" do
    fake.add_phone_number("1001", business_account: "2001")
    expect(channel.setup_webhooks).not_to be_registered
    expect(register_pins).to be_empty
    expect(channel.reload.provider_config).not_to have_key("verification_pin")
  end

  it "stores the accepted PIN even when the webhook then fails, and flags the channel for reauthorization" do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    fake.queue_error(code: 100, message: "(#100) Before override the current callback uri, your app must be subscribed",
                     endpoint: :subscribed_apps)
    expect { channel.setup_webhooks }.to raise_error(WaHealth::WebhookSetupError, /\AWebhook setup failed: /)
    expect(register_pins.size).to eq(1)
    expect(stored).to eq(register_pins.first)
    expect(channel.reload.reauthorization_required).to be(true)
  end

  it "keeps the token and the PIN out of the log and out of #inspect" do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    channel.setup_webhooks
    pin = stored
    expect(rails_log).to include("[wa_health] phone_number_id=1001 registered")
    expect(rails_log).not_to include(token)
    expect(rails_log).not_to include(pin)
    expect(channel.inspect).not_to include(token)
    expect(channel.inspect).not_to include(pin)
  end

  describe "deleting the inbox (Chatwoot's WebhookTeardownService)" do
    before { fake.add_phone_number("1001", business_account: "2001") }

    def teardown_calls
      fake.requests.map { |r| [r.http_method, r.path] }
    end

    it "clears the override, unsubscribes the app from a WABA no other channel uses, and deregisters" do
      channel.destroy!
      expect(teardown_calls).to eq([%w[POST /v24.0/1001], %w[DELETE /v24.0/2001/subscribed_apps],
                                    %w[POST /v24.0/1001/deregister]])
      expect(fake.requests.first.json).to eq("webhook_configuration" => { "override_callback_uri" => "" })
    end

    it "keeps the app subscribed while another channel uses the WABA, and goes on when Meta fails" do
      fake.add_phone_number("1002")
      create_whatsapp_inbox(account, api_key: token, phone_number_id: "1002", business_account_id: "2001")
      fake.queue_error(code: 190, status: 400, node: "1001")
      expect { channel.destroy! }.not_to raise_error
      expect(teardown_calls).to eq([%w[POST /v24.0/1001], %w[POST /v24.0/1001/deregister]])
      expect(Channel::Whatsapp.exists?(channel.id)).to be(false)
    end
  end
end
