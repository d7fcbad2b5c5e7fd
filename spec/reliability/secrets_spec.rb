# frozen_string_literal: true

require "cgi"
require "erb"

require "logger"
require "pp" # rubocop:disable Lint/RedundantRequireStatement -- PP itself is not loaded by default
require "securerandom"
require "stringio"
require "wa_health/cli"
require_relative "helpers"

# Walks every error path and every place the gem writes text, and checks that neither the access
# token, the app secret nor the registration PIN appears in any message, inspect, backtrace or log
# line, even when Meta (or a hostile server) quotes them back.
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

  # Everything a Rails log, an error tracker or a console could show of an exception.
  def everything_about(error)
    return "" if error.nil?

    texts = [error.message, error.inspect, error.to_s, error.full_message(highlight: false), *error.backtrace]
    if error.is_a?(WaHealth::ApiError)
      texts += [error.user_message, error.user_title, error.error_type, error.fbtrace_id].compact
    end
    texts += [error.result.inspect] if error.respond_to?(:result)
    (texts + [everything_about(error.cause)]).join("\n")
  end

  # known: the secrets the code that wrote `text` was given (it cannot redact what it never saw).
  def expect_clean(text, known = secrets)
    known.each { |secret| expect(text).not_to include(secret) }
    expect(text).not_to match(/EAAG[A-Za-z0-9]{16}/) # nor any other token-looking value
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
        error = error_from(&call)
        expect(error).to be_a(WaHealth::ApiError)
        expect_clean(everything_about(error), known)
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
