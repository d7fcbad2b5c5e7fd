# frozen_string_literal: true

require "json"

RSpec.describe WaHealth::Report do
  # The shape WaHealth.fetch returns: Symbol keys, throughput with String keys.
  let(:health) do
    {
      display_phone_number: "+1 555-010-0001", verified_name: "Acme Support", name_status: "APPROVED",
      quality_rating: "GREEN", messaging_limit_tier: "TIER_2K", account_mode: "LIVE",
      code_verification_status: "VERIFIED", throughput: { "level" => "STANDARD" },
      last_onboarded_time: "2024-01-01T00:00:00+0000", platform_type: "CLOUD_API", business_id: "2001",
      id: "1001", status: "CONNECTED", new_name_status: nil, throughput_level: "STANDARD", is_on_biz_app: false,
      webhook_configuration: { "application" => "https://chat.example.com/webhooks/whatsapp" },
      can_send_message: "AVAILABLE",
      health_status: { "can_send_message" => "AVAILABLE",
                       "entities" => [{ "entity_type" => "PHONE_NUMBER", "id" => "1001",
                                        "can_send_message" => "AVAILABLE" }] },
      business_account_id: "2001", business_account_name: "Acme WABA", business_portfolio_id: "9001",
      business_portfolio_name: "Acme Inc"
    }
  end

  def report(previous: nil, **changes)
    described_class.new(health.merge(changes), previous: previous)
  end

  def tone_of(key, value)
    card = report(key => value).badges.find { |badge| badge[:key] == key }
    card[:tone]
  end

  describe "#badges" do
    it "gives Chatwoot's six cards in its order, with labels and the health's values" do
      expect(report.badges).to eq(
        [
          { key: :display_phone_number, label: "Display phone number", value: "+1 555-010-0001", tone: :neutral },
          { key: :verified_name, label: "Verified name", value: "Acme Support", tone: :neutral },
          { key: :name_status, label: "Display name status", value: "APPROVED", tone: :success },
          { key: :quality_rating, label: "Quality rating", value: "GREEN", tone: :success },
          { key: :messaging_limit_tier, label: "Messaging limit tier", value: "TIER_2K", tone: :neutral },
          { key: :account_mode, label: "Account mode", value: "LIVE", tone: :success }
        ]
      )
    end

    it "maps quality GREEN to success, YELLOW to warning, RED to danger and anything else to neutral" do
      expect(tone_of(:quality_rating, "GREEN")).to eq(:success)
      expect(tone_of(:quality_rating, "YELLOW")).to eq(:warning)
      expect(tone_of(:quality_rating, "RED")).to eq(:danger)
      %w[UNKNOWN NA].push(nil).each { |value| expect(tone_of(:quality_rating, value)).to eq(:neutral) }
    end

    it "maps name status APPROVED and AVAILABLE_WITHOUT_REVIEW to success, PENDING_REVIEW to warning, " \
       "REJECTED and DECLINED to danger, anything else to neutral" do
      expect(tone_of(:name_status, "APPROVED")).to eq(:success)
      expect(tone_of(:name_status, "AVAILABLE_WITHOUT_REVIEW")).to eq(:success)
      expect(tone_of(:name_status, "PENDING_REVIEW")).to eq(:warning)
      expect(tone_of(:name_status, "REJECTED")).to eq(:danger)
      expect(tone_of(:name_status, "DECLINED")).to eq(:danger)
      %w[EXPIRED NONE].push(nil).each { |value| expect(tone_of(:name_status, value)).to eq(:neutral) }
    end

    it "maps account mode LIVE to success and SANDBOX (and anything else) to neutral" do
      expect(tone_of(:account_mode, "LIVE")).to eq(:success)
      expect(tone_of(:account_mode, "SANDBOX")).to eq(:neutral)
      expect(tone_of(:account_mode, nil)).to eq(:neutral)
    end

    it "keeps the phone number, verified name and messaging limit neutral whatever their value" do
      %i[display_phone_number verified_name messaging_limit_tier].each do |key|
        ["GREEN", "APPROVED", "LIVE", "x", nil].each { |value| expect(tone_of(key, value)).to eq(:neutral) }
      end
    end

    it "reads values case-insensitively and from String-keyed snapshots" do
      expect(tone_of(:quality_rating, "red")).to eq(:danger)
      expect(tone_of(:quality_rating, :YELLOW)).to eq(:warning)
      string_keyed = described_class.new(JSON.parse(JSON.generate(health.merge(quality_rating: "RED"))))
      expect(string_keyed.badges.map { |badge| badge[:tone] })
        .to eq(%i[neutral neutral success danger neutral success])
    end

    it "shows missing fields with nil values and neutral tones" do
      expect(described_class.new({}).badges.map { |badge| badge.values_at(:value, :tone) }).to all(eq([nil, :neutral]))
    end
  end

  describe "#can_send_message_badge" do
    it "maps AVAILABLE to success, LIMITED to warning, BLOCKED to danger and an unknown verdict to neutral" do
      expect(report(can_send_message: "AVAILABLE").can_send_message_badge)
        .to eq(key: :can_send_message, label: "Can send messages", value: "AVAILABLE", tone: :success)
      expect(report(can_send_message: "LIMITED").can_send_message_badge[:tone]).to eq(:warning)
      expect(report(can_send_message: "BLOCKED").can_send_message_badge[:tone]).to eq(:danger)
      expect(report(can_send_message: nil).can_send_message_badge[:tone]).to eq(:neutral)
      expect(report(can_send_message: "SOMETHING_NEW").can_send_message_badge[:tone]).to eq(:neutral)
    end

    it "is not one of the six cards" do
      expect(report.badges.map { |badge| badge[:key] }).not_to include(:can_send_message)
    end
  end

  describe "#webhook_url, #webhook_matches? and expected_webhook_url (the UI's webhook card)" do
    expected = "https://chat.example.com/webhooks/whatsapp/+15550100001"

    def with_webhooks(configuration, expected_url)
      described_class.new(health.merge(webhook_configuration: configuration), expected_webhook_url: expected_url)
    end

    it "takes the phone-level override first, then the WABA's, then the app's" do
      all = { "phone_number" => "https://a", "whatsapp_business_account" => "https://b", "application" => "https://c" }
      expect(with_webhooks(all, nil).webhook_url).to eq("https://a")
      expect(with_webhooks(all.except("phone_number"), nil).webhook_url).to eq("https://b")
      expect(with_webhooks({ application: "https://c" }, nil).webhook_url).to eq("https://c")
      expect(with_webhooks(nil, nil).webhook_url).to be_nil
    end

    it "says whether Meta uses the expected URL, and nil when either is unknown" do
      expect(with_webhooks({ "phone_number" => expected }, expected).webhook_matches?).to be(true)
      expect(with_webhooks({ "application" => "https://other.example" }, expected).webhook_matches?).to be(false)
      expect(with_webhooks({ "phone_number" => expected }, nil).webhook_matches?).to be_nil
      expect(with_webhooks(nil, expected).webhook_matches?).to be_nil
    end

    it "puts every key the newest UI reads into as_json" do
      json = with_webhooks({ "application" => expected }, expected).as_json
      expect(json).to include("expected_webhook_url" => expected, "webhook_url" => expected, "webhook_matches" => true)
      expect(JSON.parse(json.to_json)).to eq(json)
    end

    it "refuses an expected_webhook_url that is not a String" do
      expect do
        described_class.new(health, expected_webhook_url: 1)
      end.to raise_error(ArgumentError, /expected_webhook_url/)
    end
  end

  describe "#manager_url" do
    let(:base) { "https://business.facebook.com/latest/whatsapp_manager/phone_numbers/" }

    it "links the portfolio as business_id and the WABA as asset_id when both are known" do
      expect(report.manager_url).to eq("#{base}?business_id=9001&asset_id=2001&tab=phone-numbers")
    end

    it "prefers the WABA read from Meta over the business_id copied from provider_config" do
      expect(report(business_id: "2999").manager_url).to eq("#{base}?business_id=9001&asset_id=2001&tab=phone-numbers")
    end

    it "uses business_id as the WABA when the WABA was not read" do
      url = report(business_account_id: nil, business_portfolio_id: nil, business_id: "2002").manager_url
      expect(url).to eq("#{base}?asset_id=2002&tab=phone-numbers")
    end

    it "never puts the WABA id in business_id (Chatwoot's old mistake) when the portfolio is unknown" do
      url = report(business_portfolio_id: nil).manager_url
      expect(url).to eq("#{base}?asset_id=2001&tab=phone-numbers")
      expect(url).not_to include("business_id=")
    end

    it "links the portfolio alone when no WABA id is known" do
      url = report(business_account_id: nil, business_id: nil).manager_url
      expect(url).to eq("#{base}?business_id=9001&tab=phone-numbers")
    end

    it "falls back to https://business.facebook.com/ when neither is known" do
      expect(report(business_account_id: nil, business_id: nil, business_portfolio_id: nil).manager_url)
        .to eq("https://business.facebook.com/")
      expect(described_class.new({}).manager_url).to eq("https://business.facebook.com/")
    end

    it "treats ids that are not Graph ids as unknown, so nothing can be injected into the link" do
      url = report(business_portfolio_id: "9001&asset_id=666", business_account_id: "x", business_id: "2001")
      expect(url.manager_url).to eq("#{base}?asset_id=2001&tab=phone-numbers")
      expect(report(business_portfolio_id: "1/../x", business_account_id: "", business_id: nil).manager_url)
        .to eq("https://business.facebook.com/")
    end

    it "accepts Integer ids and String-keyed snapshots" do
      snapshot = { "business_portfolio_id" => 9001, "business_account_id" => 2001 }
      expect(described_class.new(snapshot).manager_url)
        .to eq("#{base}?business_id=9001&asset_id=2001&tab=phone-numbers")
    end
  end

  describe "#registration_incomplete? (the Complete Registration banner)" do
    it "is true when platform_type is NOT_APPLICABLE" do
      expect(report(platform_type: "NOT_APPLICABLE")).to be_registration_incomplete
    end

    it "is true when the throughput level is NOT_APPLICABLE, whatever the key type" do
      expect(report(throughput: { "level" => "NOT_APPLICABLE" }, throughput_level: nil)).to be_registration_incomplete
      expect(report(throughput: { level: "NOT_APPLICABLE" }, throughput_level: nil)).to be_registration_incomplete
      expect(described_class.new({ "throughput" => { "level" => "NOT_APPLICABLE" } })).to be_registration_incomplete
    end

    it "falls back to throughput_level when the throughput object is missing" do
      expect(report(throughput: nil, throughput_level: "NOT_APPLICABLE")).to be_registration_incomplete
    end

    it "is false for a provisioned number and when the fields are unknown" do
      expect(report).not_to be_registration_incomplete
      expect(described_class.new({})).not_to be_registration_incomplete
      expect(report(code_verification_status: "NOT_VERIFIED")).not_to be_registration_incomplete
    end
  end

  describe "#risky?" do
    it "is true for quality YELLOW or RED" do
      expect(report(quality_rating: "YELLOW")).to be_risky
      expect(report(quality_rating: "RED")).to be_risky
    end

    %w[BANNED RESTRICTED RATE_LIMITED FLAGGED DISCONNECTED DELETED].each do |status|
      it "is true for status #{status}" do
        expect(report(status: status)).to be_risky
      end
    end

    it "is false for GREEN, UNKNOWN or missing quality with a harmless status" do
      %w[GREEN UNKNOWN NA].push(nil).each { |quality| expect(report(quality_rating: quality)).not_to be_risky }
      %w[CONNECTED PENDING MIGRATED].push(nil).each { |status| expect(report(status: status)).not_to be_risky }
    end
  end

  describe "#risk_reasons" do
    it "names what makes the number risky, upper-cased, and nothing for a number that is not" do
      expect(report(quality_rating: "red", status: "flagged").risk_reasons)
        .to eq(["quality rating is RED", "status is FLAGGED"])
      expect(report(quality_rating: "GREEN", status: "BANNED").risk_reasons).to eq(["status is BANNED"])
      expect(report(quality_rating: "GREEN", status: "CONNECTED").risk_reasons).to eq([])
    end
  end

  describe "#risk_changed?" do
    it "is true for a risky number whose quality or status differs from the previous snapshot" do
      expect(report(quality_rating: "YELLOW", previous: health)).to be_risk_changed
      expect(report(quality_rating: "RED", previous: health.merge(quality_rating: "YELLOW"))).to be_risk_changed
      expect(report(status: "FLAGGED", previous: health)).to be_risk_changed
      expect(report(quality_rating: "YELLOW", status: "RESTRICTED", previous: health.merge(quality_rating: "YELLOW")))
        .to be_risk_changed
    end

    it "is false when the risky state is the same as before, so a number warns once" do
      yellow = health.merge(quality_rating: "YELLOW")
      expect(report(quality_rating: "YELLOW", previous: yellow)).not_to be_risk_changed
      expect(report(status: "FLAGGED", previous: health.merge(status: "FLAGGED"))).not_to be_risk_changed
    end

    it "reads a previous snapshot with String keys, or a previous Report" do
      yellow = health.merge(quality_rating: "YELLOW")
      expect(report(quality_rating: "YELLOW", previous: JSON.parse(JSON.generate(yellow)))).not_to be_risk_changed
      expect(report(quality_rating: "YELLOW", previous: { "quality_rating" => "GREEN", "status" => "CONNECTED" }))
        .to be_risk_changed
      expect(report(quality_rating: "YELLOW", previous: described_class.new(yellow))).not_to be_risk_changed
      expect(report(quality_rating: "RED", previous: described_class.new(yellow).as_json)).to be_risk_changed
    end

    it "is true for a risky number with no previous snapshot" do
      expect(report(status: "BANNED")).to be_risk_changed
    end

    it "is false when the number is not risky now, even if it changed" do
      expect(report(quality_rating: "GREEN", previous: health.merge(quality_rating: "RED"))).not_to be_risk_changed
      expect(report).not_to be_risk_changed
    end

    it "refuses a previous snapshot that is not a Hash, a Report or nil" do
      expect { report(previous: "GREEN") }.to raise_error(ArgumentError, /previous/)
    end
  end

  describe "#attention_reasons and #needs_attention?" do
    it "finds nothing on a healthy, provisioned number" do
      expect(report.attention_reasons).to eq([])
      expect(report).not_to be_needs_attention
    end

    it "names each problem: risky quality and status, incomplete registration, Meta's verdict, a rejected name" do
      reasons = report(quality_rating: "RED", status: "FLAGGED", platform_type: "NOT_APPLICABLE",
                       can_send_message: "LIMITED", name_status: "DECLINED").attention_reasons
      expect(reasons).to eq(["quality rating is RED", "status is FLAGGED",
                             "registration incomplete (platform_type NOT_APPLICABLE)",
                             "Meta reports can_send_message LIMITED", "display name status is DECLINED"])
    end

    it "counts a number the decision wants registered (not verified) even when provisioning looks complete" do
      expect(report(code_verification_status: "NOT_VERIFIED", platform_type: nil).attention_reasons)
        .to eq(["registration needed (not_verified)"])
    end

    it "does not count an expired verification on a number provisioned on Cloud API, and says it is normal" do
      expired = report(code_verification_status: "EXPIRED")
      expect(expired).not_to be_needs_attention
      expect(expired.notes).to eq(["code verification EXPIRED is normal: Meta keeps VERIFIED for only 14 days " \
                                   "after the one-time code, and this number is provisioned on Cloud API"])
      expect(expired.as_json["notes"]).to eq(expired.notes)
      expect(described_class.new({}).notes).to eq([])
    end

    it "says so in words, with no placeholder, when Meta sent no code verification status" do
      expect(report(code_verification_status: nil).notes)
        .to eq(["a missing code verification status is normal: Meta keeps VERIFIED for only 14 days after the " \
                "one-time code, and this number is provisioned on Cloud API"])
    end

    it "does not count a display name merely in review on a provisioned number" do
      expect(report(name_status: "PENDING_REVIEW")).not_to be_needs_attention
    end
  end

  describe "#health_problems" do
    it "lists each error of a BLOCKED entity with Meta's code, description and possible solution" do
      status = { "can_send_message" => "BLOCKED", "entities" => [
        { "entity_type" => "PHONE_NUMBER", "id" => "1001", "can_send_message" => "AVAILABLE" },
        { "entity_type" => "BUSINESS", "id" => "9001", "can_send_message" => "BLOCKED",
          "errors" => [{ "error_code" => 141_010, "error_description" => "Business not verified.",
                         "possible_solution" => "Verify the business." }] }
      ] }
      expect(report(health_status: status).health_problems).to eq(
        [{ entity_type: "BUSINESS", id: "9001", can_send_message: "BLOCKED", error_code: 141_010,
           description: "Business not verified.", possible_solution: "Verify the business." }]
      )
    end

    it "describes a LIMITED entity by its additional_info, and ignores malformed data" do
      status = { "entities" => [{ "entity_type" => "WABA", "id" => "2001", "can_send_message" => "LIMITED",
                                  "additional_info" => ["Messaging limit reached."] }, "junk", nil] }
      expect(report(health_status: status).health_problems).to eq(
        [{ entity_type: "WABA", id: "2001", can_send_message: "LIMITED", error_code: nil,
           description: "Messaging limit reached.", possible_solution: nil }]
      )
      expect(report(health_status: "broken").health_problems).to eq([])
      expect(report(health_status: nil).health_problems).to eq([])
    end
  end

  describe "#as_json" do
    it "keeps every key of the health Hash, in order and unchanged, then adds the UI's fields" do
      json = report.as_json
      expect(json.keys).to eq(health.keys.map(&:to_s) +
                              %w[badges can_send_message_badge manager_url decision risky registration_incomplete
                                 notes expected_webhook_url webhook_url webhook_matches])
      expect(json.keys).to all(be_a(String))
      health.each { |key, value| expect(json[key.to_s]).to eq(JSON.parse(JSON.generate([value])).first) }
    end

    it "adds badges, Meta's verdict badge, the link, the decision, risky and the banner flag as plain JSON data" do
      json = report(quality_rating: "YELLOW", platform_type: "NOT_APPLICABLE").as_json
      expect(json["badges"].size).to eq(6)
      expect(json["badges"][3]).to eq("key" => "quality_rating", "label" => "Quality rating", "value" => "YELLOW",
                                      "tone" => "warning")
      expect(json["can_send_message_badge"]).to include("key" => "can_send_message", "tone" => "success")
      expect(json["manager_url"]).to eq(report.manager_url)
      decision = WaHealth.registration_decision(health.merge(quality_rating: "YELLOW", platform_type: "NOT_APPLICABLE"))
      expect(json["decision"]).to eq(decision.to_h.transform_keys(&:to_s).merge("reason" => decision.reason.to_s))
      expect(json["decision"]).to include("register" => true, "reason" => "pending_provisioning")
      expect(json).to include("risky" => true, "registration_incomplete" => true)
    end

    it "is exactly what rendering it as JSON and parsing it back gives (no Symbols, no objects)" do
      json = report(extra: { when: :now, ratio: Float::NAN }).as_json
      expect(JSON.parse(JSON.generate(json))).to eq(json)
      expect(JSON.parse(report.to_json)).to eq(report.as_json)
      expect(json["extra"]).to eq("when" => "now", "ratio" => nil)
    end

    it "accepts ActiveSupport's options argument" do
      expect(report.as_json(only: :id)).to eq(report.as_json)
    end

    it "works on a String-keyed snapshot, including an earlier as_json, without duplicating keys" do
      again = described_class.new(report.as_json).as_json
      expect(again).to eq(report.as_json)
    end
  end

  context "with the Hash WaHealth.fetch returns from the fake Graph API" do
    include FakeGraphContext

    it "builds the report Chatwoot's controller renders" do
      fake.add_phone_number("1001", :display_name_pending, quality_rating: "RED")
      fake.add_business_account("2001")
      health = WaHealth.fetch(phone_number_id: "1001", business_account_id: "2001", access_token: token,
                              **connection_options)
      report = described_class.new(health)
      expect(report.badges.map { |badge| badge[:tone] }).to eq(%i[neutral neutral warning danger neutral success])
      expect(report).to be_registration_incomplete
      expect(report).to be_risky
      expect(report.as_json).to include("name_status" => "PENDING_REVIEW", "risky" => true,
                                        "manager_url" => end_with("?business_id=9001&asset_id=2001&tab=phone-numbers"))
      expect(report.as_json["decision"]).to include("register" => true, "display_name_pending" => true)
    end
  end

  it "refuses anything but a Hash and keeps inspect short" do
    expect { described_class.new(nil) }.to raise_error(ArgumentError, "health must be a Hash")
    expect(report.inspect).to eq("#<WaHealth::Report id=\"1001\" risky=false registration_incomplete=false>")
  end
end
