# frozen_string_literal: true

require "securerandom"
require_relative "connect_proxy"

# The proxy setting (and per call) tunnels HTTPS with CONNECT; without it, the environment's proxy is
# the one Net::HTTP would use for the same URL (http_proxy, no_proxy), or https_proxy when set.
RSpec.describe "Proxies" do
  let(:fake) { WaHealth::Testing::FakeGraph.new(tls: true).start }
  let(:password) { "pr0xy-#{SecureRandom.hex(6)}" }

  before { fake.add_phone_number("1001") }

  after { fake.stop }

  def fetch(**options)
    WaHealth.fetch(phone_number_id: "1001", access_token: fake.access_token, base_url: fake.url,
                   ca_file: fake.ca_file, timeout: 5, **options)
  end

  def with_proxy(**options)
    proxy = ConnectProxy.new(**options)
    yield proxy
  ensure
    proxy&.stop
  end

  it "tunnels a call through the proxy setting with CONNECT" do
    with_proxy do |proxy|
      expect(fetch(proxy: proxy.url)).to include(id: "1001")
      expect(proxy.connects.map(&:target)).to eq(["127.0.0.1:#{fake.port}"])
      expect(fake.requests.size).to eq(1)
    end
  end

  it "takes the proxy from the configuration" do
    with_proxy do |proxy|
      WaHealth.configure { |c| c.proxy = proxy.url }
      expect(fetch).to include(id: "1001")
      expect(proxy.connects.size).to eq(1)
    ensure
      WaHealth.reset_config!
    end
  end

  it "sends the proxy URL's credentials as Proxy-Authorization, and never shows them" do
    with_proxy(credentials: "wa:#{password}") do |proxy|
      expect(fetch(proxy: proxy.url("wa:#{password}"))).to include(id: "1001")
      expect(proxy.connects.last.authorization).to eq("Basic #{["wa:#{password}"].pack('m0')}")

      error = begin
        fetch(proxy: proxy.url("wa:wrong-#{password}"))
      rescue WaHealth::Error => e
        e
      end
      expect(error).to be_a(WaHealth::ConnectionError)
      expect(error.full_message).not_to include(password)

      WaHealth.configure { |c| c.proxy = proxy.url("wa:#{password}") }
      expect(WaHealth.config.inspect).to include("proxy=\"http://[REDACTED]@127.0.0.1:#{proxy.port}\"")
      expect(WaHealth.config.inspect).not_to include(password)
    ensure
      WaHealth.reset_config!
    end
  end

  it "refuses a proxy that is not an http(s) URL, without quoting it" do
    expect { fetch(proxy: "socks5://wa:#{password}@127.0.0.1:1") }
      .to raise_error(ArgumentError) { |error| expect(error.message).not_to include(password) }
    expect { fetch(proxy: "not a url #{password}") }
      .to raise_error(ArgumentError, %r{\Aproxy must be an http:// or https:// URL})
  end

  it "refuses a proxy for a plain-http base_url (the token would cross to the proxy in cleartext)" do
    WaHealth::Testing::FakeGraph.start do |plain|
      expect do
        WaHealth.fetch(phone_number_id: "1001", access_token: plain.access_token, base_url: plain.url,
                       proxy: "http://127.0.0.1:1")
      end.to raise_error(ArgumentError, /proxy .*https base_url/)
    end
  end

  describe "from the environment (Configuration.proxy_for)" do
    def proxy_for(env, base_url: "https://10.1.2.3", proxy: nil)
      WaHealth::Configuration.proxy_for(base_url, proxy, env)
    end

    it "uses http_proxy for an https base_url, as Net::HTTP does" do
      expect(proxy_for({ "http_proxy" => "http://proxy.example:3128" })).to eq("http://proxy.example:3128")
    end

    it "prefers https_proxy (or HTTPS_PROXY) when set" do
      env = { "http_proxy" => "http://plain.example:3128", "HTTPS_PROXY" => "http://tls.example:3128" }
      expect(proxy_for(env)).to eq("http://tls.example:3128")
    end

    it "skips hosts no_proxy names, and loopback hosts" do
      env = { "https_proxy" => "http://proxy.example:3128", "no_proxy" => "10.1.2.3,graph.example" }
      expect(proxy_for(env)).to be_nil
      expect(proxy_for(env, base_url: "https://10.9.9.9")).to eq("http://proxy.example:3128")
      expect(proxy_for({ "https_proxy" => "http://proxy.example:3128" }, base_url: "https://127.0.0.1:9")).to be_nil
    end

    it "is overridden by the proxy setting, and proxy: false uses none" do
      env = { "https_proxy" => "http://proxy.example:3128" }
      expect(proxy_for(env, proxy: "http://mine.example:8080")).to eq("http://mine.example:8080")
      expect(proxy_for(env, proxy: false)).to be_nil
    end

    it "is none when no variable is set" do
      expect(proxy_for({})).to be_nil
    end
  end
end
