# frozen_string_literal: true

require "rails_helper"
require "open3"
require "rbconfig"

RSpec.describe WaHealth::Railtie do
  let(:options) { WaHealth::Railtie::Options.new }

  it "maps config.wa_health's connection settings onto WaHealth.config and keeps the defaults of unset ones" do
    WaHealth.reset_config!
    options.api_version = "v23.0"
    options.base_url = "http://127.0.0.1:9"
    options.timeout = 3
    options.app_secret = "railtie-app-secret"
    described_class.apply(options)
    config = WaHealth.config
    expect([config.api_version, config.base_url, config.timeout, config.app_secret])
      .to eq(["v23.0", "http://127.0.0.1:9", 3, "railtie-app-secret"])
    expect(config.open_timeout).to eq(WaHealth::Configuration::DEFAULT_OPEN_TIMEOUT)
  end

  it "defaults the logger to Rails.logger and the instrumenter to ActiveSupport::Notifications" do
    WaHealth.reset_config!
    described_class.apply(options)
    expect(WaHealth.config.logger).to be(Rails.logger)
    expect(WaHealth.config.instrumenter).to be(ActiveSupport::Notifications)
  end

  it "takes another logger or instrumenter, or nil to turn them off" do
    logger = Logger.new(nil)
    options.logger = logger
    options.instrumenter = nil
    described_class.apply(options)
    expect(WaHealth.config.logger).to be(logger)
    expect(WaHealth.config.instrumenter).to be_nil
  end

  it "hides the app secret when config.wa_health is inspected" do
    options.app_secret = "railtie-app-secret"
    options.api_version = "v24.0"
    [options.inspect, options.to_s, Rails.application.config.wa_health.inspect].each do |text|
      expect(text).not_to include("railtie-app-secret")
    end
    expect(options.inspect).to include("[REDACTED]", '"v24.0"')
  end

  it "ran at the app's boot: the app's settings are in WaHealth.config and the secret names are filtered" do
    expect(Rails.application.initializers.map(&:name))
      .to include("wa_health.configure", "wa_health.filter_parameters", "wa_health.sidekiq")
    expect([WaHealth.config.api_version, WaHealth.config.timeout]).to eq(["v24.0", 5.0])
    expect(Rails.application.config.filter_parameters).to include(*WaHealth::Railtie::FILTER_PARAMETERS)
    filter = ActiveSupport::ParameterFilter.new(Rails.application.config.filter_parameters)
    params = { "channel" => { "provider_config" => { "api_key" => "EAAG-secret" } }, "access_token" => "EAAG-secret" }
    expect(filter.filter(params).to_s).not_to include("EAAG-secret")
  end

  it "is loaded by a plain `require \"wa_health\"` in an app that loaded Rails first, and loads the Sidekiq " \
     "integration at boot for a Sidekiq required after wa_health" do
    script = <<~RUBY
      require "rails"
      require "action_controller/railtie"
      require "wa_health"
      abort "SweepJob too early" if defined?(WaHealth::SweepJob)
      require "sidekiq"
      class BootCheck < Rails::Application
        config.eager_load = false
        config.logger = Logger.new(nil)
        config.secret_key_base = "boot-check"
        config.wa_health.api_version = "v21.0"
      end
      Rails.env = "test"
      BootCheck.initialize!
      puts [WaHealth.config.api_version, WaHealth.config.logger.equal?(Rails.logger),
            WaHealth.config.instrumenter.equal?(ActiveSupport::Notifications), defined?(WaHealth::SweepJob)].inspect
    RUBY
    out, err, status = Open3.capture3(RbConfig.ruby, "-w", "-I", File.expand_path("../../lib", __dir__), "-e", script)
    expect(status).to be_success, err
    expect(out).to eq(%(["v21.0", true, true, "constant"]\n))
    expect(err).not_to match(/circular require/)
  end

  it "maps the webhooks' settings and hides the verify token in config.wa_health.inspect" do
    handler = ->(_event) {}
    options.webhook_verify_token = "railtie-verify-token"
    options.event_handler = handler
    described_class.apply(options)
    expect(WaHealth.config.webhook_verify_token).to eq("railtie-verify-token")
    expect(WaHealth.config.event_handler).to be(handler)
    expect(options.inspect).not_to include("railtie-verify-token")
    expect(Rails.application.config.filter_parameters).to include(:verify_token)
  end

  it "maps every setting of WaHealth::Configuration, the ones added since included" do
    values = WaHealth::Configuration::SETTINGS.to_h do |name|
      value = case name
              when :base_url then "http://127.0.0.1:9"
              when :api_version then "v23.0"
              when :proxy then "http://proxy.example:3128"
              when :ca_file then "/etc/ssl/certs/ca-certificates.crt"
              when :app_secret, :webhook_verify_token then "railtie-#{name}"
              when :logger then Logger.new(nil)
              when :instrumenter then Class.new { def instrument(*) = yield({}) }.new
              when *WaHealth::Configuration::CALLBACKS then ->(*) {}
              when :event_ledger then WaHealth::EventLedger.new(WaHealth::EventLedger::MemoryStore.new)
              else 7
              end
      [name, value]
    end
    values.each { |name, value| options[name] = value }
    WaHealth.reset_config!
    described_class.apply(options)
    expect(values.to_h { |name, _| [name, WaHealth.config.public_send(name)] }).to eq(values)
  end
end
