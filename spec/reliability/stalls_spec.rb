# frozen_string_literal: true

require_relative "helpers"

# Every way a peer can fail to answer ends in TimeoutError or ConnectionError, within the
# configured `timeout` (the whole request) or `open_timeout` (connecting), plus a little slack.
RSpec.describe "Stalled and slow peers" do
  include FakeGraphContext
  include ReliabilityHelpers

  let(:timeout) { 0.5 }
  let(:slack) { 0.5 }

  before { fake.add_phone_number("1001") }

  def fetch(**options)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url, timeout: timeout, **options)
  end

  def outcome
    started = monotonic
    begin
      [yield, monotonic - started]
    rescue WaHealth::Error => e
      [e, monotonic - started]
    end
  end

  it "times out a server that accepts and never answers" do
    fake.latency = 30
    error, took = outcome { fetch }
    expect(error).to be_a(WaHealth::TimeoutError)
    expect(error.message).to eq("WhatsApp API request timed out after 0.5s")
    expect(took).to be_between(timeout, timeout + slack)
  end

  it "times out a server that sends the headers, then the body a byte at a time (the whole request counts)" do
    body = JSON.generate("id" => "1001", "verified_name" => "Drip")
    fake.queue_response(status: 200, body: body, drip: 0.1)
    error, took = outcome { fetch }
    expect(error).to be_a(WaHealth::TimeoutError)
    expect(took).to be_between(timeout, timeout + slack)
  end

  it "still reads a slow body that arrives in time" do
    fake.queue_response(status: 200, body: JSON.generate("id" => "1001"), drip: 0.01, chunk_bytes: 3)
    result, = outcome { fetch(timeout: 5) }
    expect(result).to include(id: "1001")
  end

  it "raises ConnectionError at once when the connection is refused" do
    port = fake.port
    fake.stop
    error, took = outcome { fetch(base_url: "http://127.0.0.1:#{port}") }
    expect(error).to be_a(WaHealth::ConnectionError)
    expect(error.message).to match(/refused/i)
    expect(took).to be < slack
  end

  it "times out a connection that never completes after open_timeout, not timeout" do
    port, sockets = hanging_port
    error, took = outcome { fetch(base_url: "http://127.0.0.1:#{port}", open_timeout: 0.3, timeout: 5) }
    expect(error).to be_a(WaHealth::TimeoutError)
    expect(error.message).to match(/connection timed out/)
    expect(took).to be_between(0.3, 0.3 + slack)
  ensure
    sockets&.each(&:close)
  end

  it "raises ConnectionError for a host that cannot be resolved, within open_timeout" do
    error, took = outcome { fetch(base_url: "https://#{unresolvable_host}", open_timeout: 0.5, timeout: 5) }
    expect(error).to be_a(WaHealth::ConnectionError).or be_a(WaHealth::TimeoutError)
    expect(error.message).to match(/dns|resolv|lookup|timed out/i)
    expect(took).to be < 0.5 + slack
  end

  it "raises ConnectionError when the server hangs up without answering" do
    fake.queue_response(hang_up: true)
    error, took = outcome { fetch }
    expect(error).to be_a(WaHealth::ConnectionError)
    expect(took).to be < slack
    expect(fetch[:id]).to eq("1001") # the next request gets a fresh connection
  end

  it "raises ConnectionError when the connection drops in the middle of the body" do
    fake.queue_response(status: 200, body: JSON.generate("id" => "1001", "verified_name" => "Cut"), cut_after: 9)
    error, took = outcome { fetch }
    expect(error).to be_a(WaHealth::ConnectionError)
    expect(took).to be < slack
    expect(fetch[:id]).to eq("1001")
  end

  it "times out a body that stops short of its Content-Length and stalls" do
    fake.queue_response(status: 200, body: '{"id":"1001"', headers: { "Content-Length" => "400" })
    error, took = outcome { fetch }
    expect(error).to be_a(WaHealth::TimeoutError)
    expect(took).to be_between(timeout, timeout + slack)
  end
end
