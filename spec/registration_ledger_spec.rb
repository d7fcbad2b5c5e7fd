# frozen_string_literal: true

require "json"

# What an app stores between runs (a JSON column) feeds the retry schedule as it is.
RSpec.describe WaHealth::RegistrationLedger do
  include FakeGraphContext

  let(:now) { Time.utc(2026, 12, 1, 12) }
  let(:pending) { { "code_verification_status" => "VERIFIED", "platform_type" => "NOT_APPLICABLE" } }

  it "round-trips through JSON and gives the same answer as the Times and the exception" do
    error = WaHealth::ApiError.new("x", code: 133_016)
    ledger = described_class.new.record_attempt(at: now - 3600, error: error)
    stored = JSON.generate(ledger.to_h)
    expect(JSON.parse(stored)).to eq(ledger.to_h)
    expect(described_class.load(stored)).to eq(ledger)
    expect(described_class.load(stored).next_registration_at(health: pending, now: now))
      .to eq(WaHealth.next_registration_at(attempts: [now - 3600], last_error: error, health: pending, now: now))
    expect(described_class.load(stored).next_registration_at(health: pending, now: now)).to eq(now - 3600 + (72 * 3600))
  end

  it "lets next_registration_at take stored forms: ISO-8601 Strings, Unix seconds, an error's code or facts" do
    iso = (now - 60).iso8601
    expect(WaHealth.next_registration_at(attempts: [iso], health: pending, now: now))
      .to eq(WaHealth.next_registration_at(attempts: [now - 60], health: pending, now: now))
    expect(WaHealth.next_registration_at(attempts: [(now - 60).to_i], health: pending, now: now))
      .to eq(WaHealth.next_registration_at(attempts: [now - 60], health: pending, now: now))
    # 133006 (verify the number first) stops the schedule, however it was stored.
    [133_006, { code: 133_006 }, { "code" => 133_006, "subcode" => nil }].each do |stored|
      expect(WaHealth.next_registration_at(attempts: [iso], last_error: stored, health: pending, now: now)).to be_nil
    end
    in_use = { "code" => 100, "subcode" => 2_388_001,
               "user_message" => "This number is registered to an existing WhatsApp account." }
    expect(WaHealth.next_registration_at(attempts: [iso], last_error: in_use, health: pending, now: now)).to be_nil
    expect { WaHealth.next_registration_at(attempts: [], last_error: { code: "x" }) }
      .to raise_error(ArgumentError, /last_error/)
  end

  it "records every attempt, keeps only the last 72 hours, and refuses what it cannot store" do
    ledger = described_class.new
    11.times { |i| ledger.record_attempt(at: now - ((80 - i) * 3600)) }
    ledger.record_attempt(at: now)
    expect(ledger.attempts).to eq([now - (71 * 3600), now - (70 * 3600), now])
    expect(ledger.last_error).to be_nil
    expect { described_class.load("{") }.to raise_error(ArgumentError, /JSON/)
    expect { described_class.load([]) }.to raise_error(ArgumentError, /Hash/)
    expect { ledger.record_attempt(at: "now") }.to raise_error(ArgumentError, /at/)
  end

  # The periodic job an app runs (docs/reference.md, "Retrying a stuck number"), end to end on FakeGraph.
  it "drives a stuck number from a failed registration to CONNECTED once the name is approved" do
    fake.add_business_account("2001")
    fake.add_phone_number("1005", :display_name_pending, business_account: "2001")
    stored = nil
    run = lambda do |at|
      ledger = described_class.load(stored)
      health = WaHealth.fetch(phone_number_id: "1005", access_token: token, base_url: fake.url)
      due = ledger.next_registration_at(health: health, now: at)
      next :not_due unless due && due <= at

      begin
        WaHealth.register(phone_number_id: "1005", access_token: token, pin: "123456", base_url: fake.url)
        ledger.record_attempt(at: at)
        :registered
      rescue WaHealth::Error => e
        ledger.record_attempt(at: at, error: e)
        :failed
      ensure
        stored = JSON.generate(ledger.to_h)
      end
    end
    expect(run.call(now)).to eq(:failed) # 2388001: the display name is not approved yet
    expect(run.call(now + 3600)).to eq(:not_due) # still in review: no retry
    fake.add_phone_number("1005", :display_name_pending, business_account: "2001", name_status: "APPROVED",
                                                         display_name_ready: true)
    expect(run.call(now + 7200)).to eq(:registered)
    expect(WaHealth.fetch(phone_number_id: "1005", access_token: token, base_url: fake.url)[:status])
      .to eq("CONNECTED")
    expect(JSON.parse(stored)["attempts"].size).to eq(2)
  end
end
