# frozen_string_literal: true

RSpec.describe "WaHealth.next_registration_at" do
  let(:now) { Time.utc(2026, 11, 25, 12, 0, 0) }
  let(:minute) { 60 }
  let(:hour) { 3600 }
  let(:window) { 72 * hour }
  let(:pending_health) do
    { code_verification_status: "VERIFIED", platform_type: "NOT_APPLICABLE", name_status: "PENDING_REVIEW" }
  end
  let(:approved_health) { pending_health.merge(name_status: "APPROVED") }

  def api_error(klass, code, subcode = nil)
    klass.new("WhatsApp API request failed", code: code, subcode: subcode, http_status: 400)
  end

  def next_at(attempts: [], **args)
    WaHealth.next_registration_at(attempts: attempts, now: now, **args)
  end

  it "allows a first attempt now" do
    expect(next_at).to eq(now)
  end

  it "backs off exponentially from 15 minutes after failed attempts" do
    expect(next_at(attempts: [now - 60])).to eq(now - 60 + (15 * minute))
    expect(next_at(attempts: [now - (20 * minute), now - (10 * minute)])).to eq(now + (20 * minute))
    three = [now - 300, now - 200, now - 100]
    expect(next_at(attempts: three)).to eq(now - 100 + (60 * minute))
  end

  it "returns a Time of the same class as now, never earlier than now" do
    expect(next_at(attempts: [now - (5 * hour)])).to eq(now)
    expect(next_at(attempts: [now - 60])).to be_a(Time)
  end

  it "returns nil for a provisioned number" do
    health = { code_verification_status: "VERIFIED", platform_type: "CLOUD_API", throughput: { level: "STANDARD" } }
    expect(next_at(health: health)).to be_nil
  end

  it "returns nil after a PIN mismatch, an account lock or an authorization error" do
    expect(next_at(attempts: [now - 60], last_error: api_error(WaHealth::ApiError, 133_005))).to be_nil
    expect(next_at(attempts: [now - 60], last_error: api_error(WaHealth::ApiError, 131_031))).to be_nil
    expect(next_at(attempts: [now - 60], last_error: api_error(WaHealth::AuthorizationError, 190, 463))).to be_nil
  end

  it "waits for the display name after 2388001: nil while pending, the back-off once approved" do
    error = api_error(WaHealth::DisplayNamePendingError, 100, 2_388_001)
    expect(next_at(attempts: [now - 60], last_error: error, health: pending_health)).to be_nil
    expect(next_at(attempts: [now - 60], last_error: error)).to be_nil
    expect(next_at(attempts: [now - 60], last_error: error, health: approved_health)).to eq(now - 60 + (15 * minute))
  end

  it "waits 72 hours from the last attempt after Meta's registration limit (133016)" do
    error = api_error(WaHealth::RateLimitError, 133_016)
    expect(next_at(attempts: [now - hour], last_error: error)).to eq(now - hour + window)
  end

  it "never allows a ninth attempt inside 72 hours" do
    attempts = Array.new(8) { |i| now - (60 * hour) + (i * 60) }
    at = next_at(attempts: attempts)
    expect(at).to eq(attempts.first + window + 1)
    expect(attempts.count { |t| t > at - window && t <= at }).to eq(7)
  end

  it "keeps any 72-hour window to at most 8 attempts over 30 simulated days of every kind of failure" do
    random = Random.new(RSpec.configuration.seed)
    errors = [
      nil, WaHealth::TimeoutError.new("timeout"), api_error(WaHealth::ApiError, 1),
      api_error(WaHealth::ApiError, 133_004), api_error(WaHealth::RateLimitError, 133_016),
      api_error(WaHealth::RateLimitError, 80_007), api_error(WaHealth::DisplayNamePendingError, 100, 2_388_001),
      api_error(WaHealth::ApiError, 133_005), api_error(WaHealth::AuthorizationError, 190)
    ]
    20.times do
      clock = now
      attempts = []
      while clock < now + (30 * 24 * hour)
        health = random.rand < 0.5 ? approved_health : pending_health
        at = WaHealth.next_registration_at(attempts: attempts, now: clock, last_error: errors.sample(random: random),
                                           health: health)
        if at
          expect(at).to be >= clock
          clock = at + random.rand(3600)
          attempts << clock
        else
          clock += random.rand(1..6) * hour
        end
      end
      busiest = attempts.map { |t| attempts.count { |a| a > t - window && a <= t } }.max.to_i
      expect(busiest).to be <= 8
      expect(attempts.size).to be > 8
    end
  end

  it "accepts String- or Symbol-keyed health and raises ArgumentError for bad input" do
    expect(next_at(health: { "code_verification_status" => "NOT_VERIFIED" })).to eq(now)
    expect { next_at(attempts: [:yesterday]) }.to raise_error(ArgumentError, /attempts/)
    expect { next_at(attempts: ["not a time"]) }.to raise_error(ArgumentError, /attempts.*ISO-8601/)
    expect { WaHealth.next_registration_at(attempts: [], now: 5) }.to raise_error(ArgumentError, /now/)
    expect { next_at(health: "x") }.to raise_error(ArgumentError, /health/)
    expect { next_at(last_error: "boom") }.to raise_error(ArgumentError, /last_error/)
  end
end
