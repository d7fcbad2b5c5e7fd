# frozen_string_literal: true

require "rails_helper"
require "openssl"
require "sidekiq/testing"
# Requiring sidekiq/testing turns fake mode on for the whole process; the real Sidekiq specs need it off.
Sidekiq::Testing.disable!

# WaHealth::WebhookEndpoint mounted in the Chatwoot-shaped app at /webhooks/whatsapp, with the app's
# event_handler (Channel::Whatsapp.receive_health_event), as docs/chatwoot-guide.md step 7 wires it.
RSpec.describe WaHealth::WebhookEndpoint do
  let(:app_secret) { "rails-app-secret-for-webhooks" }
  let(:verify_token) { "rails-app-webhook-verify-token" }
  let(:account) { create_account }
  let!(:inbox) do
    create_whatsapp_inbox(account, phone_number_id: "1001", api_key: "EAAG-rails-token",
                                   business_account_id: "102290129340398", verification_pin: "123456")
  end
  let(:channel) { inbox.channel.reload }

  before do
    WaHealth.config.app_secret = app_secret
    Webhooks::WhatsappController::RECEIVED.clear
    inbox.channel.update!(health_snapshot: { "display_phone_number" => "+1 555-078-3881",
                                             "name_status" => "PENDING_REVIEW", "platform_type" => "NOT_APPLICABLE",
                                             "code_verification_status" => "VERIFIED", "status" => "PENDING" })
  end

  def corpus_body(name)
    path = File.expand_path("../fixtures/meta/webhooks/#{name}", __dir__)
    JSON.generate(JSON.parse(File.read(path))["body"])
  end

  def deliver(body, signature: "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', app_secret, body)}")
    header "X-Hub-Signature-256", signature if signature
    header "Content-Type", "application/json"
    post "/webhooks/whatsapp", body
  end

  def jobs
    WaHealth::EventJob.jobs.map { |job| job["args"] }
  end

  def event_id(name)
    WaHealth::Webhook.parse(corpus_body(name)).first[:event_id]
  end

  around { |example| Sidekiq::Testing.fake! { WaHealth::EventJob.clear.then { example.run } } }

  describe "GET (Meta's subscription check)" do
    it "answers hub.challenge when the verify token matches, 403 otherwise" do
      get "/webhooks/whatsapp", "hub.mode" => "subscribe", "hub.verify_token" => verify_token,
                                "hub.challenge" => "1158201444"
      expect([last_response.status, last_response.body]).to eq([200, "1158201444"])
      get "/webhooks/whatsapp", "hub.mode" => "subscribe", "hub.verify_token" => "guess", "hub.challenge" => "1"
      expect(last_response.status).to eq(403)
      expect(last_response.body).not_to include(verify_token)
    end

    it "keeps the verify token out of the request log" do
      get "/webhooks/whatsapp", "hub.mode" => "subscribe", "hub.verify_token" => verify_token, "hub.challenge" => "7"
      expect(rails_log).to include("/webhooks/whatsapp")
      expect(rails_log).not_to include(verify_token)
    end
  end

  describe "POST (an event delivery)" do
    it "applies a name approval to the channel's snapshot and enqueues register_now, answering 200" do
      deliver(corpus_body("phone_number_name_update_approved.json"))
      expect(last_response.status).to eq(200)
      expect(channel.health_snapshot).to include("name_status" => "APPROVED", "last_event_at" => 1_739_321_024)
      expect(jobs).to eq([[channel.id, ["register_now"], event_id("phone_number_name_update_approved.json")]])
      expect(Webhooks::WhatsappController::RECEIVED).to be_empty
    end

    it "does nothing more for the same delivery twice, even once the snapshot forgot it (a fresh read stored)" do
      deliver(corpus_body("phone_number_name_update_approved.json"))
      channel.update!(health_snapshot: channel.health_snapshot.except("applied_events", "last_event_at"))
      deliver(corpus_body("phone_number_name_update_approved.json"))
      expect(last_response.status).to eq(200)
      expect(jobs).to eq([[channel.id, ["register_now"], event_id("phone_number_name_update_approved.json")]])
    end

    it "flags the channel for reauthorization when the partner is removed" do
      deliver(corpus_body("account_update_partner_removed_with_phone_number.json"))
      expect(last_response.status).to eq(200)
      expect(channel.reauthorization_required).to be(true)
      expect(jobs).to be_empty
    end

    it "routes a partner event sent to the partner's portfolio to the channel of the WABA in waba_info" do
      partner = create_whatsapp_inbox(account, phone_number_id: "1002", api_key: "EAAG-rails-token",
                                               business_account_id: "980198427658004").channel
      deliver(corpus_body("account_update_partner_removed.json"))
      expect(last_response.status).to eq(200)
      expect(partner.reload.reauthorization_required).to be(true)
      expect(channel.reauthorization_required).to be_falsey
    end

    it "logs an account alert for the operator, and marks the PIN stale on Meta's security event" do
      deliver(corpus_body("account_alerts_increased_capabilities_deferred.json"))
      expect(rails_log).to match(/\[wa_health\] channel #{channel.id}: Meta alert \(WARNING\).*INCREASED_CAPABILITIES/)
      deliver(corpus_body("security_pin_reset_request.json"))
      expect(last_response.status).to eq(200)
      expect(channel.reload.provider_config).to include("verification_pin_stale" => "pin_reset_requested",
                                                        "verification_pin" => "123456")
      expect(WaHealth.credentials_resolver.call(channel.id)).to include(pin_stale: "pin_reset_requested")
      expect(rails_log).to include("A reset of the two-step verification PIN of number 15550783881 was requested")
      expect(jobs).to be_empty
    end

    it "refuses a bad or missing signature with 401 and calls nothing" do
      body = corpus_body("phone_number_name_update_approved.json")
      deliver(body, signature: "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', 'another-secret', body)}")
      expect(last_response.status).to eq(401)
      deliver(body, signature: nil)
      expect(last_response.status).to eq(401)
      expect(channel.health_snapshot["name_status"]).to eq("PENDING_REVIEW")
      expect(jobs).to be_empty
      expect(Webhooks::WhatsappController::RECEIVED).to be_empty
      expect(rails_log).to include("webhook signature")
      expect(rails_log).not_to include(app_secret)
    end

    it "forwards other fields to the app's own controller" do
      body = JSON.generate("object" => "whatsapp_business_account", "entry" => [{
                             "id" => "102290129340398", "time" => 1_739_321_100,
                             "changes" => [{ "field" => "messages", "value" => { "statuses" => [] } }]
                           }])
      deliver(body)
      expect(last_response.status).to eq(200)
      expect(Webhooks::WhatsappController::RECEIVED).to eq([body])
      expect(jobs).to be_empty
    end

    it "answers 413 for a body over 4 MiB, without reading it all" do
      deliver(" " * (WaHealth::Webhook::MAX_BODY_BYTES + 1))
      expect(last_response.status).to eq(413)
    end

    it "answers 500 when the handler raises, so Meta delivers again, and then hands the event over again" do
      WaHealth.event_handler = ->(_event) { raise "database is down" }
      deliver(corpus_body("phone_number_name_update_approved.json"))
      expect(last_response.status).to eq(500)
      expect(rails_log)
        .to match(/event_handler raised RuntimeError on phone_number_name_update event \h{32}: database is down/)
      WaHealth::Railtie.apply(Rails.application.config.wa_health)
      deliver(corpus_body("phone_number_name_update_approved.json"))
      expect(last_response.status).to eq(200)
      expect(jobs).to eq([[channel.id, ["register_now"], event_id("phone_number_name_update_approved.json")]])
    end
  end

  it "answers 400 for a signed body that is not Meta's envelope when nothing is forwarded" do
    endpoint = described_class.new(app_secret: app_secret, handler: ->(_) { raise "not called" })
    request = Rack::MockRequest.new(endpoint)
    signature = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', app_secret, '[]')}"
    response = request.post("/", input: "[]", "HTTP_X_HUB_SIGNATURE_256" => signature)
    expect(response.status).to eq(400)
    expect(described_class.new.inspect).to eq("#<WaHealth::WebhookEndpoint>")
  end
end
