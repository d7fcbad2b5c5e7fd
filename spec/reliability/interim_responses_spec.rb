# frozen_string_literal: true

require_relative "helpers"
require_relative "interim_server"

# Interim (1xx) responses before the final answer: HTTP/1.1 clients must skip them (RFC 9110 §15.2),
# but a server that sends nothing else must not keep a core busy until the request's timeout.
RSpec.describe "Interim (1xx) responses" do
  include ReliabilityHelpers

  let(:token) { "test-token" }

  def fetch(server, timeout: 5)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: server.url, timeout: timeout)
  end

  it "skips one or two 100 Continue / 103 Early Hints before the answer, on one kept-alive connection" do
    server = InterimServer.new(1, 2, 0)
    3.times { expect(fetch(server)).to include(id: "1001", verified_name: "Acme Support") }
    expect(server.interim_sent).to eq(3)
    expect(server.connections).to eq(1)
  ensure
    server&.stop
  end

  # More than MAX_INTERIM_RESPONSES (5, crates/wa_health_core/src/client/transport.rs) stop the request and close its
  # connection. HTTP/1 only: hyper counts them there; the h2 crate skips HTTP/2's without a hook.
  it "ends an endless stream of 100 Continue promptly with InvalidResponseError; the next call works" do
    server = InterimServer.new(:endless)
    error = nil
    took = elapsed do
      fetch(server, timeout: 10)
    rescue WaHealth::Error => e
      error = e
    end
    expect(error).to be_a(WaHealth::InvalidResponseError)
    expect(error.message).to match(/interim \(1xx\) responses/)
    expect(error.message).not_to include(token)
    expect(took).to be < 2 # a behaviour bound, well inside the 10 s timeout
    expect(fetch(server)).to include(id: "1001")
  ensure
    server&.stop
  end
end
