# frozen_string_literal: true

require "rails_helper"
require "active_support/testing/time_helpers"

# The Chatwoot wiring of docs/chatwoot-guide.md as the spec app has it (spec/readme_spec.rb checks the guide
# shows these files as they are): the migration, the retry and sweep jobs, the initializer's resolver, sinks and log
# subscriber, and the health action's risk warning and reauthorization, against FakeGraph.
RSpec.describe "The Chatwoot guide's wiring" do
  include FakeGraphContext
  include ActiveSupport::Testing::TimeHelpers

  let(:account) { create_account }

  before do
    WaHealth.config.base_url = fake.url
    fake.add_business_account("2001")
  end

  after { travel_back }

  def channel_for(phone_number_id, **config)
    create_whatsapp_inbox(account, api_key: token, phone_number_id: phone_number_id, business_account_id: "2001",
                                   **config).channel
  end

  def register_calls(phone_number_id)
    fake.requests.select { |r| r.path == "/v24.0/#{phone_number_id}/register" }
  end

  it "adds health_snapshot and registration_ledger as JSON columns (the migration)" do
    columns = Channel::Whatsapp.columns_hash
    expect(columns.fetch("health_snapshot").sql_type).to eq("jsonb")
    expect(columns.fetch("registration_ledger").sql_type).to eq("jsonb")
    channel = channel_for("1001")
    channel.update!(health_snapshot: { "quality_rating" => "GREEN" }, registration_ledger: { "attempts" => [] })
    expect(channel.reload.health_snapshot).to eq("quality_rating" => "GREEN")
    expect(channel.registration_ledger).to eq("attempts" => [])
  end

  describe Channels::Whatsapp::RegistrationRetryJob do
    it "takes a number stuck on its display name from a failed registration to CONNECTED, once approved" do
      fake.add_phone_number("1005", :display_name_pending, business_account: "2001")
      channel = channel_for("1005")
      start = Time.current

      described_class.perform_now # 2388001: the display name is not approved yet
      ledger = channel.reload.registration_ledger
      expect(ledger["attempts"].size).to eq(1)
      expect(ledger["last_error"]).to include("code" => 100, "subcode" => 2_388_001)
      expect(channel.provider_config).not_to have_key("verification_pin")

      travel_to(start + 3600) { described_class.perform_now } # still in review: no new attempt
      expect(register_calls("1005").size).to eq(1)

      fake.approve_display_name("1005")
      travel_to(start + 7200) { described_class.perform_now }
      expect(register_calls("1005").size).to eq(2)
      channel.reload
      expect(channel.registration_ledger["attempts"].size).to eq(2)
      expect(channel.registration_ledger["last_error"]).to be_nil
      expect(channel.provider_config["verification_pin"]).to eq(register_calls("1005").last.json["pin"])
      expect(WaHealth.fetch(phone_number_id: "1005", access_token: token)[:status]).to eq("CONNECTED")

      travel_to(start + 10_800) { described_class.perform_now } # provisioned: never registered again
      expect(register_calls("1005").size).to eq(2)
    end

    it "skips numbers whose snapshot says provisioned, and logs a failed health read without raising" do
      fake.add_phone_number("1001")
      provisioned = channel_for("1001")
      provisioned.update!(health_snapshot: WaHealth::Report.new(WaHealth.fetch(phone_number_id: "1001",
                                                                               access_token: token)).as_json)
      fake.add_phone_number("1004", :not_verified, business_account: "2001")
      fake.queue_error(code: 190, subcode: 463, status: 401, node: "1004")
      channel_for("1004")
      reads_before = fake.requests.size

      described_class.perform_now

      expect(fake.requests.drop(reads_before).map(&:path)).to eq(["/v24.0/1004"])
      expect(register_calls("1004")).to eq([])
      expect(rails_log).to match(/registration retry: channel \d+: WaHealth::AuthorizationError/)
      expect(rails_log).not_to include(token)
    end
  end

  describe Channels::Whatsapp::HealthSweepJob do
    around do |example|
      require "sidekiq/testing"
      Sidekiq::Testing.inline! { example.run }
    ensure
      Sidekiq::Testing.disable! # the rest of the suite pushes to real Redis servers
    end

    it "reads every Cloud API channel through WaHealth::SweepJob and stores the snapshot or flags the channel" do
      fake.add_phone_number("1001", business_account: "2001")
      fake.add_phone_number("1003", business_account: "2001", quality_rating: "RED")
      fake.add_phone_number("1002", business_account: "2001")
      healthy = channel_for("1001")
      risky = channel_for("1003")
      expired = channel_for("1002")
      fake.queue_error(code: 190, subcode: 463, status: 401, node: "1002")
      other = create_whatsapp_inbox(account, provider: "default", api_key: "360dialog").channel

      described_class.perform_now

      expect(healthy.reload.health_snapshot).to include("quality_rating" => "GREEN", "business_account_id" => "2001")
      expect(risky.reload.health_snapshot).to include("quality_rating" => "RED", "risky" => true)
      expect(rails_log).to include("[wa_health] channel #{risky.id} is at risk")
      expect(expired.reload.health_snapshot).to be_nil
      expect(expired.reauthorization_required).to be(true)
      expect(other.reload.health_snapshot).to be_nil
      expect(rails_log).not_to include(token)
    end
  end

  it "keeps a PIN WaHealth::EventJob's registration reports (the registration sink), and only a PIN" do
    channel = channel_for("1001")
    WaHealth.registration_sink.call(channel.id, "246810")
    expect(channel.reload.provider_config["verification_pin"]).to eq("246810")
    WaHealth.registration_sink.call(channel.id, WaHealth::ApiError.new("WhatsApp API request failed", code: 133_005))
    expect(channel.reload.provider_config["verification_pin"]).to eq("246810")
    expect(rails_log).to include("registration of channel #{channel.id} failed")
  end

  it "resolves a channel's credentials (and its PIN for EventJob) in the worker, never for another provider" do
    channel = channel_for("1001", verification_pin: "135790")
    expect(WaHealth.credentials_resolver.call(channel.id))
      .to eq(phone_number_id: "1001", access_token: token, business_account_id: "2001", pin: "135790", pin_stale: nil)
    # After Meta's security webhook (step 7) the resolver says the PIN may be stale; a PIN Meta accepted clears it.
    channel.update!(provider_config: channel.provider_config.merge("verification_pin_stale" => "pin_changed"))
    expect(WaHealth.credentials_resolver.call(channel.id)).to include(pin_stale: "pin_changed")
    WaHealth.registration_sink.call(channel.id, "246810")
    expect(WaHealth.credentials_resolver.call(channel.id)).to include(pin: "246810", pin_stale: nil)
    other = create_whatsapp_inbox(account, provider: "default", api_key: "360dialog").channel
    expect(WaHealth.credentials_resolver.call(other.id)).to be_nil
  end

  it "logs one line per call to Meta (the initializer's subscriber), without the token" do
    fake.add_phone_number("1001")
    WaHealth.fetch(phone_number_id: "1001", access_token: token)
    expect(rails_log).to match(/\[wa_health\] fetch\.wa_health 1001 status=200 code= \d+\.\dms/)
    expect(rails_log).not_to include(token)
  end

  describe "the health action" do
    let(:admin) { create_user(account, role: "administrator") }

    def get_health(inbox)
      get "/api/v1/accounts/#{account.id}/inboxes/#{inbox.id}/health", {}, "HTTP_API_ACCESS_TOKEN" => admin.access_token
    end

    it "warns when the number turns risky, once" do
      fake.add_phone_number("1003", quality_rating: "YELLOW")
      inbox = create_whatsapp_inbox(account, api_key: token, phone_number_id: "1003")
      2.times { get_health(inbox) }
      expect(last_response.status).to eq(200)
      expect(rails_log.scan("[wa_health] inbox #{inbox.id} is at risk").size).to eq(1)
    end

    it "asks for reauthorization when Meta says the token expired" do
      fake.add_phone_number("1001")
      fake.queue_error(code: 190, subcode: 463, status: 401, node: "1001", endpoint: :get)
      inbox = create_whatsapp_inbox(account, api_key: token, phone_number_id: "1001")
      get_health(inbox)
      expect(last_response.status).to eq(422)
      expect(JSON.parse(last_response.body)["error"]["type"]).to eq("authorization")
      expect(inbox.channel.reload.reauthorization_required).to be(true)
    end
  end
end
