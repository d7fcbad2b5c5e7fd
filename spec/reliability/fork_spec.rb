# frozen_string_literal: true

require "json"
require_relative "helpers"

# Puma (cluster mode) and Sidekiq fork after the app has booted, and the app may already have
# talked to Meta. The child must get its own engine and sockets; the parent must keep its own.
RSpec.describe "Forking after requests" do
  include FakeGraphContext
  include ReliabilityHelpers

  before do
    fake.add_phone_number("1001")
    fake.add_phone_number("1002", verified_name: "Second")
  end

  def fetch(id = "1001", **options)
    WaHealth.fetch(phone_number_id: id, access_token: token, base_url: fake.url, timeout: 5, **options)
  end

  # Forks; the child runs the block and reports its value (or its error) as JSON; never runs the
  # parent's at_exit hooks. Returns [the child's report, seconds the child took].
  def in_child(&block)
    reader, writer = IO.pipe
    started = monotonic
    pid = fork do
      reader.close
      report = begin
        { "value" => block.call }
      rescue Exception => e # rubocop:disable Lint/RescueException
        { "error" => e.class.name, "message" => e.message }
      end
      writer.write(JSON.generate(report))
      writer.close
      exit!(0)
    end
    writer.close
    report = JSON.parse(reader.read)
    Process.wait(pid)
    [report, monotonic - started]
  ensure
    reader&.close
    reap(pid) if pid
  end

  def connections(from = 0)
    fake.requests.drop(from).map(&:connection)
  end

  it "gives the child working requests on its own connections, and keeps the parent's working" do
    2.times { fetch }
    parent_connections = connections.uniq
    report, took = in_child { Array.new(3) { fetch("1002")[:verified_name] } }
    expect(report).to eq("value" => %w[Second Second Second])
    expect(took).to be < 2
    child_connections = connections(2).uniq
    expect(child_connections & parent_connections).to be_empty
    expect(child_connections.size).to eq(1) # the child's own keep-alive connection, reused
    expect(fetch[:id]).to eq("1001")
    expect(parent_connections).to include(connections.last) # the parent's pool survived the fork
  end

  it "gives the child working requests after the parent used fetch_many, and keeps the parent's working" do
    requests = [{ phone_number_id: "1001", access_token: token, base_url: fake.url }] * 6
    expect(WaHealth.fetch_many(requests, concurrency: 3)).to all(include(id: "1001"))
    parent_connections = connections.uniq
    report, took = in_child do
      WaHealth.fetch_many(requests, concurrency: 3).map { |r| r[:id] } + [fetch("1002")[:verified_name]]
    end
    expect(report).to eq("value" => %w[1001 1001 1001 1001 1001 1001 Second])
    expect(took).to be < 2
    expect(connections(6).uniq & parent_connections).to be_empty
    expect(WaHealth.fetch_many(requests, concurrency: 3)).to all(include(id: "1001"))
  end

  it "serves several children at once, as Puma workers" do
    fetch
    reports = Array.new(4) { Thread.new { in_child { Array.new(5) { fetch[:id] }.uniq } } }.map(&:value)
    expect(reports.map(&:first)).to all(eq("value" => ["1001"]))
    expect(fetch[:id]).to eq("1001")
  end

  it "works in a child forked while another thread of the parent has a request in flight" do
    fake.queue_response(status: 200, body: { "id" => "1001", "verified_name" => "Slow" }, node: "1001",
                        endpoint: :get, delay: 1)
    in_flight = Thread.new { fetch }
    expect(eventually { fake.stats["in_flight"].positive? }).to be(true)
    report, took = in_child { fetch("1002")[:verified_name] }
    expect(report).to eq("value" => "Second")
    expect(took).to be < 1 # did not wait for the parent's request
    expect(in_flight.value[:verified_name]).to eq("Slow")
  end

  it "lets a child interrupt its own request, as after Puma's worker timeout" do
    fetch
    fake.queue_response(status: 200, body: {}, node: "1001", endpoint: :get, delay: 30, times: 10)
    report, = in_child do
      thread = Thread.new { fetch(timeout: 60) }
      sleep 0.3 # the request is on the wire by then
      elapsed { thread.kill.join }
    end
    expect(report["value"]).to be < interrupt_bound
  end

  it "lets a child exit normally and promptly, finalizers and all" do
    code = <<~RUBY
      require "wa_health"
      require "wa_health/testing"
      fake = WaHealth::Testing::FakeGraph.start
      fake.add_phone_number("1001")
      fetch = -> { WaHealth.fetch(phone_number_id: "1001", access_token: fake.access_token, base_url: fake.url) }
      fetch.call
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      pid = fork { fetch.call; exit 0 }
      Process.wait(pid)
      took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      puts JSON.generate("status" => $?.exitstatus, "took" => took, "parent" => fetch.call[:id])
    RUBY
    pid, out = spawn_ruby(code)
    report = JSON.parse(out.read)
    expect(report["status"]).to eq(0)
    expect(report["took"]).to be < 1
    expect(report["parent"]).to eq("1001")
  ensure
    reap(pid) if pid
  end
end
