# frozen_string_literal: true

# Over TLS the client offers h2 by ALPN, and concurrent calls share one HTTP/2 connection's streams.
RSpec.describe "HTTP/2" do
  let(:fake) { WaHealth::Testing::FakeGraph.new(tls: true).start }
  let(:ids) { (1..200).map { |i| (1000 + i).to_s } }

  after { fake.stop }

  def request(id)
    { phone_number_id: id, access_token: fake.access_token, base_url: fake.url, ca_file: fake.ca_file }
  end

  it "is negotiated with a server that offers it" do
    fake.add_phone_number("1001")
    expect(WaHealth.fetch(**request("1001"))).to include(id: "1001")
    expect(fake.requests.map(&:http_version)).to eq(["HTTP/2.0"])
  end

  it "carries a fetch_many of 200 numbers at concurrency 32 over at most 4 connections" do
    ids.each { |id| fake.add_phone_number(id) }
    fake.latency = 0.01
    results = WaHealth.fetch_many(ids.map { |id| request(id) }, concurrency: 32)
    expect(results.map { |health| health[:id] }).to eq(ids)
    requests = fake.requests
    expect(requests.size).to eq(200)
    expect(requests.map(&:http_version).uniq).to eq(["HTTP/2.0"])
    expect(fake.stats["max_in_flight"]).to be > 4
    expect(requests.map(&:connection).uniq.size).to be <= 4
    # Opened, not only used: a sweep to a new origin sends one request alone until the pool knows it is h2.
    expect(fake.stats["connections"]).to be <= 4
  end

  it "speaks HTTP/1.1 over TLS to a server offering only http/1.1, one connection per request in flight" do
    http1 = WaHealth::Testing::FakeGraph.new(tls: true, alpn: %w[http/1.1]).start
    ids.first(40).each { |id| http1.add_phone_number(id) }
    http1.latency = 0.01
    requests = ids.first(40).map { |id| request(id).merge(base_url: http1.url, ca_file: http1.ca_file) }
    expect(WaHealth.fetch_many(requests, concurrency: 8).map { |health| health[:id] }).to eq(ids.first(40))
    expect(http1.requests.map(&:http_version).uniq).to eq(["HTTP/1.1"])
    expect(http1.stats["connections"]).to eq(http1.requests.map(&:connection).uniq.size).and be_between(2, 8)
  ensure
    http1&.stop
  end

  it "refuses an alpn without tls, or a protocol the fake does not speak" do
    expect { WaHealth::Testing::FakeGraph.new(alpn: %w[http/1.1]).start }.to raise_error(ArgumentError, /tls/)
    expect { WaHealth::Testing::FakeGraph.new(tls: true, alpn: %w[spdy/3]).start }
      .to raise_error(ArgumentError, %r{"spdy/3" is not one of h2 and http/1.1})
  end

  it "still speaks HTTP/1.1 to a plain-http server" do
    WaHealth::Testing::FakeGraph.start do |plain|
      plain.add_phone_number("1001")
      WaHealth.fetch(phone_number_id: "1001", access_token: plain.access_token, base_url: plain.url)
      expect(plain.requests.map(&:http_version)).to eq(["HTTP/1.1"])
    end
  end
end
