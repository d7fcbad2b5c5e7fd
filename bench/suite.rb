# frozen_string_literal: true

require "fileutils"
require "tmpdir"
require "wa_health"
require "wa_health/testing"
require_relative "support"
require_relative "contenders"
require_relative "build"
require_relative "floor"
require_relative "cluster"
require_relative "event_loop"
require_relative "tls"

module WaHealthBench
  # How big each measurement is: a full run, or the 2-second smoke.
  module Scales
    Scale = Struct.new(:rounds, :calls, :httparty_calls, :scaling_calls, :sweep_numbers, :sweep_rounds,
                       :memory_calls, :memory_batches, :batch_size, :cold_build, :cluster_requests,
                       :tls_calls, :tls_httparty_calls, keyword_init: true)
    FULL = Scale.new(rounds: 9, calls: 2000, httparty_calls: 300, scaling_calls: 40, sweep_numbers: 5000,
                     sweep_rounds: 3, memory_calls: 100_000, memory_batches: 20, batch_size: 5000, cold_build: true,
                     cluster_requests: 3000, tls_calls: 2000, tls_httparty_calls: 300)
    SMOKE = Scale.new(rounds: 1, calls: 50, httparty_calls: 10, scaling_calls: 2, sweep_numbers: 128,
                      sweep_rounds: 1, memory_calls: 500, memory_batches: 2, batch_size: 128, cold_build: false,
                      cluster_requests: 60, tls_calls: 20, tls_httparty_calls: 5)
  end

  # The five measurements of issue 5, each returning a section (title, table, notes and the values
  # the targets are checked against). `scale` makes the same code a full run or a 2-second smoke.
  # Sections 6-8 come from the modules it includes (bench/cluster.rb, event_loop.rb, tls.rb).
  class Suite # rubocop:disable Metrics/ClassLength -- one method per measurement of issue 5
    include Support
    include Scales
    include Build
    include Cluster
    include EventLoopBench
    include TlsBench
    include TlsSweepBench

    LATENCY = 0.02
    SWEEP_CONCURRENCY = 64
    THREADS = [1, 4, 16].freeze
    ROOT = File.expand_path("..", __dir__)
    FLOOR = "Rust floor (reqwest, warm connection)"
    PINNED_NOTE = "Measured with every thread of the process (the clients and FakeGraph) on one CPU: on this VM a " \
                  "loopback round trip between two vCPUs is bimodal (about 20 or 90 µs, depending on where the " \
                  "scheduler left the threads), which made ratios meaningless; on one CPU all contenders pay the " \
                  "same switches and the ratios compare the clients' own costs. "
    HTTPARTY = "Chatwoot's HTTParty service"
    FETCH_MANY = "WaHealth.fetch_many(concurrency: 64)"
    THREADS_SWEEP = "64 Ruby threads × Net::HTTP keep-alive"
    HYDRA = "Typhoeus::Hydra(max_concurrency: 64)"
    SWEEP_FLOOR = "Rust sweep floor (reqwest, 64 at a time)"

    attr_reader :scale

    SECTIONS = %i[per_call thread_scaling sweep memory build puma_cluster event_loop tls_per_call tls_sweep].freeze
    # What `--only=` takes besides a section's name (rake bench:tls).
    GROUPS = { tls: %i[tls_per_call tls_sweep] }.freeze

    def initialize(scale, smoke: false)
      @scale = scale
      @smoke = smoke
    end

    def run(sections = SECTIONS)
      WaHealth::Testing::FakeGraph.start(max_recorded_requests: 0) do |fake|
        @fake = fake
        @token = fake.access_token
        fake.add_phone_number("1001")
        WaHealth.configure { |c| c.base_url = fake.url }
        sections.map { |section| send(section) }
      end
    end

    private

    def fetch(id = "1001")
      WaHealth.fetch(phone_number_id: id, access_token: @token)
    end

    # The exact path and query WaHealth.fetch sends, taken from a FakeGraph that records it.
    def fetch_path
      WaHealth::Testing::FakeGraph.start do |recorder|
        recorder.add_phone_number("1001")
        WaHealth.fetch(phone_number_id: "1001", access_token: recorder.access_token, base_url: recorder.url)
        request = recorder.requests.last
        "#{request.path}?#{request.query}"
      end
    end

    def per_call
      on_one_cpu { |pinned| measure_per_call(pinned) }
    end

    def measure_per_call(pinned)
      keep_alive = Contenders::KeepAlive.new(@fake.url, @token)
      contenders = sequential_contenders(keep_alive).to_h do |name, (calls, call)|
        call.call
        [name, -> { per_call_cost(calls) { calls.times { call.call } } }]
      end
      floor_url = @fake.url + fetch_path
      RustFloor.load
      contenders[FLOOR] = -> { floor_cost(floor_url) }
      json_parse = Contenders.json_parse_seconds(@fake.url + fetch_path, @token, scale.calls)
      per_call_section(interleaved(scale.rounds, contenders), json_parse, pinned)
    ensure
      keep_alive&.close
    end

    # The floor times its own loop (wall); its CPU time includes its warm-up of up to 200 requests,
    # so it is divided by every request made.
    def floor_cost(url)
      cpu = Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID)
      wall = RustFloor.fetch(url, @token, scale.calls) / scale.calls
      [wall, (Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID) - cpu) / (scale.calls + [scale.calls, 200].min)]
    end

    # name => [calls per round, one call]
    def sequential_contenders(keep_alive)
      httparty = Contenders.httparty_service(@fake.url, "1001", @token)
      {
        "WaHealth.fetch" => [scale.calls, -> { fetch }],
        HTTPARTY => [scale.httparty_calls, -> { httparty.fetch_health_status }],
        "Net::HTTP, keep-alive" => [scale.calls, -> { keep_alive.fetch("1001") }]
      }
    end

    def per_call_section(cost, json_parse, pinned)
      time = cost.transform_values(&:first)
      floor = time.fetch(FLOOR)
      floor_cpu = cost.fetch(FLOOR).last
      httparty = time.fetch(HTTPARTY)
      rows = cost.map do |name, (t, cpu)|
        [name, us(t), ratio(t / floor), ratio(httparty / t), us(cpu), ratio(cpu / floor_cpu)]
      end
      Section.new(
        title: "1. Per-call cost, one thread, server answering at once",
        headers: ["client", "time per call", "× Rust floor", "speed-up over HTTParty", "client CPU per call",
                  "CPU × floor's"],
        rows: rows,
        notes: "#{pinned ? PINNED_NOTE : 'Not pinned to one CPU (taskset missing): expect noise. '}" \
               "Median of #{scale.rounds} interleaved rounds (#{scale.calls} calls each; " \
               "#{scale.httparty_calls} for HTTParty). Rust floor: `WaHealthBench::RustFloor.fetch` (bench/floor), " \
               "reqwest on its own current-thread runtime, the same GET (URL and Bearer header of WaHealth.fetch) " \
               "on a warm connection, body read and not parsed. For scale: Ruby's own JSON.parse of the same answer " \
               "(no network) takes #{us(json_parse)}, #{ratio(json_parse / floor)} of the floor's whole round trip. " \
               "Client CPU: CPU time of the calling thread (the server runs on other threads); it varies much " \
               "less than wall time with the machine's load.",
        facts: { fetch_vs_floor: time["WaHealth.fetch"] / floor, fetch_vs_httparty: httparty / time["WaHealth.fetch"] }
      )
    end

    def thread_scaling
      @fake.latency = LATENCY
      THREADS.each { |threads| run_threads(threads, 1) }
      throughput = THREADS.to_h do |threads|
        calls = threads * scale.scaling_calls
        [threads, calls / seconds { run_threads(threads, scale.scaling_calls) }]
      end
      @fake.latency = 0
      one = throughput.fetch(1)
      Section.new(
        title: "2. Thread scaling: Ruby threads calling WaHealth.fetch, 20 ms server latency",
        headers: ["threads", "calls per second", "× one thread", "ideal"],
        rows: throughput.map { |threads, rate| [threads, format("%.1f", rate), ratio(rate / one), "#{threads}.00×"] },
        notes: "#{scale.scaling_calls} sequential calls per thread.",
        facts: { sixteen: throughput.fetch(16) / one }
      )
    end

    def run_threads(threads, calls)
      Array.new(threads) { Thread.new { calls.times { fetch } } }.each(&:join)
    end

    def sweep
      ids = Array.new(scale.sweep_numbers) { |i| (100_000 + i).to_s }
      ids.each { |id| @fake.add_phone_number(id) }
      @fake.latency = LATENCY
      times = sweep_times(ids)
      @fake.latency = 0
      sweep_section(times, ids.size * LATENCY / SWEEP_CONCURRENCY, ids.size)
    end

    # Every sweep contender; the Rust floor fetches the same URLs as fetch_many, 64 at a time on
    # one thread, without parsing.
    def sweep_times(ids)
      requests = ids.map { |id| { phone_number_id: id, access_token: @token } }
      query = fetch_path.split("?", 2).last
      urls = ids.map { |id| "#{@fake.url}/v24.0/#{id}?#{query}" }
      sweeps = {
        FETCH_MANY => -> { WaHealth.fetch_many(requests, concurrency: SWEEP_CONCURRENCY) },
        HYDRA => -> { Contenders.hydra_sweep(@fake.url, ids, @token, SWEEP_CONCURRENCY) },
        THREADS_SWEEP => -> { Contenders.threaded_sweep(@fake.url, ids, @token, SWEEP_CONCURRENCY) }
      }
      contenders = sweeps.to_h { |name, sweep| [name, -> { timed_sweep(name, sweep, ids.size) }] }
      RustFloor.load
      contenders[SWEEP_FLOOR] = -> { RustFloor.sweep(urls, @token, SWEEP_CONCURRENCY) }
      interleaved(scale.sweep_rounds, contenders)
    end

    def timed_sweep(name, sweep, count)
      results = nil
      took = seconds { results = sweep.call }
      raise "#{name} returned #{results.size} results for #{count} numbers" unless results.size == count

      took
    end

    def sweep_section(time, ideal, count)
      hydra = time.fetch(HYDRA)
      rows = time.map { |name, t| [name, secs(t), ratio(t / ideal), ratio(hydra / t)] }
      rows << ["ideal: #{count} × 20 ms / 64", secs(ideal), "1.00×", ratio(hydra / ideal)]
      fetch_many = time.fetch(FETCH_MANY)
      Section.new(
        title: "3. Sweep: #{count} numbers, 20 ms server latency, 64 at a time",
        headers: ["client", "wall time", "× ideal", "speed-up over Hydra"], rows: rows,
        notes: "Median of #{scale.sweep_rounds} interleaved rounds. Hydra and the threads send Chatwoot's request " \
               "and parse its 11 fields; fetch_many returns the full health Hash per number. Rust sweep floor: " \
               "`WaHealthBench::RustFloor.sweep`, the same GETs as fetch_many, 64 at a time on " \
               "one thread, bodies read and not parsed (what this machine and FakeGraph allow). " \
               "fetch_many / Rust sweep floor: #{ratio(fetch_many / time.fetch(SWEEP_FLOOR))}.",
        facts: { sweep_vs_ideal: fetch_many / ideal, sweep_vs_hydra: hydra / fetch_many,
                 sweep_vs_floor: fetch_many / time.fetch(SWEEP_FLOOR) }
      )
    end

    def memory
      1000.times { fetch }
      before = rss_mib
      scale.memory_calls.times { fetch }
      after_calls = rss_mib
      requests = Array.new(scale.batch_size) do |i|
        { phone_number_id: (100_000 + (i % scale.sweep_numbers)).to_s, access_token: @token }
      end
      memory_section([before, after_calls], rss_over_batches(requests), scale.memory_batches / 2)
    end

    # RSS after the first, the middle and the last of `memory_batches` fetch_many batches.
    def rss_over_batches(requests)
      marks = [1, scale.memory_batches / 2, scale.memory_batches]
      (1..scale.memory_batches).each_with_object({}) do |batch, rss|
        WaHealth.fetch_many(requests, concurrency: SWEEP_CONCURRENCY)
        rss[batch] = rss_mib if marks.include?(batch)
      end
    end

    def memory_section((before, after_calls), after, half)
      last = scale.memory_batches
      moments = [["after 1,000 warm-up WaHealth.fetch calls", before],
                 ["after #{scale.memory_calls} more WaHealth.fetch calls", after_calls],
                 ["after 1 fetch_many batch of #{scale.batch_size}", after[1]],
                 ["after #{half} batches", after[half]], ["after #{last} batches", after[last]]]
      rows = moments.each_with_index.map do |(moment, rss), i|
        [moment, mib(rss), i.zero? ? "-" : mib(rss - moments[i - 1].last)]
      end
      Section.new(
        title: "4. Memory: resident set size of the process (Ruby, extension and FakeGraph)",
        headers: ["moment", "RSS", "growth since the line above"], rows: rows,
        notes: "RSS read from /proc/self/status after GC.start; server latency 0. A batch's results " \
               "(#{scale.batch_size} health Hashes) are its working set: the first batches raise RSS while Ruby's " \
               "heap grows to hold them (with its free slots), then it stays flat.",
        facts: { growth: after_calls - before, batches_growth: after[last] - after[half] }
      )
    end
  end
end
