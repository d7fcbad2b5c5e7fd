# frozen_string_literal: true

RSpec.describe "Registration" do
  include FakeGraphContext

  describe "WaHealth.should_register? and registration_decision" do
    let(:provisioned) do
      { code_verification_status: "VERIFIED", platform_type: "CLOUD_API", throughput: { "level" => "STANDARD" } }
    end

    it "registers a number that is neither verified nor provisioned" do
      not_provisioned = provisioned.merge(platform_type: "NOT_APPLICABLE")
      decision = WaHealth.registration_decision(not_provisioned.merge(code_verification_status: "NOT_VERIFIED"))
      expect(decision).to have_attributes(register?: true, reason: :not_verified, registration_incomplete?: true)
      expect(WaHealth.should_register?(not_provisioned.merge(code_verification_status: "EXPIRED"))).to be(true)
      expect(WaHealth.should_register?({ code_verification_status: nil })).to be(true)
    end

    # Meta keeps VERIFIED for 14 days; a live number reads NOT_VERIFIED or EXPIRED afterwards
    # (spec/fixtures/meta/phone_cloud_api_expired_connected_live.json).
    it "never registers a number provisioned on Cloud API, whatever its verification says" do
      %w[NOT_VERIFIED EXPIRED UNVERIFIED].each do |status|
        decision = WaHealth.registration_decision(provisioned.merge(code_verification_status: status))
        expect(decision).to have_attributes(register?: false, reason: :provisioned, verification_expired?: true)
        expect(decision.message).to include("that is normal")
      end
      expect(WaHealth.registration_decision(provisioned)).not_to be_verification_expired
    end

    it "never registers a number on the On-Premises API (registering would migrate it)" do
      decision = WaHealth.registration_decision(provisioned.merge(platform_type: "ON_PREMISE"))
      expect(decision).to have_attributes(register?: false, reason: :on_premise)
    end

    it "registers a verified number whose platform_type is NOT_APPLICABLE" do
      decision = WaHealth.registration_decision(provisioned.merge(platform_type: "NOT_APPLICABLE"))
      expect(decision).to have_attributes(register?: true, reason: :pending_provisioning)
      expect(decision.message).to include("platform_type")
    end

    it "skips a verified and provisioned number" do
      decision = WaHealth.registration_decision(provisioned)
      expect(decision).to have_attributes(register?: false, reason: :provisioned, display_name_pending?: false)
      expect(WaHealth.should_register?(provisioned)).to be(false)
    end

    # Chatwoot's defect: it read the level with a Symbol key from String-keyed data, so this never fired.
    {
      "String keys inside a Symbol-keyed Hash (what fetch returns)" =>
        { code_verification_status: "VERIFIED", platform_type: "CLOUD_API",
          throughput: { "level" => "NOT_APPLICABLE" } },
      "Symbol keys at every level" =>
        { code_verification_status: "VERIFIED", platform_type: "CLOUD_API", throughput: { level: "NOT_APPLICABLE" } },
      "String keys at every level" =>
        { "code_verification_status" => "VERIFIED", "platform_type" => "CLOUD_API",
          "throughput" => { "level" => "NOT_APPLICABLE" } },
      "a flat throughput_level" =>
        { code_verification_status: "VERIFIED", platform_type: "CLOUD_API", throughput_level: "NOT_APPLICABLE" },
      "a flat String throughput_level" =>
        { "code_verification_status" => "VERIFIED", "platform_type" => "CLOUD_API",
          "throughput_level" => "NOT_APPLICABLE" }
    }.each do |shape, health|
      it "registers a verified number whose throughput level is NOT_APPLICABLE, with #{shape}" do
        expect(WaHealth.should_register?(health)).to be(true)
        expect(WaHealth.registration_decision(health).reason).to eq(:pending_provisioning)
      end
    end

    it "reads String-keyed provisioned health as provisioned too" do
      health = { "code_verification_status" => "VERIFIED", "platform_type" => "CLOUD_API",
                 "throughput" => { "level" => "HIGH" } }
      expect(WaHealth.should_register?(health)).to be(false)
    end

    it "says when the display name is pending review" do
      pending = WaHealth.registration_decision(provisioned.merge(name_status: "PENDING_REVIEW"))
      expect(pending.display_name_pending?).to be(true)
      changing = WaHealth.registration_decision(provisioned.merge("new_name_status" => "PENDING_REVIEW"))
      expect(changing.display_name_pending?).to be(true)
      expect(changing.to_h).to eq(register: false, reason: :provisioned, display_name_pending: true,
                                  verification_expired: false, registration_incomplete: false, not_applicable: [],
                                  message: changing.message)
      expect(changing.message).to include("2388001")
    end

    it "decides on the Hash that fetch returns" do
      fake.add_phone_number("1001", :throughput_not_applicable)
      health = WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url)
      expect(WaHealth.registration_decision(health).to_h).to include(register: true, reason: :pending_provisioning)
    end

    it "raises ArgumentError for nil or a non-Hash" do
      [nil, "VERIFIED", [], 1].each do |bad|
        expect { WaHealth.should_register?(bad) }.to raise_error(ArgumentError, "health must be a Hash")
      end
    end
  end

  describe "WaHealth.register" do
    before { fake.add_phone_number("1001", :platform_not_applicable) }

    it "POSTs Meta's body with the PIN as a 6-digit string and returns true" do
      expect(WaHealth.register(phone_number_id: "1001", access_token: token, pin: 123_456, base_url: fake.url))
        .to be(true)
      request = fake.requests.last
      expect([request.http_method, request.path]).to eq(["POST", "/v24.0/1001/register"])
      expect(request.json).to eq("messaging_product" => "whatsapp", "pin" => "123456")
      expect(request.headers["authorization"]).to eq("Bearer #{token}")
      expect(fake.phone_number("1001")).to include("platform_type" => "CLOUD_API")
    end

    it "adds the data localization region when given" do
      WaHealth.register(phone_number_id: "1001", access_token: token, pin: "123456",
                        data_localization_region: "DE", base_url: fake.url)
      expect(fake.requests.last.json).to include("data_localization_region" => "DE")
    end

    it "refuses a PIN that is not exactly 6 digits before any request" do
      ["12345", "1234567", "12a456", nil, 12_345, 1.5, "１２３４５６"].each do |pin|
        expect { WaHealth.register(phone_number_id: "1001", access_token: token, pin: pin, base_url: fake.url) }
          .to raise_error(ArgumentError, "pin must be exactly 6 digits")
      end
      expect(fake.requests).to be_empty
    end

    it "raises DisplayNamePendingError when Meta has not provisioned the display name (2388001)" do
      fake.add_phone_number("1002", :display_name_pending)
      expect { WaHealth.register(phone_number_id: "1002", access_token: token, pin: "123456", base_url: fake.url) }
        .to raise_error(WaHealth::DisplayNamePendingError) { |e|
          expect([e.code, e.subcode, e.user_title]).to eq([100, 2_388_001, "Cannot Create Certificate"])
        }
    end

    it "raises the typed errors of fetch, and never echoes the PIN" do
      fake.queue_error(code: 133_005, message: "Two step verification PIN Mismatch for 654321", endpoint: :register)
      expect { WaHealth.register(phone_number_id: "1001", access_token: token, pin: "654321", base_url: fake.url) }
        .to raise_error(WaHealth::ApiError) { |e|
          expect(e.code).to eq(133_005)
          expect(e.message).not_to include("654321")
        }
    end

    it "raises RateLimitError after Meta's 10 registrations in 72 hours" do
      10.times do
        WaHealth.register(phone_number_id: "1001", access_token: token, pin: "123456", base_url: fake.url)
      end
      expect { WaHealth.register(phone_number_id: "1001", access_token: token, pin: "123456", base_url: fake.url) }
        .to raise_error(WaHealth::RateLimitError) { |e| expect(e.code).to eq(133_016) }
    end
  end

  describe "WaHealth.generate_pin" do
    it "makes 6-digit PINs in Meta's range 100000..999999 from SecureRandom, which register accepts" do
      allow(SecureRandom).to receive(:random_number).and_call_original
      pins = Array.new(200) { WaHealth.generate_pin }
      expect(pins).to all(match(/\A[1-9]\d{5}\z/))
      expect(pins.uniq.size).to be > 150
      expect(SecureRandom).to have_received(:random_number).with(100_000..999_999).exactly(200).times
      fake.add_phone_number("1001", :not_verified)
      WaHealth.register(phone_number_id: "1001", access_token: token, pin: pins.first, **connection_options)
      expect(fake.requests.last.json["pin"]).to eq(pins.first)
    end
  end

  describe "WaHealth.deregister" do
    it "POSTs /deregister and returns true" do
      fake.add_phone_number("1001")
      expect(WaHealth.deregister(phone_number_id: "1001", access_token: token, base_url: fake.url)).to be(true)
      expect(fake.requests.last.path).to eq("/v24.0/1001/deregister")
      expect(fake.phone_number("1001")).to include("platform_type" => "NOT_APPLICABLE")
    end
  end

  describe "WaHealth.subscribe_webhook" do
    before { fake.add_business_account("2001") }

    let(:url) { "https://chat.example.com/webhooks/whatsapp/+15550100001" }

    it "POSTs override_callback_uri and verify_token to the WABA's subscribed_apps" do
      expect(WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, callback_url: url,
                                        verify_token: "verify-me", base_url: fake.url)).to be(true)
      request = fake.requests.last
      expect([request.http_method, request.path]).to eq(["POST", "/v24.0/2001/subscribed_apps"])
      expect(request.json).to eq("override_callback_uri" => url, "verify_token" => "verify-me")
      expect(fake.node("2001")["subscriptions"]).to eq([{ "override_callback_uri" => url,
                                                          "verify_token" => "verify-me" }])
    end

    it "accepts loopback http callbacks and refuses other non-https or relative ones before any request" do
      expect(WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, verify_token: "v",
                                        callback_url: "http://127.0.0.1:3000/webhooks/whatsapp/1",
                                        base_url: fake.url)).to be(true)
      fake.clear_requests
      ["http://chat.example.com/x", "/webhooks/whatsapp", "ftp://chat.example.com/x", "not a url"].each do |bad|
        expect do
          WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, callback_url: bad,
                                     verify_token: "v", base_url: fake.url)
        end.to raise_error(ArgumentError, /callback_url/)
      end
      expect(fake.requests).to be_empty
    end

    it "refuses unknown options" do
      expect do
        WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, callback_url: url,
                                   verify_token: "v", bogus: 1)
      end.to raise_error(ArgumentError, /unknown keyword: :bogus/)
    end
  end
end
