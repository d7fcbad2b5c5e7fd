# frozen_string_literal: true

require "rails_helper"

# Chatwoot's spec/controllers/api/v1/accounts/inboxes_controller_spec.rb, "GET .../inboxes/{id}/health",
# every example, on the Rails app in spec/rails_app: the gem talks to FakeGraph over loopback instead of a
# stubbed Whatsapp::HealthService.
RSpec.describe "GET /api/v1/accounts/:account_id/inboxes/:id/health" do
  include FakeGraphContext

  let(:account) { create_account }
  let(:admin) { create_user(account, role: "administrator") }
  let(:agent) { create_user(account, role: "agent") }
  let(:whatsapp_inbox) do
    create_whatsapp_inbox(account, api_key: token, phone_number_id: "1001", business_account_id: "2001",
                                   webhook_verify_token: "verify-token", source: "embedded_signup")
  end
  let(:non_whatsapp_inbox) { create_api_inbox(account) }
  let(:not_cloud) { { "error" => "Health data only available for WhatsApp Cloud API channels" } }

  before do
    WaHealth.config.base_url = fake.url
    fake.add_phone_number("1001", display_phone_number: "+1234567890", verified_name: "Test Business",
                                  name_status: "APPROVED", quality_rating: "GREEN",
                                  whatsapp_business_manager_messaging_limit: "TIER_1K", account_mode: "LIVE")
    fake.add_business_account("2001")
  end

  def get_health(inbox_id, user = nil, account_id: account.id)
    headers = { "CONTENT_TYPE" => "application/json" }
    headers["HTTP_API_ACCESS_TOKEN"] = user.access_token if user
    get "/api/v1/accounts/#{account_id}/inboxes/#{inbox_id}/health", nil, headers
  end

  def json_response
    JSON.parse(last_response.body)
  end

  context "when it is an unauthenticated user" do
    it "returns unauthorized" do
      get_health(whatsapp_inbox.id)
      expect(last_response.status).to eq(401)
      expect(fake.requests).to be_empty
    end
  end

  context "when it is an authenticated user" do
    context "with WhatsApp inbox" do
      it "returns health data for administrator" do
        get_health(whatsapp_inbox.id, admin)
        expect(last_response.status).to eq(200)
        expect(json_response).to include(
          "display_phone_number" => "+1234567890", "verified_name" => "Test Business", "name_status" => "APPROVED",
          "quality_rating" => "GREEN", "messaging_limit_tier" => "TIER_1K", "account_mode" => "LIVE",
          "business_id" => "2001"
        )
        # WaHealth::Report#as_json: the health keys, then what the Account Health tab draws.
        expect(json_response.keys.last(10)).to eq(%w[badges can_send_message_badge manager_url decision risky
                                                     registration_incomplete notes expected_webhook_url webhook_url
                                                     webhook_matches])
        expect(json_response["badges"].map { |badge| badge["tone"] }).to eq(%w[neutral neutral success success
                                                                               neutral success])
      end

      it "returns health data for agent with inbox access" do
        InboxMember.create!(user: agent, inbox: whatsapp_inbox)
        get_health(whatsapp_inbox.id, agent)
        expect(last_response.status).to eq(200)
        expect(json_response["display_phone_number"]).to eq("+1234567890")
      end

      it "returns unauthorized for agent without inbox access" do
        get_health(whatsapp_inbox.id, agent)
        expect(last_response.status).to eq(401)
        expect(fake.requests).to be_empty
      end

      it "calls the health service with correct channel" do
        fake.add_phone_number("1002", token: "other-channel-token", display_phone_number: "+1999")
        other = create_whatsapp_inbox(account, api_key: "other-channel-token", phone_number_id: "1002")
        get_health(whatsapp_inbox.id, admin)
        expect(last_response.status).to eq(200)
        expect(fake.requests.map(&:path))
          .to contain_exactly("/v24.0/1001", "/v24.0/2001", "/v24.0/1001/whatsapp_business_profile")
        expect(fake.requests.map { |r| r.headers["authorization"] }.uniq).to eq(["Bearer #{token}"])

        fake.clear_requests
        get_health(other.id, admin)
        expect(json_response).to include("display_phone_number" => "+1999", "business_id" => nil)
        expect(fake.requests.map(&:path)).to contain_exactly("/v24.0/1002", "/v24.0/1002/whatsapp_business_profile")
      end

      it "handles service errors gracefully" do
        fake.queue_error(code: 1, status: 500, message: "API Error", type: "OAuthException", node: "1001",
                         endpoint: :get)
        get_health(whatsapp_inbox.id, admin)
        expect(last_response.status).to eq(422)
        expect(json_response["error"]).to include("type" => "api", "http_status" => 500, "code" => 1, "subcode" => nil)
        expect(json_response["error"]["message"]).to include("API Error")
      end

      # Newest Chatwoot: the UI shows reauthorization guidance for type "authorization".
      it "renders a Meta authorization error as a structured 422 of type authorization" do
        fake.queue_error(code: 190, subcode: 464, status: 400, node: "1001", endpoint: :get,
                         message: "The access token cannot authorize this request.")
        get_health(whatsapp_inbox.id, admin)
        expect(last_response.status).to eq(422)
        expect(json_response["error"]).to include("type" => "authorization", "http_status" => 400, "code" => 190,
                                                  "subcode" => 464)
        expect(json_response["error"]["message"]).to start_with("WhatsApp API request failed")
      end

      it "still renders the health when the business account read fails, with the enrichment error" do
        fake.queue_error(code: 190, status: 400, node: "2001")
        get_health(whatsapp_inbox.id, admin)
        expect(last_response.status).to eq(200)
        expect(json_response).to include("display_phone_number" => "+1234567890", "business_account_name" => nil)
        expect(json_response["business_account_error"]).to include("class" => "WaHealth::AuthorizationError")
      end

      it "compares the URL Meta uses with the one Chatwoot expects" do
        ENV["FRONTEND_URL"] = "https://chat.example.com"
        get_health(whatsapp_inbox.id, admin)
        expected = "https://chat.example.com/webhooks/whatsapp/#{whatsapp_inbox.channel.phone_number}"
        expect(json_response).to include("expected_webhook_url" => expected)
        expect(json_response["webhook_matches"]).to eq(json_response["webhook_url"] == expected)
        expect(json_response).to have_key("business_profile")
      ensure
        ENV.delete("FRONTEND_URL")
      end
    end

    context "with non-WhatsApp inbox" do
      it "returns bad request error for administrator" do
        get_health(non_whatsapp_inbox.id, admin)
        expect(last_response.status).to eq(400)
        expect(json_response).to eq(not_cloud)
      end

      it "returns bad request error for agent" do
        InboxMember.create!(user: agent, inbox: non_whatsapp_inbox)
        get_health(non_whatsapp_inbox.id, agent)
        expect(last_response.status).to eq(400)
        expect(json_response).to eq(not_cloud)
      end
    end

    context "with WhatsApp non-cloud inbox" do
      it "returns bad request error for non-cloud provider" do
        inbox = create_whatsapp_inbox(account, provider: "default", api_key: token, phone_number_id: "1001")
        get_health(inbox.id, admin)
        expect(last_response.status).to eq(400)
        expect(json_response).to eq(not_cloud)
        expect(fake.requests).to be_empty
      end
    end

    context "with non-existent inbox" do
      it "returns not found error" do
        get_health(999_999, admin)
        expect(last_response.status).to eq(404)
      end
    end
  end

  # Beyond Chatwoot's examples: what the gem adds to the endpoint.
  describe "the gem's part" do
    it "renders 422 with a token-free message when Meta rejects the token, and logs no secret" do
      fake.queue_error(code: 190, subcode: 463, status: 401, message: "Error validating access token: #{token}",
                       node: "1001", endpoint: :get)
      get_health(whatsapp_inbox.id, admin)
      expect(last_response.status).to eq(422)
      expect(json_response["error"]).to include("type" => "authorization", "code" => 190)
      expect(last_response.body).not_to include(token)
      expect(rails_log).to include("[wa_health] health request failed", "WaHealth::AuthorizationError",
                                   "Completed 422")
      expect(rails_log).not_to include(token)
      expect(whatsapp_inbox.channel.inspect).to include("provider_config: [FILTERED]")
      expect(whatsapp_inbox.channel.inspect).not_to include(token)
    end

    it "renders 422 with Chatwoot's validation messages when the API key or phone number id is missing" do
      get_health(create_whatsapp_inbox(account, phone_number_id: "1001").id, admin)
      expect([last_response.status, json_response]).to eq([422, { "error" => "API key is missing" }])
      get_health(create_whatsapp_inbox(account, api_key: token).id, admin)
      expect([last_response.status, json_response]).to eq([422, { "error" => "Phone number ID is missing" }])
      expect(fake.requests).to be_empty
    end

    it "yields the report to the action, which stores it as the next request's previous snapshot" do
      get_health(whatsapp_inbox.id, admin)
      expect(whatsapp_inbox.channel.reload.health_snapshot).to eq(json_response)
      fake.add_phone_number("1001", quality_rating: "RED")
      get_health(whatsapp_inbox.id, admin)
      expect(json_response).to include("quality_rating" => "RED", "risky" => true)
      expect(whatsapp_inbox.channel.reload.health_snapshot["quality_rating"]).to eq("RED")
    end

    it "sends fetch.wa_health through ActiveSupport::Notifications with ids, status, code and duration" do
      events = []
      subscriber = ActiveSupport::Notifications.subscribe("fetch.wa_health") do |*args|
        events << ActiveSupport::Notifications::Event.new(*args)
      end
      fake.latency = 0.02
      get_health(whatsapp_inbox.id, admin)
      fake.queue_error(code: 190, status: 401, node: "1001", endpoint: :get)
      get_health(whatsapp_inbox.id, admin)
      expect(events.map(&:payload)).to eq(
        [{ phone_number_id: "1001", business_account_id: "2001", http_status: 200 },
         { phone_number_id: "1001", business_account_id: "2001", http_status: 401, error_code: 190,
           error_class: "WaHealth::AuthorizationError",
           exception: ["WaHealth::AuthorizationError", events.last.payload[:exception_object].message],
           exception_object: events.last.payload[:exception_object] }]
      )
      expect(events.map(&:duration)).to all(be >= 20)
      expect(events.inspect).not_to include(token)
    ensure
      ActiveSupport::Notifications.unsubscribe(subscriber)
    end
  end
end
