# frozen_string_literal: true

require "timeout"

RSpec.describe "WaHealth.fetch_many" do
  include FakeGraphContext

  let(:ids) { %w[1001 1002 1003 1004 1005 1006] }

  before { ids.each { |id| fake.add_phone_number(id, verified_name: "Number #{id}") } }

  def request(id, **options)
    { phone_number_id: id, access_token: token, base_url: fake.url, **options }
  end

  it "returns the results in the order of the requests, not in the order they finish" do
    fake.queue_response(status: 200, body: { "id" => "1001", "verified_name" => "Slow" }, node: "1001",
                        endpoint: :get, delay: 0.3)
    results = WaHealth.fetch_many(ids.map { |id| request(id) }, concurrency: 6)
    expect(results.map { |health| health[:id] }).to eq(ids)
    expect(results.first[:verified_name]).to eq("Slow")
    expect(results.drop(1).map { |health| health[:verified_name] }).to eq(ids.drop(1).map { |id| "Number #{id}" })
  end

  it "returns the same health Hash as WaHealth.fetch, business account included" do
    fake.add_business_account("2001")
    one = WaHealth.fetch(**request("1002", business_account_id: "2001"))
    expect(WaHealth.fetch_many([request("1002", business_account_id: "2001")])).to eq([one])
  end

  it "puts each failure's typed error in its place and never raises it" do
    fake.queue_error(code: 4, message: "Application request limit reached", node: "1003", endpoint: :get)
    fake.queue_response(status: 200, body: { "id" => "1005" }, node: "1005", endpoint: :get, delay: 2)
    requests = [
      request("1001"),
      request("9999"),
      request("1002", access_token: "wrong-token"),
      request("1003"),
      request("1004", base_url: "http://127.0.0.1:1"),
      request("1005", timeout: 0.2),
      request("1006")
    ]
    results = WaHealth.fetch_many(requests)
    expect(results.map(&:class)).to eq([Hash, WaHealth::ApiError, WaHealth::AuthorizationError,
                                        WaHealth::RateLimitError, WaHealth::ConnectionError,
                                        WaHealth::TimeoutError, Hash])
    expect(results.values_at(0, 6).map { |health| health[:id] }).to eq(%w[1001 1006])
    expect(results[1].http_status).to eq(400)
    expect(results[3]).to be_transient
    results.grep(Exception).each { |error| expect(error.message).not_to include(token, "wrong-token") }
  end

  it "keeps at most `concurrency` requests in flight at the Graph API, and uses them all" do
    fake.latency = 0.05
    results = WaHealth.fetch_many(Array.new(20) { |i| request(ids[i % ids.size]) }, concurrency: 4)
    expect(results.size).to eq(20)
    expect(fake.stats).to include("request_count" => 20, "max_in_flight" => 4)

    fake.reset_stats
    WaHealth.fetch_many(Array.new(5) { request("1001") }, concurrency: 1)
    expect(fake.stats).to include("request_count" => 5, "max_in_flight" => 1)
  end

  it "uses 16 requests at a time by default" do
    fake.latency = 0.05
    WaHealth.fetch_many(Array.new(40) { request("1001") })
    expect(fake.stats["max_in_flight"]).to eq(16)
  end

  it "calls the progress block with (done, total), ending with done == total" do
    fake.latency = 0.05
    calls = []
    WaHealth.fetch_many(Array.new(24) { request("1002") }, concurrency: 4) { |done, total| calls << [done, total] }
    expect(calls.size).to be >= 2
    expect(calls.last).to eq([24, 24])
    expect(calls.map(&:last).uniq).to eq([24])
    expect(calls.map(&:first)).to eq(calls.map(&:first).sort)
    expect(calls.map(&:first).uniq.size).to eq(calls.size)
  end

  it "returns [] for no requests, sends nothing and reports (0, 0)" do
    calls = []
    expect(WaHealth.fetch_many([]) { |*args| calls << args }).to eq([])
    expect(calls).to eq([[0, 0]])
    expect(fake.stats["request_count"]).to eq(0)
  end

  it "applies each request's connection options, building one connection per distinct set" do
    allow(WaHealth::Native::GraphSettings).to receive(:new).and_call_original
    requests = Array.new(3) { request("1001", api_version: "v25.0") } + Array.new(3) { request("1002") }
    results = WaHealth.fetch_many(requests)
    expect(results.map { |health| health[:id] }).to eq(%w[1001 1001 1001 1002 1002 1002])
    expect(fake.requests.map(&:path).tally).to eq("/v25.0/1001" => 3, "/v24.0/1002" => 3)
    expect(WaHealth::Native::GraphSettings).to have_received(:new).twice
  end

  describe "argument checks (before any request)" do
    after { expect(fake.stats["request_count"]).to eq(0) }

    it "raises ArgumentError naming the index of the first bad request" do
      good = request("1001")
      {
        [good, good, request("1002", access_token: nil)] => "requests[2]: access_token is missing",
        [good, request("12/34")] => "requests[1]: phone_number_id must be a Graph id made of digits",
        [request("1001", business_account_id: "x")] =>
          "requests[0]: business_account_id must be a Graph id made of digits",
        [good, "1002"] => "requests[1]: must be a Hash of WaHealth.fetch's keyword arguments",
        [good, good, good, request("1001", colour: "red")] => "requests[3]: unknown keyword: :colour",
        [request("1001", timeout: 0)] => "requests[0]: timeout must be a number of seconds above 0 and at most 3600",
        [good, request("1001", base_url: "ftp://x")] => /\Arequests\[1\]: base_url/,
        [good, request("1001", access_token: "a\r\nX-Evil: 1")] => /\Arequests\[1\]: access_token/
      }.each do |requests, message|
        expect { WaHealth.fetch_many(requests) }.to raise_error(ArgumentError, message)
      end
    end

    it "refuses a requests argument that is not an Array, and a bad concurrency" do
      expect { WaHealth.fetch_many(request("1001")) }.to raise_error(ArgumentError, /requests must be an Array/)
      [0, 257, 2.5, "16", nil].each do |bad|
        expect { WaHealth.fetch_many([request("1001")], concurrency: bad) }
          .to raise_error(ArgumentError, "concurrency must be an Integer between 1 and 256")
      end
    end

    it "never quotes a token in its messages" do
      expect { WaHealth.fetch_many([request("1001", access_token: "secret-\u00e9-token")]) }
        .to raise_error(ArgumentError) { |error| expect(error.message).not_to include("secret") }
    end
  end

  describe "cancellation" do
    let(:slow_batch) { Array.new(8) { request("1001", timeout: 60) } }

    before { fake.latency = 30 }

    # Waits (at most 5 s) until the fake counts `count` requests in flight; returns that count.
    def in_flight_becomes(count)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 5
      sleep 0.01 until fake.stats["in_flight"] == count || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      fake.stats["in_flight"]
    end

    it "returns promptly on Thread#kill, closing the requests in flight, and the gem keeps working" do
      thread = Thread.new { WaHealth.fetch_many(slow_batch, concurrency: 4) }
      expect(in_flight_becomes(4)).to eq(4)
      expect(elapsed { thread.kill.join(5) }).to be < 1
      expect(thread).not_to be_alive
      expect(in_flight_becomes(0)).to eq(0)
      expect(fake.stats["request_count"]).to eq(4)
      fake.latency = 0
      expect(WaHealth.fetch(**request("1002"))[:id]).to eq("1002")
    end

    it "raises promptly under Timeout.timeout" do
      took = elapsed do
        expect { Timeout.timeout(0.3) { WaHealth.fetch_many(slow_batch) } }.to raise_error(Timeout::Error)
      end
      expect(took).to be < 1.5
    end

    it "stops the batch when the progress block raises, and raises that error" do
      fake.latency = 0.05
      error = Class.new(StandardError)
      expect do
        WaHealth.fetch_many(Array.new(60) { request("1001") }, concurrency: 2) { raise error, "stop" }
      end.to raise_error(error, "stop")
      sent = fake.stats["request_count"]
      sleep 0.2
      expect(fake.stats["request_count"]).to eq(sent)
      expect(sent).to be < 60
    end

    it "keeps other Ruby threads running during the batch" do
      fake.latency = 0.2
      ticks = 0
      ticker = Thread.new do
        loop do
          ticks += 1
          sleep 0.01
        end
      end
      sleep 0.05 until ticks.positive?
      before = ticks
      WaHealth.fetch_many(Array.new(4) { request("1001") }, concurrency: 2)
      during = ticks - before
      ticker.kill
      # 0.4 s of waiting on Meta: a GVL held throughout would leave the ticker at most a tick or two
      # (at the hand-overs); anything more means it ran meanwhile. Not a speed bound: a loaded machine
      # may give it far fewer than the 40 it could.
      expect(during).to be >= 5
    end
  end
end
