# frozen_string_literal: true

require "json"

# WaHealth.apply_event on events parsed from spec/fixtures/meta/webhooks.
RSpec.describe "WaHealth.apply_event" do
  def event(name, **overrides)
    path = File.expand_path("fixtures/meta/webhooks/#{name}", __dir__)
    parsed = WaHealth::Webhook.parse(JSON.generate(JSON.parse(File.read(path))["body"])).first
    parsed.merge(overrides)
  end

  # A number stuck on a pending display name, as WaHealth.fetch returns it (Symbol keys).
  let(:stuck) do
    { display_phone_number: "+1 555-078-3881", name_status: "PENDING_REVIEW", code_verification_status: "VERIFIED",
      platform_type: "NOT_APPLICABLE", throughput: { "level" => "NOT_APPLICABLE" }, status: "PENDING",
      business_id: "102290129340398", quality_rating: "GREEN", messaging_limit_tier: "TIER_1K" }
  end
  let(:approved) { event("phone_number_name_update_approved.json") }

  def types(actions)
    actions.map { |action| [action[:type], action[:reason]] }
  end

  it "registers a number whose display name Meta approved while its registration was incomplete" do
    snapshot, actions = WaHealth.apply_event(stuck, approved)
    expect(types(actions)).to eq([%i[register_now display_name_approved]])
    expect(actions.first).to be_frozen
    expect(actions.first[:message]).to include("Lucky Shrub")
    expect(snapshot).to include(name_status: "APPROVED", verified_name: "Lucky Shrub", last_event_at: 1_739_321_024)
    expect(WaHealth::Report.new(snapshot).badges.find { |b| b[:key] == :name_status }[:tone]).to eq(:success)
    pending = WaHealth::DisplayNamePendingError.new("pending", code: 100, subcode: 2_388_001)
    now = Time.at(1_739_400_000)
    expect(WaHealth.next_registration_at(attempts: [], now: now, last_error: pending, health: stuck)).to be_nil
    expect(WaHealth.next_registration_at(attempts: [], now: now, last_error: pending, health: snapshot)).to eq(now)
  end

  it "keeps a String-keyed snapshot (a stored Report#as_json) String-keyed" do
    stored = WaHealth::Report.new(stuck).as_json
    snapshot, actions = WaHealth.apply_event(stored, approved)
    expect(snapshot.keys).to all(be_a(String))
    expect(snapshot).to include("name_status" => "APPROVED", "last_event_at" => 1_739_321_024)
    expect(types(actions)).to eq([%i[register_now display_name_approved]])
  end

  it "takes nil (nothing known) and returns what the event says" do
    snapshot, actions = WaHealth.apply_event(nil, approved)
    expect(snapshot).to include(name_status: "APPROVED", last_event_at: 1_739_321_024)
    expect(types(actions)).to eq([%i[register_now display_name_approved]])
  end

  it "declines a rejected name and notifies with Meta's reason" do
    rejected = approved.merge(decision: "REJECTED", rejection_reason: "NAME_FORMAT_UNACCEPTABLE")
    snapshot, actions = WaHealth.apply_event(stuck, rejected)
    expect(snapshot[:name_status]).to eq("DECLINED")
    expect(WaHealth::Report.new(snapshot).badges.find { |b| b[:key] == :name_status }[:tone]).to eq(:danger)
    expect(types(actions)).to eq([%i[notify_risk display_name_rejected]])
    expect(actions.first[:meta]).to include(rejection_reason: "NAME_FORMAT_UNACCEPTABLE")
  end

  {
    "phone_number_quality_update_flagged_tier_10k.json" => [[%i[notify_risk flagged]], "FLAGGED"],
    "account_update_account_restriction.json" => [[%i[notify_risk restricted]], "RESTRICTED"],
    "account_update_account_violation_adult.json" => [[%i[notify_risk violation]], "PENDING"],
    "account_update_disabled_update_schedule_for_disable.json" => [[%i[notify_risk ban_scheduled]], "PENDING"],
    "account_update_partner_removed.json" => [[%i[reauthorize partner_removed]], "PENDING"],
    "account_update_partner_removed_disconnection_info.json" => [[%i[reauthorize partner_removed]], "PENDING"],
    "phone_number_quality_update_throughput_upgrade.json" => [[%i[refresh quality_update]], "PENDING"],
    "account_update_verified_account.json" => [[%i[refresh account_update]], "PENDING"],
    "account_review_update_approved.json" => [[%i[refresh account_review]], "PENDING"],
    "account_update_volume_pricing_tier.json" => [[], "PENDING"]
  }.each do |name, (action_types, status)|
    it "#{name}: #{action_types.map(&:first).join(', ').then { |t| t.empty? ? 'no action' : t }}, status #{status}" do
      unnamed = stuck.except(:display_phone_number, :business_id)
      snapshot, actions = WaHealth.apply_event(unnamed, event(name))
      expect(types(actions)).to eq(action_types)
      expect(snapshot[:status]).to eq(status)
    end
  end

  it "bans on DISABLED_UPDATE with ban_info DISABLE and gives Meta's ban facts" do
    ban = event("account_update_disabled_update_reinstate.json")
    ban = ban.merge(ban_info: { waba_ban_state: "DISABLE", waba_ban_date: "April 17, 2025" })
    snapshot, actions = WaHealth.apply_event(stuck.except(:business_id), ban)
    expect(snapshot[:status]).to eq("BANNED")
    expect(WaHealth::Report.new(snapshot)).to be_risky
    ban_info = { waba_ban_state: "DISABLE", waba_ban_date: "April 17, 2025" }
    expect(actions.first).to include(type: :notify_risk, reason: :banned, meta: include(ban_info: ban_info))
  end

  it "notifies when a limit goes down (business_capability_update_limits.json: 2000 below TIER_10K)" do
    limits = event("business_capability_update_limits.json")
    _, actions = WaHealth.apply_event({ messaging_limit_tier: "TIER_10K" }, limits)
    expect(types(actions)).to eq([%i[notify_risk limit_down], %i[refresh capability_update]])
    _, actions = WaHealth.apply_event({ messaging_limit_tier: "TIER_1K" }, limits)
    expect(types(actions)).to eq([%i[refresh capability_update]])
  end

  describe "order and repeats" do
    it "changes nothing and asks nothing for the same event twice" do
      once, = WaHealth.apply_event(stuck, approved)
      twice, actions = WaHealth.apply_event(once, approved)
      expect(twice).to equal(once)
      expect(actions).to be_empty
    end

    it "changes nothing for an event older than the last one of its field" do
      once, = WaHealth.apply_event(stuck, approved)
      older = approved.merge(time: approved[:time] - 1, decision: "REJECTED")
      after, actions = WaHealth.apply_event(once, older)
      expect(after).to equal(once)
      expect(after[:name_status]).to eq("APPROVED")
      expect(actions).to be_empty
    end

    it "applies a late event of another field (a name approval is not lost behind a quality update)" do
      quality = event("phone_number_quality_update_flagged_tier_10k.json",
                      time: approved[:time] + 60, waba_id: "102290129340398", display_phone_number: "15550783881")
      flagged, = WaHealth.apply_event(stuck, quality)
      snapshot, actions = WaHealth.apply_event(flagged, approved)
      expect(types(actions)).to eq([%i[register_now display_name_approved]])
      expect(snapshot[:last_event_at]).to eq(approved[:time] + 60)
    end

    it "survives a round trip through JSON (a snapshot stored in a json column)" do
      once, = WaHealth.apply_event(stuck, approved)
      stored = JSON.parse(JSON.generate(once))
      after, actions = WaHealth.apply_event(stored, JSON.parse(JSON.generate(approved)))
      expect(after).to equal(stored)
      expect(actions).to be_empty
    end
  end

  it "skips events of another number or WABA and other fields" do
    other = approved.merge(display_phone_number: "15550000000")
    expect(WaHealth.apply_event(stuck, other)).to eq([stuck, []])
    expect(WaHealth.apply_event(stuck, approved.merge(waba_id: "999"))).to eq([stuck, []])
    messages = approved.merge(field: "messages", kind: :name_update)
    expect(WaHealth.apply_event(stuck, messages)).to eq([stuck, []])
  end

  it "refuses what is not a snapshot or an event with ArgumentError" do
    expect { WaHealth.apply_event([], approved) }.to raise_error(ArgumentError, /snapshot/)
    expect { WaHealth.apply_event(stuck, "event") }.to raise_error(ArgumentError, /event/)
    expect { WaHealth.apply_event(stuck, approved.merge(time: "yesterday")) }.to raise_error(ArgumentError, /event/)
  end
end
