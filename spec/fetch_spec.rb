# frozen_string_literal: true

require "openssl"

RSpec.describe "WaHealth.fetch" do
  include FakeGraphContext

  let(:chatwoot_keys) do
    %i[display_phone_number verified_name name_status quality_rating messaging_limit_tier account_mode
       code_verification_status throughput last_onboarded_time platform_type business_id]
  end
  let(:extra_keys) do
    %i[id status new_name_status throughput_level is_on_biz_app webhook_configuration can_send_message health_status]
  end
  let(:business_keys) { %i[business_account_id business_account_name business_portfolio_id business_portfolio_name] }

  def fetch(**args)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, **connection_options, **args)
  end

  context "when Meta answers (Chatwoot's health service examples)" do
    before { fake.add_phone_number("1001") }

    it "returns Chatwoot's fields with Symbol keys, string-keyed throughput and the given business_id" do
      health = fetch(business_account_id: nil)
      expect(health.keys).to eq(chatwoot_keys + extra_keys)
      expect(health).to include(
        display_phone_number: "+1 555-010-0001", verified_name: "Acme Support", name_status: "APPROVED",
        quality_rating: "GREEN", messaging_limit_tier: "TIER_2K", account_mode: "LIVE",
        code_verification_status: "VERIFIED", throughput: { "level" => "STANDARD" },
        last_onboarded_time: "2024-01-01T00:00:00+0000", platform_type: "CLOUD_API", business_id: nil,
        id: "1001", status: "CONNECTED", throughput_level: "STANDARD", is_on_biz_app: false,
        can_send_message: "AVAILABLE"
      )
      expect(health[:health_status]).to include("can_send_message" => "AVAILABLE")
      expect(health[:health_status]["entities"].first.keys).to all(be_a(String))
    end

    it "keeps every key present, as nil, when Meta sends nothing for it" do
      fake.add_phone_number("1002", name_status: nil)
      fake.queue_response(status: 200, body: { "id" => "1002" })
      health = fetch(phone_number_id: "1002")
      expect(health.keys).to eq(chatwoot_keys + extra_keys)
      expect(health.except(:id).values).to all(be_nil)
    end

    it "reads the business account at the same time when business_account_id is given" do
      fake.add_business_account("2001", name: "Acme WABA", owner_business_info: { id: "3001", name: "Acme Inc" })
      fake.latency = 0.2
      health = fetch(business_account_id: "2001")
      expect(health.keys).to eq(chatwoot_keys + extra_keys + business_keys + %i[business_account_error])
      expect(health).to include(business_id: "2001", business_account_id: "2001",
                                business_account_name: "Acme WABA", business_portfolio_id: "3001",
                                business_portfolio_name: "Acme Inc")
      expect(fake.stats["max_in_flight"]).to eq(2)
      expect(fake.requests.map(&:path)).to contain_exactly("/v24.0/1001", "/v24.0/2001")
      expect(fake.requests.find { |r| r.path == "/v24.0/2001" }.params["fields"]).to eq("id,name,owner_business_info")
    end

    it "accepts Integer ids" do
      fake.add_business_account("2001")
      expect(fetch(phone_number_id: 1001, business_account_id: 2001)).to include(id: "1001", business_id: "2001")
    end

    it "requests the new messaging limit, health_status and new_name_status, not the deprecated tier" do
      fetch
      fields = fake.requests.last.params["fields"].split(",")
      expect(fields).to include("whatsapp_business_manager_messaging_limit", "health_status", "new_name_status",
                                "code_verification_status", "platform_type", "throughput", "status")
      expect(fields).not_to include("messaging_limit_tier")
    end

    it "falls back to messaging_limit_tier when a server sends only that" do
      fake.queue_response(status: 200, body: { "id" => "1001", "messaging_limit_tier" => "TIER_1K" })
      expect(fetch[:messaging_limit_tier]).to eq("TIER_1K")
    end

    it "sends the token only as a Bearer header, never in the URL" do
      fetch
      request = fake.requests.last
      expect(request.headers["authorization"]).to eq("Bearer #{token}")
      expect(request.path + request.query).not_to include(token)
      expect(request.params).not_to have_key("access_token")
      expect(request.params).not_to have_key("appsecret_proof")
    end

    it "uses the configured and per-call API versions, with v24.0 as the floor for health reads" do
      WaHealth.configure { |c| c.api_version = "v25.0" }
      fetch
      expect(fake.requests.last.path).to eq("/v25.0/1001")
      fetch(api_version: "v22.0")
      expect(fake.requests.last.path).to eq("/v24.0/1001")
    end

    it "does not leave health fields of the wrong type in the result" do
      fake.queue_response(status: 200, body: { "id" => 1001, "throughput" => "STANDARD", "is_on_biz_app" => "yes" })
      expect(fetch).to include(id: "1001", throughput: nil, throughput_level: nil, is_on_biz_app: nil)
    end
  end

  describe "appsecret_proof" do
    before { fake.add_phone_number("1001") }

    it "is sent as HMAC-SHA256(app_secret, token) when an app secret is configured, and Meta accepts it" do
      fake.app_secret = "s3cret"
      WaHealth.configure { |c| c.app_secret = "s3cret" }
      expect(fetch[:id]).to eq("1001")
      expected = OpenSSL::HMAC.hexdigest("SHA256", "s3cret", token)
      expect(fake.requests.last.params["appsecret_proof"]).to eq(expected)
    end

    it "fails with Meta's error when the secret is wrong" do
      fake.app_secret = "s3cret"
      expect { fetch(app_secret: "wrong") }.to raise_error(WaHealth::ApiError, /appsecret_proof/)
    end
  end

  describe "argument checks (before any request)" do
    before { fake.add_phone_number("1001") }

    after { expect(fake.requests).to be_empty }

    it "raises ArgumentError for a missing or blank access token, first, as Chatwoot does" do
      expect { WaHealth.fetch(phone_number_id: nil, access_token: nil) }
        .to raise_error(ArgumentError, "access_token is missing")
      expect { fetch(access_token: "  ") }.to raise_error(ArgumentError, "access_token is missing")
    end

    it "raises ArgumentError for a missing or blank phone number id" do
      expect { fetch(phone_number_id: nil) }.to raise_error(ArgumentError, "phone_number_id is missing")
      expect { fetch(phone_number_id: "") }.to raise_error(ArgumentError, "phone_number_id is missing")
    end

    it "refuses ids that could change the request path or query" do
      ["12/34", "1?fields=x", "..", "1 2", "1\n", "1001#x", "%2e%2e", "١٢٣", "-1"].each do |bad|
        expect { fetch(phone_number_id: bad) }
          .to raise_error(ArgumentError, "phone_number_id must be a Graph id made of digits")
        expect { fetch(business_account_id: bad) }
          .to raise_error(ArgumentError, "business_account_id must be a Graph id made of digits")
      end
      expect { fetch(phone_number_id: -5) }.to raise_error(ArgumentError, /phone_number_id/)
    end

    it "refuses ids and tokens of the wrong type" do
      [1.5, :id, [], {}].each do |bad|
        expect do
          fetch(phone_number_id: bad)
        end.to raise_error(ArgumentError, "phone_number_id must be a String or Integer")
      end
      expect { fetch(access_token: 123) }.to raise_error(ArgumentError, "access_token must be a String")
    end

    it "refuses tokens that could break the Authorization header" do
      expect { fetch(access_token: "abc\r\nX-Evil: 1") }.to raise_error(ArgumentError, /access_token/)
    end

    it "takes timeouts above 0 and up to the extension's limit, and checks that range in Ruby" do
      limit = WaHealth::Native::MAX_TIMEOUT_SECONDS
      expect(limit).to eq(3600)
      expect(WaHealth::Native::GraphSettings).not_to receive(:new)
      [0, -1, limit + 0.5, Float::INFINITY, Float::NAN, 1i].each do |bad|
        %i[timeout open_timeout].each do |name|
          expect { fetch(name => bad) }
            .to raise_error(ArgumentError, "#{name} must be a number of seconds above 0 and at most 3600")
        end
      end
    end

    it "refuses bad connection options" do
      expect { fetch(timeout: 0) }.to raise_error(ArgumentError, /timeout/)
      expect { fetch(timeout: "10") }.to raise_error(ArgumentError, /timeout/)
      expect { fetch(base_url: "ftp://x") }.to raise_error(ArgumentError, /base_url/)
      expect { fetch(api_version: "24") }.to raise_error(ArgumentError, /api_version/)
    end
  end
end
