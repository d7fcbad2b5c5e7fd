# frozen_string_literal: true

require "json"
require "logger"
require "openssl"
require "rack/mock"
require "stringio"
require "timeout"
require_relative "support/blocking_handler"

# WaHealth::WebhookEndpoint as a Rack app, called in this process: each health event of a body handled on its
# own and once (the event ledger), a time limit on the handler, log lines without secrets, the body limit.
# spec/puma/webhook_endpoint_spec.rb serves it with Puma for what needs real connections.
RSpec.describe WaHealth::WebhookEndpoint do
  let(:app_secret) { "endpoint-app-secret-#{SecureRandom.hex(6)}" }
  let(:verify_token) { "endpoint-verify-token-#{SecureRandom.hex(6)}" }
  let(:log) { StringIO.new }
  let(:handled) { [] }
  let(:handler) { ->(event) { handled << event } }
  let(:endpoint) { described_class.new(app_secret: app_secret, verify_token: verify_token, handler: handler) }
  let(:waba) { "102290129340398" }

  before do
    WaHealth.config.logger = Logger.new(log)
  end

  def corpus_body(name)
    JSON.parse(File.read(File.expand_path("fixtures/meta/webhooks/#{name}", __dir__)))["body"]
  end

  def change_of(name)
    corpus_body(name)["entry"][0]["changes"][0]
  end

  def envelope(changes, time: 1_739_321_024, **entry)
    entry = { "id" => waba, "time" => time, "changes" => changes }.merge(entry.transform_keys(&:to_s))
    entry.delete("time") if time == :none
    JSON.generate("object" => "whatsapp_business_account", "entry" => [entry])
  end

  def post(body, to: endpoint, env: {})
    signature = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', app_secret, body)}"
    request = Rack::MockRequest.new(to)
    request.post("/webhooks/whatsapp", { input: body, "CONTENT_TYPE" => "application/json",
                                         "HTTP_X_HUB_SIGNATURE_256" => signature }.merge(env))
  end

  # quality FLAGGED changes of one number, each with its own limit so that each is a different event.
  def flags(count)
    Array.new(count) do |i|
      { "field" => "phone_number_quality_update",
        "value" => { "display_phone_number" => "15550783881", "event" => "FLAGGED", "current_limit" => "TIER_#{i}K" } }
    end
  end

  describe "each event once (the event ledger)" do
    it "hands an event to the handler once, however often Meta delivers it" do
      body = JSON.generate(corpus_body("phone_number_name_update_approved.json"))
      statuses = Array.new(3) { post(body).status }
      expect(statuses).to eq([200, 200, 200])
      expect(handled.map { |event| event[:decision] }).to eq(["APPROVED"])
      # Another endpoint (another Puma worker) with the same ledger does not hand it over either.
      other = described_class.new(app_secret: app_secret, handler: handler)
      expect(post(body, to: other).status).to eq(200)
      expect(handled.size).to eq(1)
    end

    it "acts once on each of 40 changes of one field in one second, delivered twice (the snapshot keeps 32)" do
      snapshot = { display_phone_number: "+1 555-078-3881", business_id: waba, status: "CONNECTED" }
      actions = []
      apply = lambda do |event|
        snapshot, taken = WaHealth.apply_event(snapshot, event)
        actions.concat(taken.map { |action| action[:type] })
      end
      with_app_handler = described_class.new(app_secret: app_secret, handler: apply)
      body = envelope(flags(40))
      2.times { expect(post(body, to: with_app_handler).status).to eq(200) }
      expect(actions.count(:notify_risk)).to eq(40)
    end

    it "acts once on an event without a time, with a fractional time, or a time past 64 bits" do
      reset = change_of("account_update_partner_app_uninstalled.json")
      bodies = [envelope([reset], time: :none), envelope([reset], time: 1_748_811_473.5),
                envelope([reset], time: 2**64), envelope([reset], time: "not a time")]
      2.times { bodies.each { |body| expect(post(body).status).to eq(200) } }
      expect(handled.map { |event| event[:time] }).to eq([nil, 1_748_811_473, nil, nil])
    end

    it "answers 503 and hands nothing over while the ledger cannot be reached, so Meta delivers again" do
      down = Class.new do
        def claim(*) = raise(IOError, "Connection refused - connect(2) for 127.0.0.1:6379")
        def complete(*) = raise(IOError)
        def release(*) = raise(IOError)
      end
      ledger = WaHealth::EventLedger.new(down.new)
      unreachable = described_class.new(app_secret: app_secret, handler: handler, ledger: ledger)
      response = post(JSON.generate(corpus_body("phone_number_name_update_approved.json")), to: unreachable)
      expect(response.status).to eq(503)
      expect(handled).to be_empty
      expect(log.string).to include("event ledger's store is unavailable (IOError)")
      expect(log.string).not_to include("6379")
    end

    it "answers 503 for an event another delivery is still acting on, and 200 once it is done" do
      ledger = WaHealth.config.event_ledger
      body = JSON.generate(corpus_body("phone_number_name_update_approved.json"))
      event_id = WaHealth::Webhook.parse(body).first[:event_id]
      claim = ledger.claim(described_class::LEDGER_SCOPE, event_id, lease: 30)
      expect(post(body).status).to eq(503)
      expect(handled).to be_empty
      ledger.complete(claim)
      expect(post(body).status).to eq(200)
      expect(handled).to be_empty
    end
  end

  describe "each change on its own" do
    it "hands every change to the handler when one raises, and Meta's retry re-runs only the failed one" do
      ban = change_of("account_update_disabled_update_reinstate.json")
      ban = ban.merge("value" => ban["value"].merge("ban_info" => { "waba_ban_state" => "DISABLE" }))
      changes = [change_of("phone_number_name_update_approved.json"),
                 change_of("phone_number_quality_update_flagged_tier_10k.json"), ban]
      failing = true
      flaky = lambda do |event|
        handled << event[:field]
        raise "database is down" if failing && event[:kind] == :quality_update
      end
      with_flaky = described_class.new(app_secret: app_secret, handler: flaky)
      body = envelope(changes)

      expect(post(body, to: with_flaky).status).to eq(500)
      expect(handled).to eq(%w[phone_number_name_update phone_number_quality_update account_update])
      failing = false
      expect(post(body, to: with_flaky).status).to eq(200)
      expect(handled.drop(3)).to eq(%w[phone_number_quality_update])
      expect(post(body, to: with_flaky).status).to eq(200)
      expect(handled.size).to eq(4)
    end

    it "interrupts a handler that runs out of time, answers 503, and leaves that event to Meta's retry" do
      stuck = true
      slow = lambda do |event|
        sleep 60 if stuck && event[:kind] == :name_update
        handled << event[:kind]
      end
      timed = described_class.new(app_secret: app_secret, handler: slow, handler_timeout: 0.5)
      body = envelope([change_of("phone_number_name_update_approved.json"),
                       change_of("phone_number_quality_update_flagged_tier_10k.json")])

      expect(post(body, to: timed).status).to eq(503)
      expect(handled).to eq([]) # the quality change was not started: the time was up
      expect(log.string)
        .to match(/event_handler ran out of time \(handler_timeout 0\.5s\) on phone_number_name_update event \h{32}/)
      stuck = false
      expect(post(body, to: timed).status).to eq(200)
      expect(handled).to eq(%i[name_update quality_update])
    end

    it "rolls back what an interrupted handler did in a transaction-like block (its own exception, not a throw)" do
      rolled_back = false
      transactional = lambda do |_event|
        yield_to_timeout = proc { sleep 60 }
        begin
          yield_to_timeout.call
        rescue StandardError
          raise "a handler's rescue StandardError must not see the timeout"
        ensure
          rolled_back = true
        end
      end
      timed = described_class.new(app_secret: app_secret, handler: transactional, handler_timeout: 0.2)
      expect(post(JSON.generate(corpus_body("phone_number_name_update_approved.json")), to: timed).status).to eq(503)
      expect(rolled_back).to be(true)
    end
  end

  describe "what it logs" do
    it "logs a handler's error on one line without the app secret, the verify token, a Meta token or a PIN" do
      WaHealth.config.app_secret = app_secret
      WaHealth.config.webhook_verify_token = verify_token
      token = "EAAG#{SecureRandom.alphanumeric(40)}"
      leaky = lambda do |_event|
        raise ArgumentError, "secret #{app_secret}\nverify #{verify_token}\r\n" \
                             "[wa_health] forged line token=#{token} pin=654321"
      end
      with_leaky = described_class.new(handler: lambda { |event|
                                                  WaHealth::Redaction.also_redacting("654321") do
                                                    leaky.call(event)
                                                  end
                                                })
      expect(post(JSON.generate(corpus_body("phone_number_name_update_approved.json")), to: with_leaky).status)
        .to eq(500)
      lines = log.string.lines
      expect(lines.size).to eq(1)
      line = lines.first
      [app_secret, verify_token, token, "654321", "\r"].each { |secret| expect(line).not_to include(secret) }
      expect(line).to include("event_handler raised ArgumentError on phone_number_name_update event",
                              "secret [REDACTED]\\nverify [REDACTED]\\r\\n[wa_health] forged line token=[REDACTED]")
    end
  end

  describe "the body limit" do
    let(:messages) do
      statuses = Array.new(6_650) do |i|
        { "id" => "wamid.#{i.to_s.rjust(40, '0')}", "status" => "delivered", "timestamp" => "1739321024",
          "recipient_id" => "15550783881", "conversation" => { "id" => "c#{i}", "origin" => { "type" => "service" } },
          "pricing" => { "billable" => true, "pricing_model" => "CBP", "category" => "service" } }
      end
      envelope([{ "field" => "messages", "value" => { "messaging_product" => "whatsapp", "statuses" => statuses } }])
    end

    it "admits Meta's largest bodies (up to 3 MB) and forwards them: a signed 1.65 MiB messages body" do
      forwarded = []
      forwarding = described_class.new(app_secret: app_secret, handler: handler,
                                       forward: lambda { |env|
                                                  (forwarded << env["rack.input"].read.bytesize) && [200, {}, []]
                                                })
      body = messages
      expect(body.bytesize).to be_between(1.6 * 1024 * 1024, 1.7 * 1024 * 1024)
      expect(post(body, to: forwarding).status).to eq(200)
      expect(forwarded).to eq([body.bytesize])
      padded = envelope([change_of("phone_number_name_update_approved.json")],
                        padding: " " * (3_145_728 - 400))
      expect(padded.bytesize).to be > 3_000_000
      expect(post(padded).status).to eq(200)
      expect(WaHealth::Webhook::MAX_BODY_BYTES).to eq(4 * 1024 * 1024)
    end

    it "refuses a body declared over the limit before reading a byte of it, and one that turns out longer" do
      never_read = Object.new.tap do |input|
        def input.read(*) = raise("the body was read")
        def input.rewind = raise("the body was read")
      end
      huge = (2 * (1024**3)).to_s # as a 1.9 GiB upload declares itself
      response = Rack::MockRequest.new(endpoint).post("/", "rack.input" => never_read, "CONTENT_LENGTH" => huge)
      expect(response.status).to eq(413)
      over = " " * (WaHealth::Webhook::MAX_BODY_BYTES + 1)
      expect(post(over, env: { "CONTENT_LENGTH" => nil }).status).to eq(413)
    end
  end

  it "takes at most Puma's max_threads less one POSTs into the handler at once, unless told otherwise" do
    blocking = BlockingHandler.new
    puma = { "puma.config" => Struct.new(:options).new({ max_threads: 2 }) }
    by_default = described_class.new(app_secret: app_secret, handler: blocking)
    first = Thread.new do
      post(JSON.generate(corpus_body("phone_number_name_update_approved.json")), to: by_default,
                                                                                 env: puma).status
    end
    blocking.entered
    expect(post(JSON.generate(corpus_body("security_pin_reset_request.json")), to: by_default, env: puma).status)
      .to eq(503)
    blocking.release
    expect(first.value).to eq(200)
    expect { described_class.new(max_concurrent_handlers: 0) }.to raise_error(ArgumentError, /max_concurrent/)
  end
end
