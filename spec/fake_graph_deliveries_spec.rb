# frozen_string_literal: true

require "json"
require "openssl"
require "socket"
require_relative "support/loopback_server"

# FakeGraph delivering Meta's health webhooks to WaHealth::WebhookEndpoint, served by Puma on 127.0.0.1.
RSpec.describe WaHealth::Testing::FakeGraph::Deliveries do
  let(:app_secret) { "fake-graph-app-secret-#{SecureRandom.hex(8)}" }
  let(:fake) { WaHealth::Testing::FakeGraph.new(app_secret: app_secret).start }
  let(:events) { [] }
  let(:received) { [] }
  # The endpoint as Chatwoot mounts it, behind a recorder of what came over the wire.
  let(:endpoint) { WaHealth::WebhookEndpoint.new(app_secret: app_secret, handler: ->(event) { events << event }) }
  let(:server) do
    LoopbackServer.start(lambda do |env|
      received << { body: env["rack.input"].read, signature: env["HTTP_X_HUB_SIGNATURE_256"],
                    content_type: env["CONTENT_TYPE"] }
      env["rack.input"].rewind
      endpoint.call(env)
    end)
  end
  let(:credentials) { { access_token: fake.access_token, app_secret: app_secret, base_url: fake.url } }

  before do
    fake.add_business_account("2005")
    fake.add_phone_number("1005", :display_name_pending, business_account: "2005",
                                                         display_phone_number: "+1 555-010-0005")
    fake.webhook_callback = server.url("/webhooks/whatsapp")
  end

  after do
    server.stop
    fake.stop
  end

  def health
    WaHealth.fetch(phone_number_id: "1005", **credentials)
  end

  def register
    WaHealth.register(phone_number_id: "1005", pin: "123456", **credentials)
  end

  it "approves the name, POSTs a signed phone_number_name_update APPROVED, and the number can then register" do
    snapshot = health
    expect { register }.to raise_error(WaHealth::DisplayNamePendingError)

    expect(fake.approve_display_name("1005")).to eq(200)

    expect(received.size).to eq(1)
    body = received.first[:body]
    expect(received.first[:signature]).to eq("sha256=#{OpenSSL::HMAC.hexdigest('SHA256', app_secret, body)}")
    expect(received.first[:content_type]).to eq("application/json")
    expect(fake.webhook_deliveries.map { |d| [d.field, d.body, d.status] })
      .to eq([["phone_number_name_update", body, 200]])
    expect(events.size).to eq(1)
    event = events.first
    expect(event).to include(kind: :name_update, waba_id: "2005", display_phone_number: "15550100005",
                             decision: "APPROVED", requested_verified_name: "Acme Support", rejection_reason: nil)
    expect(event[:time]).to be_within(5).of(Time.now.to_i)
    # The digits match the number's, so the event applies and asks for the registration.
    _, actions = WaHealth.apply_event(snapshot, event)
    expect(actions.map { |action| action[:type] }).to eq([:register_now])
    expect(fake.phone_number("1005")["name_status"]).to eq("APPROVED")
    expect(register).to be(true)
    expect(health[:status]).to eq("CONNECTED")
  end

  it "rejects the name with Meta's reason: the snapshot is DECLINED and register still answers 2388001" do
    snapshot = health
    expect(fake.reject_display_name("1005", reason: "NAME_FORMAT_UNACCEPTABLE")).to eq(200)
    expect(events.map { |e| e.slice(:decision, :rejection_reason) })
      .to eq([{ decision: "REJECTED", rejection_reason: "NAME_FORMAT_UNACCEPTABLE" }])
    updated, actions = WaHealth.apply_event(snapshot, events.first)
    expect(updated[:name_status]).to eq("DECLINED")
    expect(actions.map { |action| [action[:type], action.dig(:meta, :rejection_reason)] })
      .to eq([[:notify_risk, "NAME_FORMAT_UNACCEPTABLE"]])
    expect(health[:name_status]).to eq("DECLINED")
    expect { register }.to raise_error(WaHealth::DisplayNamePendingError)
  end

  it "flags the number: quality RED, status FLAGGED, and a phone_number_quality_update FLAGGED with its limit" do
    fake.add_phone_number("1001", business_account: "2005")
    snapshot = WaHealth.fetch(phone_number_id: "1001", **credentials)
    expect(fake.flag("1001")).to eq(200)
    expect(events.first).to include(kind: :quality_update, event: "FLAGGED", waba_id: "2005",
                                    display_phone_number: "15550100001")
    expect(events.first[:limits]).to include(current_limit: "TIER_2K")
    updated, actions = WaHealth.apply_event(snapshot, events.first)
    expect(updated[:status]).to eq("FLAGGED")
    expect(actions.map { |action| action[:type] }).to eq([:notify_risk])
    expect(WaHealth.fetch(phone_number_id: "1001", **credentials).slice(:status, :quality_rating))
      .to eq(status: "FLAGGED", quality_rating: "RED")
  end

  it "restricts the account with an account_update ACCOUNT_RESTRICTION carrying restriction_info" do
    expires = Time.now.to_i + 86_400
    status = fake.restrict_account("2005", restrictions: [{ type: "RESTRICTED_BIZ_INITIATED_MESSAGING",
                                                            expiration: expires }])
    expect(status).to eq(200)
    expect(events.first).to include(kind: :account_update, event: "ACCOUNT_RESTRICTION", waba_id: "2005")
    expect(events.first[:restriction_info])
      .to eq([{ restriction_type: "RESTRICTED_BIZ_INITIATED_MESSAGING", expiration: expires }])
  end

  it "delivers a corpus body byte for byte, signed" do
    path = File.expand_path("fixtures/meta/webhooks/phone_number_quality_update_throughput_upgrade.json", __dir__)
    body = "#{JSON.pretty_generate(JSON.parse(File.read(path))['body'])}\n"
    expect(fake.deliver_webhook(body)).to eq(200)
    expect(received.first[:body]).to eq(body)
    expect(events.first).to include(event: "THROUGHPUT_UPGRADE", waba_id: "102290129340398")
  end

  it "returns the endpoint's answer: 401 when it holds another app secret, and its handler is not called" do
    fake.app_secret = "another-app-secret"
    expect(fake.approve_display_name("1005")).to eq(401)
    expect(events).to be_empty
    expect(fake.webhook_deliveries.map(&:status)).to eq([401])
  end

  it "calls a Rack app in this process when given one instead of a URL" do
    fake.webhook_callback = endpoint
    expect(fake.approve_display_name("1005")).to eq(200)
    expect(events.map { |e| e[:decision] }).to eq(["APPROVED"])
    expect(received).to be_empty
  end

  it "changes the state but delivers nothing without a callback" do
    fake.webhook_callback = nil
    expect(fake.approve_display_name("1005")).to be_nil
    expect(fake.phone_number("1005")["name_status"]).to eq("APPROVED")
    expect(fake.webhook_deliveries).to be_empty
  end

  it "only delivers to the loopback, over http" do
    %w[http://10.0.0.1/webhooks https://127.0.0.1/webhooks http://chat.example.com/webhooks not-a-url].each do |url|
      expect { fake.webhook_callback = url }.to raise_error(ArgumentError, /webhook_callback must/)
    end
    %w[http://127.0.0.2:9/x http://[::1]:9/x http://localhost:9/x].each do |url|
      expect { fake.webhook_callback = url }.not_to raise_error
    end
  end

  it "raises DeliveryError within its timeout when the callback never answers or refuses, without the secret" do
    silent = TCPServer.new("127.0.0.1", 0)
    fake.webhook_timeout = 0.5
    fake.webhook_callback = "http://127.0.0.1:#{silent.addr[1]}/webhooks/whatsapp"
    took = elapsed do
      expect { fake.approve_display_name("1005") }
        .to raise_error(WaHealth::Testing::FakeGraph::DeliveryError,
                        %r{\Awebhook delivery to http://127\.0\.0\.1:\d+/webhooks/whatsapp failed \(Net::ReadTimeout\)})
    end
    expect(took).to be < 1.5
    silent.close
    expect { fake.flag("1005") }.to raise_error(WaHealth::Testing::FakeGraph::DeliveryError, /ECONNREFUSED/) do |e|
      expect(e.message).not_to include(app_secret)
    end
  end

  it "cannot sign without an app secret" do
    unsigned = WaHealth::Testing::FakeGraph.new.start
    unsigned.add_phone_number("1001", business_account: "2001")
    unsigned.webhook_callback = server.url
    expect { unsigned.flag("1001") }.to raise_error(WaHealth::Error, /no app_secret/)
    expect(received).to be_empty
  ensure
    unsigned&.stop
  end

  describe "what else Meta does" do
    it "delivers the same body again, several at once, and the endpoint hands the event over once" do
      fake.approve_display_name("1005")
      statuses = fake.redeliver(times: 4, concurrently: true)
      expect(statuses).to eq([200] * 4)
      expect(received.map { |r| r[:body] }.uniq.size).to eq(1)
      expect(received.size).to eq(5)
      expect(events.size).to eq(1)
    end

    it "holds deliveries and sends them newest first: an older rejection after a newer approval acts no more" do
      snapshot = health
      fake.hold_webhooks
      fake.reject_display_name("1005", reason: "NAME_FORMAT_UNACCEPTABLE", time: Time.now.to_i - 120)
      fake.approve_display_name("1005")
      expect(received).to be_empty
      expect(fake.release_webhooks(order: :reverse)).to eq([200, 200])
      expect(events.map { |event| event[:decision] }).to eq(%w[APPROVED REJECTED])
      approved, first_actions = WaHealth.apply_event(snapshot, events[0])
      after, late_actions = WaHealth.apply_event(approved, events[1])
      expect(first_actions.map { |action| action[:type] }).to eq([:register_now])
      expect([after, late_actions]).to eq([approved, []])
    end

    it "approves a name change: the new name becomes verified_name and is the event's requested_verified_name" do
      fake.add_phone_number("1001", business_account: "2005", verified_name: "Acme Support")
      registered = WaHealth.fetch(phone_number_id: "1001", **credentials)
      fake.request_display_name_change("1001", "Acme Help")
      expect(fake.phone_number("1001")).to include("new_name_status" => "PENDING_REVIEW",
                                                   "verified_name" => "Acme Support")
      expect(fake.approve_display_name("1001")).to eq(200)
      expect(fake.phone_number("1001")).to include("new_name_status" => "APPROVED", "verified_name" => "Acme Help")
      expect(events.last).to include(decision: "APPROVED", requested_verified_name: "Acme Help")
      _, actions = WaHealth.apply_event(registered, events.last)
      expect(actions.map do |action|
               action.slice(:type, :reason)
             end).to eq([{ type: :register_now, reason: :name_change }])
    end

    it "sends partner events to the partner's portfolio with the customer's WABA in waba_info" do
      expect(fake.remove_partner("2005", partner_business_id: "9005", reason: "ACCOUNT_DISCONNECTED",
                                         initiated_by: "USER")).to eq(200)
      expect(fake.uninstall_partner_app("2005", partner_business_id: "9005", partner_app_id: "777")).to eq(200)
      body = JSON.parse(received.first[:body])
      expect(body.dig("entry", 0, "id")).to eq("9005")
      expect(body.dig("entry", 0, "changes", 0, "value"))
        .to eq("event" => "PARTNER_REMOVED", "waba_info" => { "waba_id" => "2005", "owner_business_id" => "9001" },
               "disconnection_info" => { "reason" => "ACCOUNT_DISCONNECTED", "initiated_by" => "USER" })
      expect(events.map { |event| event.values_at(:event, :waba_id, :entry_id) })
        .to eq([%w[PARTNER_REMOVED 2005 9005], %w[PARTNER_APP_UNINSTALLED 2005 9005]])
      expect(events.last.dig(:value, "waba_info", "partner_app_id")).to eq("777")
      _, actions = WaHealth.apply_event(health, events.first)
      expect(actions.map { |action| action[:type] }).to eq([:reauthorize])
    end

    it "sends account alerts in the shape of Meta's reference" do
      expect(fake.alert("2005", type: "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", severity: "WARNING",
                                description: "Limits cannot be increased")).to eq(200)
      expect(events.first).to include(kind: :account_alert, entity_type: "BUSINESS", entity_id: "2005",
                                      alert_info: { alert_severity: "WARNING", alert_status: "ACTIVE",
                                                    alert_type: "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED",
                                                    alert_description: "Limits cannot be increased" })
    end

    it "changes and resets the two-step PIN as WhatsApp Manager does, with Meta's security events" do
      fake.approve_display_name("1005")
      expect(fake.change_pin("1005", pin: "111111")).to eq(200)
      expect { register }.to raise_error(WaHealth::ApiError) { |e| expect(e.code).to eq(133_005) }
      expect(fake.request_pin_reset("1005", requester: "61555822107539")).to eq(200)
      expect(fake.complete_pin_reset("1005")).to eq(200)
      expect(register).to be(true) # two-step verification is off: the registration sets the PIN it is given
      expect(events.drop(1).map { |event| [event[:kind], event[:event], event[:requester]] })
        .to eq([[:security, "PIN_CHANGED", nil], [:security, "PIN_RESET_REQUEST", "61555822107539"],
                [:security, "PIN_REQUEST_SUCCESS", nil]])
      expect(events.drop(1).map { |event| WaHealth.apply_event(health, event).last.map { |a| a[:reason] } })
        .to eq([[:pin_changed], [:pin_reset_requested], [:pin_reset]])
    end

    it "delivers again after the endpoint did not answer in time, and the event is handled once" do
      slow = WaHealth::WebhookEndpoint.new(app_secret: app_secret, handler: lambda do |event|
        sleep 1
        events << event
      end)
      slow_server = LoopbackServer.start(slow)
      fake.webhook_callback = slow_server.url("/webhooks/whatsapp")
      fake.webhook_timeout = 0.3
      expect { fake.approve_display_name("1005") }.to raise_error(WaHealth::Testing::FakeGraph::DeliveryError)
      expect(fake.webhook_deliveries.map(&:status)).to eq([nil])
      fake.webhook_timeout = 10
      # Meta retries; the first delivery's handler is done by then, or still acting (503, retried again).
      statuses = []
      until statuses.last == 200 || statuses.size > 100
        sleep 0.1 unless statuses.empty?
        statuses << fake.redeliver.first
      end
      expect(statuses.last).to eq(200)
      expect(events.size).to eq(1)
    ensure
      slow_server&.stop
    end
  end
end
