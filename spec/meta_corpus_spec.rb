# frozen_string_literal: true

# Real answers of Meta's Graph API (spec/fixtures/meta/, each file naming its source), served by
# FakeGraph exactly as recorded (status, headers, body) and read through the gem's public API.
# The expectations below are graph-api.md's tables, written here independently of the gem's own.
RSpec.describe "Meta's real answers (spec/fixtures/meta)" do
  include FakeGraphContext

  fixtures = Dir[File.expand_path("fixtures/meta/*.json", __dir__)].to_h do |path|
    [File.basename(path, ".json"), JSON.parse(File.read(path))]
  end

  authorization = ->(code) { [0, 3, 10, 104, 190].include?(code) || (200..299).cover?(code) }
  rate_limit = ->(code) { [4, 17, 32, 613, 80_007, 80_008, 130_429, 133_016].include?(code) }
  transient_by_table = ->(code) { [1, 2, 4, 17, 32, 613, 80_007, 80_008, 130_429, 133_004].include?(code) }

  expected_class = lambda do |error|
    code = error["code"]
    if authorization.call(code) then WaHealth::AuthorizationError
    elsif rate_limit.call(code) then WaHealth::RateLimitError
    elsif code == 100 && error["error_subcode"] == 2_388_001
      if error["error_user_msg"].to_s.include?("existing WhatsApp account") then WaHealth::NumberInUseError
      else
        WaHealth::DisplayNamePendingError
      end
    else
      WaHealth::ApiError
    end
  end

  expected_retry_after = lambda do |headers|
    usage = headers&.find { |name, _| name.casecmp?("X-Business-Use-Case-Usage") }&.last
    minutes = usage && JSON.parse(usage).values.flatten.map do |entry|
      entry["estimated_time_to_regain_access"].to_i
    end.max
    minutes&.positive? ? minutes * 60 : nil
  end

  provisioned_on_cloud = lambda do |phone|
    level = phone.dig("throughput", "level")
    phone["platform_type"] == "CLOUD_API" && level != "NOT_APPLICABLE"
  end

  def serve(fixture, **where)
    fake.queue_recorded(fixture, **where)
  end

  def fetch_phone(**options)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url, **options)
  end

  before { fake.add_phone_number("1001") }

  it "holds at least 60 answers, each naming its source and adaptation" do
    expect(fixtures.size).to be >= 60
    fixtures.each_value do |fixture|
      expect(fixture).to include("source", "source_kind", "adaptation", "endpoint", "http_status")
      expect(fixture.key?("body") || fixture.key?("body_text")).to be(true)
    end
  end

  errors = fixtures.select { |_, f| f.key?("body_text") || (f["body"].is_a?(Hash) && f["body"].key?("error")) }
  errors.each do |name, fixture|
    it "raises the class Meta's semantics call for: #{name}" do
      serve(fixture, node: "1001")
      expect { fetch_phone }.to raise_error(WaHealth::ApiError) do |error|
        expect(error.http_status).to eq(fixture["http_status"])
        expect(error.retry_after).to eq(expected_retry_after.call(fixture["headers"]))
        expect(error.message).to start_with("WhatsApp API request failed: HTTP #{fixture['http_status']}")
        expect(error.message).not_to include(token)
        if fixture.key?("body_text")
          expect(error.class).to eq(WaHealth::ApiError)
          expect(error.transient?).to eq(fixture["http_status"] >= 500)
          next
        end

        meta = fixture["body"]["error"]
        expect(error.class).to eq(expected_class.call(meta))
        expect([error.code, error.subcode]).to eq([meta["code"], meta["error_subcode"]])
        transient = meta.key?("is_transient") ? meta["is_transient"] : transient_by_table.call(meta["code"])
        expect(error.transient?).to eq(transient)
        # Meta's words for people are always in the message.
        [meta["error_user_title"], meta["error_user_msg"]].compact.reject(&:empty?).each do |text|
          expect(error.message).to include(text.gsub(/\s+/, " ").strip[0, 200])
        end
        expect(error.authorization_error?).to eq(error.is_a?(WaHealth::AuthorizationError))
      end
    end
  end

  phones = fixtures.flat_map do |name, fixture|
    body = fixture["body"]
    next [] unless body.is_a?(Hash) && !body.key?("error")

    case fixture["endpoint"]
    when "phone_get" then [[name, body]]
    when "phone_list", "waba_get"
      Array(body["data"] || body.dig("phone_numbers", "data")).each_with_index.map do |phone, i|
        ["#{name}[#{i}]", phone]
      end
    else []
    end
  end

  phones.each do |name, phone|
    it "never registers a number provisioned on Cloud API, and the Report draws it: #{name}" do
      decision = WaHealth.registration_decision(phone)
      if provisioned_on_cloud.call(phone)
        expect(decision.register?).to be(false)
        expect(decision.verification_expired?).to eq(phone["code_verification_status"] != "VERIFIED")
      end
      expect(decision.register?).to be(false) if phone["platform_type"] == "ON_PREMISE"
      report = WaHealth::Report.new(phone)
      expect(report.badges.map { |badge| badge[:tone] } - %i[success warning danger neutral]).to eq([])
      expect(JSON.parse(report.to_json)).to eq(report.as_json)
      expect(report.notes).not_to be_empty if decision.verification_expired?
    end
  end

  fixtures.select { |_, f| f["endpoint"] == "phone_get" && !f["body"].key?("error") }.each do |name, fixture|
    it "reads the recorded phone answer through fetch: #{name}" do
      serve(fixture, node: "1001")
      health = fetch_phone
      %w[display_phone_number verified_name name_status quality_rating code_verification_status platform_type
         status].each do |field|
        expect(health[field.to_sym]).to eq(fixture["body"][field])
      end
      expect(health[:throughput_level]).to eq(fixture["body"].dig("throughput", "level"))
    end
  end

  fixtures.select { |_, f| f["endpoint"] == "health_status" }.each do |name, fixture|
    it "reads Meta's verdict and lists the entities that are not AVAILABLE: #{name}" do
      serve(fixture, node: "1001")
      health = fetch_phone
      verdict = fixture["body"]["health_status"]
      expect(health[:can_send_message]).to eq(verdict["can_send_message"])
      problems = WaHealth::Report.new(health).health_problems
      limited = verdict["entities"].reject { |entity| entity["can_send_message"] == "AVAILABLE" }
      expect(problems.map { |p| p[:entity_type] }.uniq).to eq(limited.map { |e| e["entity_type"] }.uniq)
      expect(WaHealth::Report.new(health).can_send_message_badge[:tone])
        .to eq({ "AVAILABLE" => :success, "LIMITED" => :warning, "BLOCKED" => :danger }[verdict["can_send_message"]])
    end
  end

  fixtures.select { |_, f| f["endpoint"] == "waba_get" && !f["body"].key?("error") }.each do |name, fixture|
    it "adds the business account's recorded name: #{name}" do
      fake.add_business_account("2001")
      serve(fixture, node: "2001")
      health = fetch_phone(business_account_id: "2001")
      expect(health[:business_account_name]).to eq(fixture["body"]["name"])
    end
  end

  { "register" => lambda {
                    WaHealth.register(phone_number_id: "1001", access_token: token, pin: "123456", base_url: fake.url)
                  },
    "deregister" => -> { WaHealth.deregister(phone_number_id: "1001", access_token: token, base_url: fake.url) } }
    .each do |endpoint, call|
      fixtures.select { |_, f| f["endpoint"] == endpoint }.each do |name, fixture|
        it "answers #{endpoint} as Meta did: #{name}" do
          serve(fixture, node: "1001", endpoint: endpoint)
          if fixture["body"].key?("error")
            expect { instance_exec(&call) }.to raise_error(expected_class.call(fixture["body"]["error"]))
          else
            expect(instance_exec(&call)).to be_truthy
          end
        end
      end
    end
end
