# frozen_string_literal: true

require "net/http"

RSpec.describe WaHealth::Testing::FakeGraph do
  def get(fake, path, token: fake.access_token)
    uri = URI("#{fake.url}#{path}")
    request = Net::HTTP::Get.new(uri)
    request["Authorization"] = "Bearer #{token}" if token
    Net::HTTP.start(uri.host, uri.port) { |http| http.request(request) }
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
end
