# frozen_string_literal: true

require "json"
require "stringio"
require "wa_health/sidekiq"
require "sidekiq/testing"
# Requiring sidekiq/testing turns fake mode on for the whole process; the real Sidekiq specs need it off.
Sidekiq::Testing.disable!

# WaHealth::EventJob performed inline (Sidekiq::Testing) against FakeGraph: from Meta's name approval
# (spec/fixtures/meta/webhooks/phone_number_name_update_approved.json) to a registered number.
RSpec.describe WaHealth::EventJob do
  include FakeGraphContext

  let(:delivered) { [] }
  let(:registrations) { [] }
  let(:credentials) { { 1 => { phone_number_id: "1001", access_token: token, "verification_pin" => "123456" } } }
  let(:log) { StringIO.new }
  let(:approval) do
    path = File.expand_path("../fixtures/meta/webhooks/phone_number_name_update_approved.json", __dir__)
    WaHealth::Webhook.parse(JSON.generate(JSON.parse(File.read(path))["body"])).first
  end

  before do
    WaHealth.config.base_url = fake.url
    # The number of the corpus event, stuck on a display name Meta has not approved yet.
    fake.add_phone_number("1001", :display_name_pending, display_phone_number: "+1 555-078-3881")
    WaHealth.credentials_resolver = ->(id) { credentials[id] }
    WaHealth.health_sink = ->(id, result) { delivered << [id, result] }
    WaHealth.registration_sink = ->(id, pin_or_error) { registrations << [id, pin_or_error] }
    @sidekiq_logger = Sidekiq.logger
    # Sidekiq 7 has no Sidekiq.logger=; the configuration's logger= is in 6 and 7.
    Sidekiq.configure_client { |config| config.logger = Logger.new(log) }
  end

  after { Sidekiq.configure_client { |config| config.logger = @sidekiq_logger } }

  def meta_approves_the_name
    fake.add_phone_number("1001", :display_name_pending, display_phone_number: "+1 555-078-3881",
                                                         name_status: "APPROVED", display_name_ready: true)
  end

  def register_requests
    fake.requests.select { |request| request.path.end_with?("/register") }
  end

  it "registers a stuck number after Meta's approval event, and the sink then reads CONNECTED" do
    snapshot = WaHealth.fetch(phone_number_id: "1001", access_token: token)
    expect(WaHealth.should_register?(snapshot)).to be(true)
    meta_approves_the_name
    _, actions = WaHealth.apply_event(snapshot, approval)
    expect(actions.map { |action| action[:type] }).to eq([:register_now])

    Sidekiq::Testing.inline! { described_class.enqueue(1, actions) }

    expect(register_requests.map(&:json)).to eq([{ "messaging_product" => "whatsapp", "pin" => "123456" }])
    expect(fake.phone_number("1001")["status"]).to eq("CONNECTED")
    expect(delivered.map { |id, health| [id, health[:status], health[:platform_type]] })
      .to eq([[1, "CONNECTED", "CLOUD_API"]])
    expect(registrations).to eq([[1, "123456"]])
  end

  it "enqueues the channel id, the action names and the event's id only" do
    _, actions = WaHealth.apply_event(nil, approval)
    Sidekiq::Testing.fake! do
      described_class.clear
      expect(described_class.enqueue(1, actions)).to be_a(String)
      expect(described_class.jobs.map { |job| job["args"] }).to eq([[1, ["register_now"], approval[:event_id]]])
      expect(JSON.generate(described_class.jobs)).not_to include(token)
      expect(described_class.enqueue(1, [{ type: :notify_risk }, { type: :reauthorize }])).to be_nil
      expect(described_class.jobs.size).to eq(1)
    end
    expect { described_class.enqueue("1; token=x", actions) }.to raise_error(ArgumentError)
  end

  it "gives a failed registration to the registration_sink and the unchanged health to the health_sink" do
    described_class.new.perform(1, ["register_now"])
    expect(registrations.map { |id, error| [id, error.class] }).to eq([[1, WaHealth::DisplayNamePendingError]])
    expect(delivered.map { |id, health| [id, health[:status]] }).to eq([[1, "PENDING"]])
    expect(log.string).to include("registration failed (WaHealth::DisplayNamePendingError")
    expect(log.string).not_to include("123456")
  end

  it "registers with a new PIN given to the registration_sink when none is stored" do
    meta_approves_the_name
    credentials[1].delete("verification_pin")
    described_class.new.perform(1, ["register_now"])
    pin = register_requests.first.json["pin"]
    expect(pin).to match(/\A[1-9]\d{5}\z/)
    expect(registrations).to eq([[1, pin]])
    expect(log.string).not_to include(pin)
  end

  it "does not register without a stored PIN when no registration_sink could keep a new one" do
    meta_approves_the_name
    credentials[1].delete("verification_pin")
    WaHealth.registration_sink = nil
    described_class.new.perform(1, ["register_now"])
    expect(register_requests).to be_empty
    expect(delivered.map { |id, health| [id, health[:status]] }).to eq([[1, "PENDING"]])
    expect(log.string).to include("needs registration, but has no stored PIN")
  end

  it "gives the sink an ArgumentError, without a request, for incomplete credentials, as SweepJob does" do
    credentials[1] = { phone_number_id: "1001", access_token: " ", pin: "123456" }
    credentials[2] = { "phone_number_id" => "WABA-1", "access_token" => token }
    credentials[3] = "not a Hash"
    [1, 2, 3].each { |id| described_class.new.perform(id, ["register_now"]) }
    expect(delivered.map { |id, error| [id, error.class, error.message] })
      .to eq([[1, ArgumentError, "access_token is missing"],
              [2, ArgumentError, "phone_number_id must be a Graph id made of digits"],
              [3, ArgumentError, "credentials must be a Hash"]])
    expect(fake.requests).to be_empty
    expect(registrations).to be_empty
  end

  it "skips a channel the resolver has no credentials for" do
    described_class.new.perform(9, ["refresh"])
    expect([delivered, fake.requests]).to eq([[], []])
    expect(log.string).to include("wa_health event: channel 9 skipped (no credentials)")
  end

  it "only reads and sinks the health on refresh, and never registers a provisioned number" do
    described_class.new.perform(1, ["refresh"])
    fake.add_phone_number("1001", display_phone_number: "+1 555-078-3881")
    described_class.new.perform(1, ["register_now"])
    expect(register_requests).to be_empty
    expect(delivered.map { |id, health| [id, health[:status]] }).to eq([[1, "PENDING"], [1, "CONNECTED"]])
  end

  it "gives the sink a read error, and refuses unknown actions and missing settings" do
    fake.queue_error(code: 190, subcode: 463, status: 401, node: "1001")
    described_class.new.perform(1, ["refresh"])
    expect(delivered.map { |id, error| [id, error.class] }).to eq([[1, WaHealth::AuthorizationError]])
    expect { described_class.new.perform(1, ["deregister"]) }.to raise_error(ArgumentError, /unknown action/)
    WaHealth.health_sink = nil
    expect { described_class.new.perform(1, ["refresh"]) }.to raise_error(WaHealth::Error, /health_sink/)
  end

  describe "once per event and channel (the event ledger)" do
    let(:event_id) { approval[:event_id] }

    it "performs an event's job once, however many times it is enqueued or run" do
      meta_approves_the_name
      2.times { described_class.new.perform(1, ["register_now"], event_id) }
      expect(register_requests.size).to eq(1)
      expect(delivered.size).to eq(1)
      expect(log.string).to include("channel 1 event #{event_id} already performed")
      # Another channel of the same WABA acts on the same event for itself.
      credentials[2] = credentials[1]
      described_class.new.perform(2, ["refresh"], event_id)
      expect(delivered.map(&:first)).to eq([1, 2])
    end

    it "gives the event back when the job raises (a sink, Sidekiq's shutdown), so its retry performs it" do
      WaHealth.health_sink = ->(_id, _result) { raise "database is down" }
      expect { described_class.new.perform(1, ["refresh"], event_id) }.to raise_error("database is down")
      WaHealth.health_sink = ->(id, result) { delivered << [id, result] }
      described_class.new.perform(1, ["refresh"], event_id)
      expect(delivered.map(&:first)).to eq([1])
    end

    it "runs again a little later while a copy of it holds the event" do
      claim = WaHealth::EventLedger.current.claim("job:1", event_id, lease: 60)
      Sidekiq::Testing.fake! do
        described_class.clear
        described_class.new.perform(1, ["refresh"], event_id)
        expect(fake.requests).to be_empty
        job = described_class.jobs.last
        expect(job["args"]).to eq([1, ["refresh"], event_id])
        expect(job["at"] - Time.now.to_f).to be_within(5).of(described_class::BUSY_DELAY)
      end
      WaHealth::EventLedger.current.release(claim)
    end

    it "is done when Meta does not answer: the sink gets the timeout, and the event is not performed again" do
      WaHealth.config.timeout = 0.5
      fake.latency = 2
      described_class.new.perform(1, ["refresh"], event_id)
      expect(delivered.map { |id, result| [id, result.class] }).to eq([[1, WaHealth::TimeoutError]])
      fake.latency = 0
      described_class.new.perform(1, ["refresh"], event_id)
      expect(delivered.size).to eq(1)
    end

    it "refuses an event id that is not one" do
      expect { described_class.new.perform(1, ["refresh"], "x; token=EAAG") }.to raise_error(ArgumentError, /event_id/)
    end
  end

  it "does not register a number whose PIN was changed in WhatsApp Manager (mark_pin_stale :pin_changed)" do
    meta_approves_the_name
    credentials[1] = credentials[1].merge(pin_stale: "pin_changed")
    described_class.new.perform(1, ["register_now"])
    expect(register_requests).to be_empty
    expect(registrations).to be_empty
    expect(log.string).to include("its two-step verification PIN was changed in WhatsApp Manager")
    credentials[1] = credentials[1].merge(pin_stale: "pin_reset_requested")
    described_class.new.perform(1, ["register_now"])
    expect(register_requests.size).to eq(1)
  end
end
