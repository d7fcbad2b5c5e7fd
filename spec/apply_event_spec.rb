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

  describe "partner events (entry: the partner's portfolio; the customer's WABA in waba_info)" do
    {
      "account_update_partner_removed.json" => "980198427658004",
      "account_update_partner_removed_disconnection_info.json" => "980198427658004",
      "account_update_partner_app_uninstalled.json" => "184943124712545",
      "account_update_partner_removed_user_disconnected_no_time.json" => "1996192277686385"
    }.each do |name, customer_waba|
      it "#{name}: reauthorizes the channel of WABA #{customer_waba}, and no other" do
        partner_portfolio = event(name)[:entry_id]
        expect(partner_portfolio).not_to eq(customer_waba)
        snapshot = stuck.merge(business_id: customer_waba, business_account_id: customer_waba)
        _, actions = WaHealth.apply_event(snapshot, event(name))
        expect(types(actions)).to eq([%i[reauthorize partner_removed]])
        [partner_portfolio, "102290129340398"].each do |other|
          expect(WaHealth.apply_event(stuck.merge(business_id: other),
                                      event(name))).to eq([stuck.merge(business_id: other), []])
        end
      end
    end
  end

  describe "a display name approved for a number already registered (a name change)" do
    let(:registered) do
      stuck.merge(name_status: "APPROVED", new_name_status: "PENDING_REVIEW", verified_name: "Old Shrub",
                  platform_type: "CLOUD_API", throughput: { "level" => "STANDARD" }, status: "CONNECTED")
    end

    it "asks to register it again (reason :name_change), with Meta's facts, and takes the new name" do
      snapshot, actions = WaHealth.apply_event(registered, approved)
      expect(actions.map do |action|
               action.slice(:type, :reason)
             end).to eq([{ type: :register_now, reason: :name_change }])
      expect(actions.first[:meta]).to include(requested_verified_name: "Lucky Shrub", decision: "APPROVED",
                                              display_phone_number: "15550783881")
      expect(actions.first[:message]).to include("Lucky Shrub", "register it again")
      expect(actions.first[:event_id]).to eq(approved[:event_id])
      expect(snapshot).to include(verified_name: "Lucky Shrub", new_name_status: "APPROVED", name_status: "APPROVED")
    end

    it "keeps a first approval of a stuck number :display_name_approved" do
      _, actions = WaHealth.apply_event(stuck, approved)
      expect(actions.map { |action| action[:reason] }).to eq([:display_name_approved])
    end
  end

  describe "account_alerts and security" do
    def enveloped(name)
      change = JSON.parse(File.read(File.expand_path("fixtures/meta/webhooks/#{name}", __dir__)))["body"]
      body = { "entry" => [{ "id" => "102290129340398", "time" => 1_745_612_159, "changes" => [change] }] }
      WaHealth::Webhook.parse(JSON.generate(body)).first
    end

    it "notifies a risk for a WARNING alert (Meta's nested shape) and news for an INFORMATIONAL one (flat)" do
      _, actions = WaHealth.apply_event(stuck, event("account_alerts_increased_capabilities_deferred.json"))
      expect(types(actions)).to eq([%i[notify_risk account_alert]])
      expect(actions.first[:message]).to include("INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", "WARNING")
      expect(actions.first[:meta]).to include(entity_type: "BUSINESS",
                                              alert_info: include(alert_status: "ACTIVE", alert_severity: "WARNING"))
      _, actions = WaHealth.apply_event(stuck, enveloped("account_alerts_flat_dashboard_sample.json"))
      expect(types(actions)).to eq([%i[notify account_alert]])
    end

    it "marks the stored PIN stale on PIN_CHANGED, PIN_RESET_REQUEST and PIN_REQUEST_SUCCESS" do
      reset = event("security_pin_reset_request.json")
      {
        enveloped("security_pin_changed_dashboard_sample.json").merge(display_phone_number: "15550783881") =>
          :pin_changed,
        reset => :pin_reset_requested,
        reset.merge(event: "PIN_REQUEST_SUCCESS") => :pin_reset
      }.each do |security, reason|
        snapshot, actions = WaHealth.apply_event(stuck, security)
        expect(types(actions)).to eq([[:mark_pin_stale, reason]])
        expect(snapshot.except(:last_event_at, :applied_events)).to eq(stuck)
      end
      # Another number's PIN is not this one's.
      expect(WaHealth.apply_event(stuck.merge(display_phone_number: "+1 555-000-0000"), reset).last).to eq([])
    end
  end

  describe "an event older than the health read" do
    let(:read_at) { approved[:time] + 3600 }
    let(:rejected) { approved.merge(decision: "REJECTED", rejection_reason: "NAME_FORMAT_UNACCEPTABLE") }

    it "changes nothing and asks nothing: the read already shows it" do
      approved_now = stuck.merge(name_status: "APPROVED", status: "CONNECTED", platform_type: "CLOUD_API",
                                 throughput: { "level" => "STANDARD" })
      expect(WaHealth.apply_event(approved_now, rejected, read_at: read_at)).to eq([approved_now, []])
      expect(WaHealth.apply_event(approved_now, rejected, read_at: Time.at(read_at))).to eq([approved_now, []])
      flagged = event("phone_number_quality_update_flagged_tier_10k.json")
      stored = stuck.merge(read_at: flagged[:time] + 3600).except(:display_phone_number)
      expect(WaHealth.apply_event(stored, flagged)).to eq([stored, []])
      # Just after the read's time minus five minutes (clocks differ; a read may lag): applied as usual.
      _, actions = WaHealth.apply_event(stored.merge(read_at: flagged[:time] + 60), flagged)
      expect(types(actions)).to eq([%i[notify_risk flagged]])
      expect { WaHealth.apply_event(stuck, approved, read_at: "yesterday") }.to raise_error(ArgumentError, /read_at/)
    end

    it "still asks to register again after a registered number's name change (no read shows that done)" do
      registered = stuck.merge(name_status: "APPROVED", platform_type: "CLOUD_API",
                               throughput: { "level" => "STANDARD" }, status: "CONNECTED")
      _, actions = WaHealth.apply_event(registered, approved, read_at: read_at)
      expect(types(actions)).to eq([%i[register_now name_change]])
    end
  end

  it "writes every action's message on one line, whatever Meta's text holds (no forged log line)" do
    forged = "Shrub\n[wa_health] channel 1: Meta approved everything\r\e[2K"
    events = [approved.merge(requested_verified_name: forged),
              approved.merge(decision: "REJECTED", rejection_reason: forged),
              event("account_update_verified_account.json").merge(event: forged)]
    events.each do |forging|
      snapshot, actions = WaHealth.apply_event(stuck.except(:display_phone_number, :business_id), forging)
      expect(actions).not_to be_empty
      actions.each { |action| expect(action[:message]).not_to match(/[[:cntrl:]]/) }
      expect(snapshot[:verified_name].to_s).not_to match(/[[:cntrl:]]/)
    end
    snapshot, = WaHealth.apply_event(stuck, events.first)
    expect(snapshot[:verified_name]).to eq("Shrub [wa_health] channel 1: Meta approved everything [2K")
  end

  it "keeps the event memory of a stored snapshot over a fresh health read (carry_event_memory)" do
    once, = WaHealth.apply_event(stuck, approved)
    fresh = WaHealth::Report.new(stuck).as_json
    carried = WaHealth.carry_event_memory(fresh, JSON.parse(JSON.generate(once)))
    expect(carried).to include("last_event_at" => approved[:time], "applied_events" => be_a(Hash))
    older = approved.merge(time: approved[:time] - 60, decision: "REJECTED")
    expect(WaHealth.apply_event(carried, older)).to eq([carried, []])
    expect(WaHealth.carry_event_memory(fresh, nil)).to equal(fresh)
    expect(WaHealth.carry_event_memory(stuck, once)).to include(last_event_at: approved[:time])
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
