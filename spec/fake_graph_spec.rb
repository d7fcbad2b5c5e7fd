# frozen_string_literal: true

require "net/http"
require "socket"

RSpec.describe WaHealth::Testing::FakeGraph do
  def get(fake, path, token: fake.access_token)
    uri = URI("#{fake.url}#{path}")
    request = Net::HTTP::Get.new(uri)
    request["Authorization"] = "Bearer #{token}" if token
    Net::HTTP.start(uri.host, uri.port) { |http| http.request(request) }
  end

  def post(fake, path, body)
    Net::HTTP.post(URI("#{fake.url}#{path}"), JSON.generate(body),
                   "Authorization" => "Bearer #{fake.access_token}", "Content-Type" => "application/json")
  end

  def json(response)
    JSON.parse(response.body)
  end

  it "serves on an ephemeral loopback port and stops at the end of the block" do
    url = nil
    described_class.start do |fake|
      url = fake.url
      expect(url).to match(%r{\Ahttp://127\.0\.0\.1:\d+\z})
      expect(fake).to be_running
    end
    expect { Net::HTTP.get(URI("#{url}/v24.0/1")) }.to raise_error(SystemCallError)
  end

  it "answers a phone number GET with the requested fields that exist, plus id, and Meta's usage headers" do
    described_class.start do |fake|
      fake.add_phone_number("1001", quality_rating: "YELLOW")
      response = get(fake, "/v24.0/1001?fields=quality_rating,verified_name,new_name_status")
      expect(response.code).to eq("200")
      expect(JSON.parse(response.body)).to eq("id" => "1001", "quality_rating" => "YELLOW",
                                              "verified_name" => "Acme Support")
      expect(JSON.parse(response["X-App-Usage"])).to include("call_count")
      expect(response["X-Business-Use-Case-Usage"]).to include("estimated_time_to_regain_access")
    end
  end

  it "answers Meta's error envelopes for a missing token, a wrong token, an unknown node and an unknown field" do
    described_class.start do |fake|
      fake.add_phone_number("1001")
      expect(JSON.parse(get(fake, "/v24.0/1001", token: nil).body).dig("error", "code")).to eq(2500)
      wrong = get(fake, "/v24.0/1001", token: "wrong")
      expect(JSON.parse(wrong.body).dig("error", "code")).to eq(190)
      expect(wrong.body).not_to include("wrong")
      expect(JSON.parse(get(fake, "/v24.0/999").body)["error"]).to include("code" => 100, "error_subcode" => 33)
      unknown = JSON.parse(get(fake, "/v24.0/1001?fields=bogus").body)["error"]
      expect(unknown["message"]).to include("nonexisting field (bogus)")
      old = JSON.parse(get(fake, "/v22.0/1001?fields=status").body)["error"]
      expect(old["message"]).to include("nonexisting field (status)")
    end
  end

  it "records requests, counts in-flight requests, injects latency and replays queued answers once" do
    described_class.start do |fake|
      fake.add_phone_number("1001")
      fake.queue_error(code: 4, status: 400, node: "1001")
      expect(JSON.parse(get(fake, "/v24.0/1001").body).dig("error", "code")).to eq(4)
      expect(get(fake, "/v24.0/1001").code).to eq("200")
      fake.latency = 0.2
      Array.new(3) { Thread.new { get(fake, "/v24.0/1001") } }.each(&:join)
      expect(fake.stats).to include("request_count" => 5, "in_flight" => 0, "max_in_flight" => 3)
      expect(fake.requests.map(&:http_method)).to all(eq("GET"))
      expect(fake.requests.first.headers["authorization"]).to eq("Bearer test-token")
      fake.clear_requests
      expect(fake.requests).to be_empty
    end
  end

  it "registers a number like Meta: provisions it, sets the PIN, and refuses a different PIN later" do
    described_class.start do |fake|
      fake.add_phone_number("1001", :platform_not_applicable)
      uri = URI("#{fake.url}/v24.0/1001/register")
      post = lambda do |pin|
        Net::HTTP.post(uri, JSON.generate(messaging_product: "whatsapp", pin: pin),
                       "Authorization" => "Bearer test-token", "Content-Type" => "application/json")
      end
      expect(JSON.parse(post.call("123456").body)).to eq("success" => true)
      expect(fake.phone_number("1001")).to include("platform_type" => "CLOUD_API", "status" => "CONNECTED")
      expect(JSON.parse(post.call("654321").body).dig("error", "code")).to eq(133_005)
      expect(fake.node("1001")["register_attempts"]).to eq(2)
    end
  end

  it "subscribes the app with subscribed_fields, takes a phone's override only once subscribed, and shows each level" do
    described_class.start(app_callback_url: "https://my-production-callback.com/webhook") do |fake|
      fake.add_business_account("2001")
      fake.add_phone_number("1001", business_account: "2001")
      override = { "override_callback_uri" => "https://my-phone-alternate-callback.com/webhook", "verify_token" => "t" }
      refused = post(fake, "/v24.0/1001", webhook_configuration: override)
      expect(refused.code).to eq("400")
      expect(json(refused)["error"]["message"]).to start_with("(#100) Before override the current callback uri")
      fields = %w[messages smb_message_echoes]
      expect(json(post(fake, "/v24.0/2001/subscribed_apps", subscribed_fields: fields))).to eq("success" => true)
      expect(fake.subscription("2001")).to include("subscribed_fields" => fields, "override_callback_uri" => nil)
      expect(json(post(fake, "/v24.0/1001", webhook_configuration: override))).to eq("success" => true)
      expect(fake.webhook_override("1001")).to eq(override)
      expect(json(get(fake, "/v24.0/1001?fields=webhook_configuration"))["webhook_configuration"])
        .to eq("phone_number" => override["override_callback_uri"],
               "application" => "https://my-production-callback.com/webhook")
      post(fake, "/v24.0/1001", webhook_configuration: { override_callback_uri: "" })
      expect(fake.webhook_override("1001")).to be_nil
      fake.unsubscribe_app("2001")
      expect(json(get(fake, "/v24.0/2001/subscribed_apps"))).to eq("data" => [])
    end
  end

  it "sets up subscriptions and business profiles directly, for specs that start from them" do
    described_class.start do |fake|
      fake.add_business_account("2001")
      fake.add_phone_number("1001", business_account: "2001", business_profile: { about: "Hi" })
      fake.subscribe_app("2001", override_callback_uri: "https://waba.example.com/hook", verify_token: "v")
      expect(json(get(fake, "/v24.0/2001/subscribed_apps"))["data"].first)
        .to include("override_callback_uri" => "https://waba.example.com/hook")
      expect(json(get(fake, "/v24.0/1001/whatsapp_business_profile?fields=about,vertical")))
        .to eq("data" => [{ "about" => "Hi", "messaging_product" => "whatsapp" }])
      fake.set_business_profile("1001", vertical: "RETAIL", websites: ["https://example.com/"])
      expect(fake.business_profile("1001")).to eq("vertical" => "RETAIL", "websites" => ["https://example.com/"])
      fake.set_business_profile("1001")
      expect(json(get(fake, "/v24.0/1001/whatsapp_business_profile"))["data"])
        .to eq([{ "vertical" => "UNDEFINED", "messaging_product" => "whatsapp" }])
      expect { fake.subscribe_app("999") }.to raise_error(ArgumentError, /no node 999/)
    end
  end

  it "answers 411 to a POST with no Content-Length, as HTTP/1.1 servers may, unless told not to" do
    described_class.start do |fake|
      fake.add_phone_number("1001")
      raw = lambda do |length_header|
        TCPSocket.open(fake.host, fake.port) do |socket|
          socket.write("POST /v24.0/1001/deregister HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n" \
                       "Connection: close\r\n#{length_header}\r\n")
          socket.read[%r{\AHTTP/1\.1 (\d+)}, 1]
        end
      end
      expect(raw.call("")).to eq("411")
      expect(raw.call("Content-Length: 0\r\n")).to eq("200")
      fake.require_content_length = false
      expect(raw.call("")).to eq("200")
    end
  end

  it "serves a recorded answer with its own status, headers and body, without usage headers it did not have" do
    fixture = JSON.parse(File.read(File.expand_path("fixtures/meta/error_100_33_unsupported_get_phone.json", __dir__)))
    described_class.start do |fake|
      fake.add_phone_number("1001")
      fake.queue_recorded(fixture, node: "1001")
      response = get(fake, "/v24.0/1001")
      expect(response.code).to eq(fixture["http_status"].to_s)
      expect(response["WWW-Authenticate"]).to eq(fixture["headers"]["Www-Authenticate"])
      expect(response["X-App-Usage"]).to eq(fixture["headers"]["X-App-Usage"])
      expect(response["X-Business-Use-Case-Usage"]).to be_nil
      expect(json(response)).to eq(fixture["body"])
    end
  end
end
