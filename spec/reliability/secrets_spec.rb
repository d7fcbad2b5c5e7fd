# frozen_string_literal: true

require "cgi"
require "erb"

require "logger"
require "pp" # rubocop:disable Lint/RedundantRequireStatement -- PP itself is not loaded by default
require "securerandom"
require "stringio"
require "yaml"
require "active_support/notifications"
require "wa_health/cli"
require_relative "helpers"

# Walks every error path and every place the gem writes text, and checks that neither the access
# token, the app secret, the registration PIN nor the verify token appears in any message, inspect,
# backtrace, Marshal or YAML dump (of the error and its whole cause chain), instrumentation payload or
# log line, even when Meta (or a hostile server) quotes them back, percent-encoded or in another case.
RSpec.describe "Secrets in errors, logs and output" do
  include ReliabilityHelpers

  let(:token) { "EAAG#{SecureRandom.alphanumeric(48)}" }
  let(:app_secret) { SecureRandom.hex(16) }
  let(:pin) { format("%06d", 100_000 + SecureRandom.random_number(900_000)) }
  let(:secrets) { [token, app_secret, pin] }
  let(:fake) { WaHealth::Testing::FakeGraph.new(access_token: token, app_secret: app_secret).start }
  let(:log) { StringIO.new }
  let(:logger) { Logger.new(log) }
  let(:options) { { base_url: fake.url, app_secret: app_secret, timeout: 2 } }

  before do
    fake.add_phone_number("1001", :not_verified, business_account: "2001")
    fake.add_business_account("2001")
  end

  after { fake.stop }

  # Everything a Rails log, an error tracker, a job queue or a console could show of an exception and of
  # every exception in its cause chain (and in a WebhookSetupError's result), as binary text.
  def everything_about(error)
    return "" if error.nil?

    texts = [error.message, error.inspect, error.to_s, error.full_message(highlight: false),
             error.full_message(highlight: true, order: :bottom), *error.backtrace, Marshal.dump(error),
             YAML.dump(error)]
    if error.is_a?(WaHealth::ApiError)
      texts += [error.user_message, error.user_title, error.error_type, error.fbtrace_id].compact
    end
    texts += everything_about_result(error.result) if error.respond_to?(:result)
    (texts + [everything_about(error.cause)]).map { |text| text.to_s.b }.join("\n")
  end

  def everything_about_result(result)
    [result.inspect, everything_about(result&.health_error), everything_about(result&.registration_error)]
  end

  # Every value of an instrumentation payload, exceptions (:exception_object) in full.
  def everything_in(value)
    case value
    when Hash then value.map { |key, item| "#{key.inspect} => #{everything_in(item)}" }.join("\n")
    when Array then value.map { |item| everything_in(item) }.join("\n")
    when Exception then everything_about(value)
    else value.inspect.b
    end
  end

  # The payloads of the events the block sends through ActiveSupport::Notifications, as a subscriber
  # gets them: a failed call's with ActiveSupport's :exception ([class name, message]) and
  # :exception_object.
  def instrumented
    payloads = []
    subscriber = ActiveSupport::Notifications.subscribe(/\.wa_health\z/) { |*, payload| payloads << payload }
    WaHealth.config.instrumenter = ActiveSupport::Notifications
    yield
    payloads
  ensure
    ActiveSupport::Notifications.unsubscribe(subscriber)
    WaHealth.config.instrumenter = nil
  end

  # A secret as a server might quote it: as is, percent-encoded as in a form or a URL, every byte
  # that is not a letter or digit as %XX (compared ignoring case, so any letter case too).
  def forms_of(secret)
    every_byte = secret.gsub(/[^A-Za-z0-9]/) { |char| char.bytes.map { |b| format("%%%02X", b) }.join }
    [secret, CGI.escape(secret), ERB::Util.url_encode(secret), every_byte].uniq
  end

  # known: the secrets the code that wrote `text` was given (it cannot redact what it never saw).
  def expect_clean(text, known = secrets)
    folded = text.to_s.b.downcase
    known.each do |secret|
      forms_of(secret).each { |form| expect(folded).not_to include(form.b.downcase), "#{secret} quoted as #{form}" }
    end
    expect(text.to_s.b).not_to match(/EAAG[A-Za-z0-9]{16}/n) # nor any other token-looking value
  end

  def error_from
    yield
    raise "expected an error"
  rescue WaHealth::Error, ArgumentError => e
    e
  end

  # Meta's envelope quoting all three secrets in every text member.
  def quoting_error(code:, status: 400, **match)
    quote = "token #{token} secret #{app_secret} pin #{pin}"
    fake.queue_error(status: status, code: code, message: "Bad: #{quote}", type: "OAuth #{quote}",
                     user_title: quote, user_message: quote, **match)
  end

  def fetch(**extra)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, **options, **extra)
  end

  it "keeps them out of API errors that quote them, on every call" do
    calls = {
      fetch: -> { fetch },
      register: -> { WaHealth.register(phone_number_id: "1001", access_token: token, pin: pin, **options) },
      deregister: -> { WaHealth.deregister(phone_number_id: "1001", access_token: token, **options) },
      subscribe: lambda {
        WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, callback_url: "https://x/hook",
                                   verify_token: "v", **options)
      }
    }
    calls.each do |name, call|
      known = name == :register ? secrets : [token, app_secret]
      [190, 100, 4, 131_031].each do |code|
        quoting_error(code: code)
        error = nil
        payloads = instrumented { error = error_from(&call) }
        expect(error).to be_a(WaHealth::ApiError)
        expect_clean(everything_about(error), known)
        expect(payloads.size).to eq(1)
        expect(payloads.first[:exception_object]).to equal(error)
        expect_clean(everything_in(payloads), known)
      end
    end
  end

  it "keeps them out of transport and response errors" do
    errors = []
    fake.queue_response(status: 200, body: "not json: #{token} #{app_secret} #{pin}")
    errors << error_from { fetch }
    fake.queue_response(status: 502, body: "<html>#{token} #{app_secret}</html>", content_type: "text/html")
    errors << error_from { fetch }
    fake.queue_response(status: 200, body: "{\"pad\":\"#{'x' * (1024 * 1024)}\",\"t\":\"#{token}\"}")
    errors << error_from { fetch }
    fake.queue_response(hang_up: true)
    errors << error_from { fetch }
    fake.queue_response(status: 200, body: "{\"id\":\"#{token}\"}", cut_after: 10)
    errors << error_from { fetch }
    fake.queue_response(status: 200, body: {}, delay: 5)
    errors << error_from { fetch(timeout: 0.2) }
    port, sockets = hanging_port
    errors << error_from { fetch(base_url: "http://127.0.0.1:#{port}", open_timeout: 0.2) }
    sockets.each(&:close)
    errors << error_from { fetch(base_url: "https://#{unresolvable_host}") }
    errors << error_from { fetch(base_url: "http://127.0.0.1:1") }
    expect(errors.map(&:class).uniq).to contain_exactly(WaHealth::InvalidResponseError, WaHealth::ApiError,
                                                        WaHealth::ConnectionError, WaHealth::TimeoutError)
    errors.each { |error| expect_clean(everything_about(error), [token, app_secret]) }
  end

  it "keeps them out when Meta quotes them percent-encoded or in another letter case" do
    quoted = "#{CGI.escape(app_secret.upcase)} #{token.swapcase} #{token.downcase} #{ERB::Util.url_encode(token)}"
    fake.queue_error(code: 100, message: "Invalid parameter #{quoted}")
    error = error_from { fetch }
    expect(error).to be_a(WaHealth::ApiError)
    expect_clean(everything_about(error).downcase, [token.downcase, app_secret.downcase])
  end

  it "never quotes a header value: a Content-Type carrying a secret is not echoed" do
    fake.queue_response(status: 502, body: "<html>x</html>", content_type: "text/#{app_secret}; charset=#{token}")
    error = error_from { fetch }
    expect(error.message).to include("unexpected content type body")
    expect_clean(everything_about(error))
  end

  it "refuses a plain-http base URL off this machine, so the token never travels in cleartext" do
    expect { fetch(base_url: "http://graph.facebook.com") }.to raise_error(ArgumentError, /https/)
    config = WaHealth::Configuration.new
    config.base_url = "https://user:#{app_secret}@graph.example"
    expect(config.inspect).not_to include(app_secret)
  end

  it "keeps them out of argument errors, whatever is wrong with them" do
    errors = [
      error_from { WaHealth.fetch(phone_number_id: "1001", access_token: "#{token} #{app_secret}", **options) },
      error_from { WaHealth.fetch(phone_number_id: "1001", access_token: "#{token}\xFF", **options) },
      error_from { WaHealth.fetch(phone_number_id: "1001", access_token: token * 100, **options) },
      error_from { WaHealth.fetch(phone_number_id: token, access_token: token, **options) },
      error_from { fetch(app_secret: "#{app_secret}\xFF") },
      error_from { fetch(timeout: token) },
      error_from { fetch(base_url: "http://#{token}:#{app_secret}@127.0.0.1") },
      error_from { WaHealth.register(phone_number_id: "1001", access_token: token, pin: "#{pin}0", **options) },
      error_from { WaHealth.register(phone_number_id: "1001", access_token: token, pin: pin.to_sym, **options) },
      error_from { WaHealth.fetch(phone_number_id: "1001", access_token: token, acces_token: token) },
      error_from do
        WaHealth.subscribe_webhook(business_account_id: "2001", access_token: token, callback_url: "ftp://#{token}",
                                   verify_token: "v", **options)
      end
    ]
    expect(errors).to all(be_a(ArgumentError))
    errors.each { |error| expect_clean(everything_about(error)) }
  end

  it "keeps them out of WebhookSetup's log lines, errors, the error's cause, full_message and Marshal" do
    verify_token = "verify-#{SecureRandom.hex(8)}"
    quote = "token #{token} secret #{app_secret} pin #{pin} verify #{verify_token}"
    quoting_error(code: 133_005, endpoint: :register) # PIN mismatch, quoting the PIN
    fake.queue_error(code: 190, status: 401, endpoint: :subscribed_apps, message: quote, user_message: quote)
    setup = WaHealth::WebhookSetup.new(phone_number_id: "1001", business_account_id: "2001", access_token: token,
                                       callback_url: "https://chat.example.com/hook", verify_token: verify_token,
                                       pin: pin, logger: logger, **options)
    error = error_from { setup.perform }
    expect(error).to be_a(WaHealth::WebhookSetupError)
    expect(error.cause).to be_a(WaHealth::AuthorizationError).and have_attributes(code: 190)
    expect(log.string.lines.size).to be >= 3
    all = [*secrets, verify_token]
    expect_clean(log.string, all)
    expect_clean([error.message, error.inspect, *error.backtrace, setup.inspect, setup.to_s, PP.pp(setup, +"")].join,
                 all)
    expect_clean([everything_about(error), error.full_message, error.cause.full_message, Marshal.dump(error),
                  Marshal.dump(error.cause), error.cause.user_message].join, all)
  end

  context "in a WebhookSetup run, where Meta's answer to any call may quote the PIN or the verify token" do
    # Characters that percent-encode, so that the encoded forms differ from the plain one.
    let(:verify_token) { "vt+#{SecureRandom.hex(8)}/x=y" }
    let(:all) { [*secrets, verify_token] }
    let(:quote) do
      "token #{token} secret #{app_secret} pin #{pin} verify #{verify_token} #{CGI.escape(verify_token)} " \
        "#{ERB::Util.url_encode(verify_token).downcase} #{verify_token.upcase}"
    end

    def quote_on(endpoint, code: 100, status: 400)
      fake.queue_error(code: code, status: status, endpoint: endpoint, message: "Bad: #{quote}", type: quote,
                       user_title: quote, user_message: quote)
    end

    def setup_run(pin: self.pin)
      setup = WaHealth::WebhookSetup.new(phone_number_id: "1001", business_account_id: "2001", access_token: token,
                                         callback_url: "https://chat.example.com/hook", verify_token: verify_token,
                                         pin: pin, logger: logger, **options)
      error = nil
      payloads = instrumented { error = error_from { setup.perform } }
      expect(error).to be_a(WaHealth::WebhookSetupError)
      [error, payloads]
    end

    def expect_all_clean(error, payloads)
      expect(payloads.count { |payload| payload.key?(:exception_object) }).to be >= 2
      expect_clean(everything_about(error), all)
      expect_clean(everything_in(payloads), all)
      expect_clean(log.string, all)
    end

    it "keeps them out when the health read and the phone webhook override quote them" do
      quote_on(:get, code: 1, status: 500)
      quote_on(:webhook_configuration, code: 190, status: 401)
      error, payloads = setup_run
      expect(error.result.health_error).to be_a(WaHealth::ApiError)
      expect(error.cause).to be_a(WaHealth::AuthorizationError)
      expect_all_clean(error, payloads)
    end

    it "keeps them out when register and subscribe_app quote them" do
      quote_on(:register, code: 133_005) # PIN mismatch
      quote_on(:subscribed_apps, code: 190, status: 401)
      error, payloads = setup_run
      expect(error.result.registration_error).to be_a(WaHealth::ApiError)
      expect(error.cause).to be_a(WaHealth::AuthorizationError)
      expect_all_clean(error, payloads)
    end

    it "keeps a PIN it generated out of the webhook calls' errors" do
      allow(WaHealth).to receive(:generate_pin).and_return(pin)
      quote_on(:subscribed_apps, code: 190, status: 401)
      error, payloads = setup_run(pin: nil)
      expect(error.result.pin).to eq(pin)
      expect(payloads.count { |payload| payload.key?(:exception_object) }).to eq(1)
      expect_clean(everything_about(error), all)
      expect_clean(everything_in(payloads), all)
    end

    it "leaves nothing behind on the fiber once the run is over" do
      quote_on(:subscribed_apps, code: 190, status: 401)
      setup_run
      expect(WaHealth::Redaction.current).to be_empty
    end
  end

  it "keeps them out of a successful WebhookSetup's log and inspect (the PIN is only in result.pin)" do
    setup = WaHealth::WebhookSetup.new(phone_number_id: "1001", business_account_id: "2001", access_token: token,
                                       callback_url: "https://chat.example.com/hook", verify_token: "v", pin: pin,
                                       logger: logger, **options)
    result = setup.perform
    expect(result.pin).to eq(pin)
    expect_clean([log.string, result.inspect, result.to_s, setup.inspect].join)
  end

  it "keeps the app secret out of the configuration's and the graph settings' inspect" do
    WaHealth.configure { |c| c.app_secret = app_secret }
    shown = [WaHealth.config.inspect, WaHealth.config.to_s, PP.pp(WaHealth.config, +""),
             WaHealth.config.graph_settings.inspect, WaHealth.config.graph_settings.to_s]
    expect_clean(shown.join)
    expect(WaHealth.config.inspect).to include("app_secret=[REDACTED]")
  end

  it "keeps the token out of the CLI's output, even when Meta quotes it" do
    fake.app_secret = nil
    quoting_error(code: 190, status: 401)
    out = StringIO.new
    err = StringIO.new
    cli = WaHealth::CLI.new(out: out, err: err, env: { "WA_HEALTH_ACCESS_TOKEN" => token })
    status = cli.run(["check", "--phone-number-id", "1001", "--base-url", fake.url])
    expect(status).to eq(2)
    expect(out.string + err.string).to include("190")
    json_out = StringIO.new
    quoting_error(code: 190, status: 401)
    WaHealth::CLI.new(out: json_out, err: err, env: { "WA_HEALTH_ACCESS_TOKEN" => token })
                 .run(["check", "--json", "--phone-number-id", "1001", "--base-url", fake.url])
    expect_clean(out.string + err.string + json_out.string, [token])
  end
end
