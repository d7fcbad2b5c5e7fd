# frozen_string_literal: true

RSpec.describe WaHealth::Configuration do
  include FakeGraphContext

  around do |example|
    saved = ENV.to_h.slice("WA_HEALTH_API_VERSION", "WA_HEALTH_GRAPH_URL")
    example.run
  ensure
    %w[WA_HEALTH_API_VERSION WA_HEALTH_GRAPH_URL].each { |k| ENV[k] = saved[k] }
  end

  it "defaults to Graph v24.0 on graph.facebook.com with 10 s / 5 s timeouts and no app secret" do
    ENV.delete("WA_HEALTH_API_VERSION")
    ENV.delete("WA_HEALTH_GRAPH_URL")
    config = described_class.new
    expect(config).to have_attributes(api_version: "v24.0", base_url: "https://graph.facebook.com",
                                      timeout: 10.0, open_timeout: 5.0, app_secret: nil)
  end

  it "takes the default version and URL from the environment" do
    ENV["WA_HEALTH_API_VERSION"] = "v25.0"
    ENV["WA_HEALTH_GRAPH_URL"] = fake.url
    WaHealth.reset_config!
    fake.add_phone_number("1001")
    WaHealth.fetch(phone_number_id: "1001", access_token: token)
    expect(fake.requests.last.path).to eq("/v25.0/1001")
  end

  it "applies configure to every later call, and per-call options override it for that call only" do
    other = WaHealth::Testing::FakeGraph.new.start
    [fake, other].each { |f| f.add_phone_number("1001") }
    WaHealth.configure { |c| c.base_url = fake.url }
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: other.url)
    WaHealth.fetch(phone_number_id: "1001", access_token: token)
    expect([fake.requests.size, other.requests.size]).to eq([1, 1])
  ensure
    other&.stop
  end

  it "never shows the app secret in inspect" do
    WaHealth.configure { |c| c.app_secret = "super-secret-value" }
    expect(WaHealth.config.inspect).not_to include("super-secret-value")
    expect(WaHealth.config.inspect).to include("app_secret=[REDACTED]")
    expect(WaHealth.config.graph_settings.inspect).not_to include("super-secret-value")
  end

  it "rejects invalid settings when they are used" do
    WaHealth.configure { |c| c.timeout = -1 }
    expect { WaHealth.config.graph_settings }.to raise_error(ArgumentError, /timeout/)
  end

  it "takes timeouts up to the extension's limit and no more" do
    limit = WaHealth::Native::MAX_TIMEOUT_SECONDS
    WaHealth.configure { |c| c.timeout = c.open_timeout = limit }
    expect(WaHealth.config.graph_settings).to be_a(WaHealth::Native::GraphSettings)
    WaHealth.configure { |c| c.open_timeout = limit + 1 }
    expect { WaHealth.config.graph_settings }
      .to raise_error(ArgumentError, "open_timeout must be a number of seconds above 0 and at most #{limit}")
  end

  it "holds the webhooks' settings, checks them, and never shows the verify token" do
    handler = ->(_event) {}
    WaHealth.configure do |config|
      config.webhook_verify_token = "verify-token-kept-secret"
      config.app_secret = "app-secret-kept-secret"
    end
    WaHealth.event_handler = handler
    expect(WaHealth.config.event_handler).to be(handler)
    expect(WaHealth.config.webhook_verify_token).to eq("verify-token-kept-secret")
    expect(WaHealth.config.inspect).to include("webhook_verify_token=[REDACTED]")
    expect(WaHealth.config.inspect).not_to include("kept-secret")
    expect { WaHealth.registration_sink = "not callable" }.to raise_error(ArgumentError, /registration_sink/)
    expect { WaHealth.config.webhook_verify_token = " " }
      .to raise_error(ArgumentError, /webhook_verify_token is missing/)
  end

  it "has a reader and a writer for every setting it lists" do
    config = described_class.new
    missing = described_class::SETTINGS.reject { |name| config.respond_to?(name) && config.respond_to?(:"#{name}=") }
    expect(missing).to eq([])
    expect(described_class::SETTINGS).to include(*described_class::CONNECTION_OPTIONS, *described_class::CALLBACKS,
                                                 *described_class::SWEEP_DEFAULTS.keys)
    expect(described_class::SETTINGS.uniq).to eq(described_class::SETTINGS)
  end

  it "gives a setting something cannot work without, or raises WaHealth::Error naming it" do
    sink = ->(_id, _result) {}
    WaHealth.health_sink = sink
    expect(WaHealth.config.required(:health_sink)).to be(sink)
    expect { WaHealth.config.required(:credentials_resolver) }
      .to raise_error(WaHealth::Error, "WaHealth.config.credentials_resolver is not set")
  end
end
