# frozen_string_literal: true

require "timeout"
require_relative "helpers"

RSpec.describe "Interrupting a request the server never answers" do
  include FakeGraphContext
  include ReliabilityHelpers

  before do
    fake.add_phone_number("1001")
    fake.add_phone_number("1002")
    # 1002 answers at once; 1001 keeps the request open for a minute.
    fake.queue_response(status: 200, body: { "id" => "1001" }, node: "1001", endpoint: :get, delay: 60, times: 1000)
  end

  def fetch(id = "1001")
    WaHealth.fetch(phone_number_id: id, access_token: token, base_url: fake.url, timeout: 120)
  end

  def in_flight?(count = 1)
    eventually { fake.stats["in_flight"] >= count }
  end

  # Threads, OS threads and sockets before the block and once it is over (none may have more
  # after). A first request, a first interrupt and a first Timeout.timeout are made beforehand, so
  # lazily started helpers (Ruby's timer thread, the keep-alive connection, and the thread that the
  # timeout gem of Ruby 3.2 and later starts on first use and keeps) are not counted as leaks.
  def resources_around
    warm = Thread.new { fetch }
    in_flight?
    warm.kill.join
    Timeout.timeout(60) { fetch("1002") }
    before = [Thread.list.size, os_thread_count, socket_count]
    yield
    settled = eventually { [Thread.list.size, os_thread_count, socket_count].zip(before).all? { |a, b| a <= b } }
    [before, [Thread.list.size, os_thread_count, socket_count], settled]
  end

  def expect_no_leak(&)
    before, after, settled = resources_around(&)
    expect(settled).to be(true), "threads, OS threads, sockets: #{before} before, #{after} after"
  end

  it "gives control back within 200 ms on Thread#kill, leaking no thread or socket" do
    expect_no_leak do
      3.times do
        thread = Thread.new { fetch }
        in_flight?
        expect(elapsed { thread.kill.join(5) }).to be < interrupt_bound
        expect(thread).not_to be_alive
      end
    end
    expect(fetch("1002")[:id]).to eq("1002")
  end

  it "gives control back within 200 ms on Thread#raise, with the raised exception" do
    expect_no_leak do
      thread = Thread.new do
        fetch
      rescue RuntimeError => e
        e
      end
      in_flight?
      took = elapsed do
        thread.raise(RuntimeError, "stop")
        thread.join(5)
      end
      expect(took).to be < interrupt_bound
      expect(thread.value.message).to eq("stop")
    end
  end

  it "gives control back within 200 ms of the deadline under Timeout.timeout" do
    expect_no_leak do
      took = elapsed { expect { Timeout.timeout(0.3) { fetch } }.to raise_error(Timeout::Error) }
      expect(took).to be_between(0.3, 0.3 + interrupt_bound)
    end
  end

  context "when the interrupt raises nothing, the request goes on and answers" do
    let(:slow) { 0.4 }

    before do
      fake.clear_queue
      fake.queue_response(status: 200, body: { "id" => "1001", "verified_name" => "Slow" }, node: "1001",
                          endpoint: :get, delay: slow)
    end

    it "survives Thread#wakeup" do
      thread = Thread.new { fetch }
      in_flight?
      thread.wakeup
      expect(thread.value).to include(id: "1001", verified_name: "Slow")
    end

    it "survives Thread#wakeup in fetch_many" do
      fake.queue_response(status: 200, body: { "id" => "1001", "verified_name" => "Slow" }, node: "1001",
                          endpoint: :get, delay: slow, times: 2)
      requests = [{ phone_number_id: "1001", access_token: token, base_url: fake.url }] * 3
      thread = Thread.new { WaHealth.fetch_many(requests) }
      in_flight?(3)
      thread.wakeup
      expect(thread.value).to all(include(verified_name: "Slow"))
    end

    it "defers Thread#raise under Thread.handle_interrupt(:never) until the block ends" do
      result = nil
      thread = Thread.new do
        Thread.handle_interrupt(RuntimeError => :never) { result = fetch }
      rescue RuntimeError => e
        e
      end
      in_flight?
      thread.raise(RuntimeError, "later")
      expect(thread.value.message).to eq("later")
      expect(result).to include(verified_name: "Slow")
    end

    it "runs a signal trap handler during the request without failing it" do
      trapped_at = nil
      previous = trap("USR2") { trapped_at = monotonic }
      begin
        Thread.new do
          in_flight?
          Process.kill("USR2", Process.pid)
        end
        started = monotonic
        expect(fetch[:verified_name]).to eq("Slow")
        expect(trapped_at).not_to be_nil
        expect(trapped_at - started).to be < slow
      ensure
        trap("USR2", previous || "DEFAULT")
      end
    end
  end

  context "with SIGINT (Ctrl-C) in another process" do
    [[1, "fetch"], [3, "fetch"], [1, "fetch_many"], [2, "fetch_many"]].each do |threads, call|
      it "raises Interrupt within 200 ms with #{threads} #{call} call(s) in flight" do
        pid, out = spawn_ruby(ReliabilityHelpers::SIGINT_CHILD, fake.url, threads.to_s, call)
        begin
          requests = call == "fetch_many" ? 3 * threads : threads
          expect(eventually { fake.stats["request_count"] >= requests }).to be(true)
          took = elapsed do
            Process.kill("INT", pid)
            expect(out.gets).to eq("interrupted\n")
          end
          expect(took).to be < interrupt_bound
        ensure
          reap(pid)
        end
      end
    end
  end
end
