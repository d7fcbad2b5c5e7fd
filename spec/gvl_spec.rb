# frozen_string_literal: true

require "timeout"

RSpec.describe "GVL release and interrupts" do
  include FakeGraphContext

  let(:latency) { 0.4 }

  before do
    fake.add_phone_number("1001")
    fake.latency = latency
  end

  def fetch
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url, timeout: 30)
  end

  it "lets N threads wait on Meta at once: N requests take about one latency, not N" do
    threads = 8
    time = elapsed { Array.new(threads) { Thread.new { fetch } }.each(&:join) }
    expect(fake.stats["max_in_flight"]).to eq(threads)
    expect(time).to be < latency * threads / 2
  end

  it "keeps other Ruby threads running during a request" do
    ticks = 0
    ticker = Thread.new { loop { ticks += 1 and sleep 0.01 } }
    fetch
    ticker.kill
    expect(ticks).to be >= 10
  end

  context "when the server never answers in time" do
    let(:latency) { 30 }

    it "stops a request promptly on Thread#kill" do
      thread = Thread.new { fetch }
      sleep 0.2 until fake.stats["in_flight"].positive?
      time = elapsed { thread.kill.join(5) }
      expect(thread).not_to be_alive
      expect(time).to be < 1
    end

    it "stops a request promptly on Thread#raise" do
      thread = Thread.new do
        fetch
      rescue RuntimeError => e
        e
      end
      sleep 0.05 until fake.stats["in_flight"].positive?
      thread.raise(RuntimeError, "stop")
      expect(thread.join(5)&.value&.message).to eq("stop")
    end

    it "stops a request promptly under Timeout.timeout" do
      time = elapsed { expect { Timeout.timeout(0.3) { fetch } }.to raise_error(Timeout::Error) }
      expect(time).to be < 1.5
    end
  end
end
