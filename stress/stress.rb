# frozen_string_literal: true

# The long forms of the reliability specs (spec/reliability): run by `rake stress`, by hand.
#
#   bundle exec rake stress                      # everything, results into stress/RESULTS.md
#   STRESS_SCALE=0.05 bundle exec rake stress    # a quick pass (5% of every count)
#   STRESS_ONLY=load,forks bundle exec rake stress
#
# Each part checks every result it gets and exits non-zero if any was wrong. Nothing here leaves
# 127.0.0.0/8: every server is an in-process FakeGraph (or a subprocess talking to one).

require "English"
require "etc"
require "json"
require "timeout"
require "wa_health"
require "wa_health/testing"
require_relative "../spec/reliability/helpers"
require_relative "../spec/reliability/hostile_cases"

# The parts of `rake stress`; each appends a Markdown section and returns its checks.
module WaHealthStress
  include ReliabilityHelpers
  extend ReliabilityHelpers

  SCALE = Float(ENV.fetch("STRESS_SCALE", "1"))
  ONLY = ENV.fetch("STRESS_ONLY", "").split(",").map(&:strip).reject(&:empty?)
  TOKEN = "test-token"

  def self.count(full)
    [(full * SCALE).round, 1].max
  end

  def self.mib(kib)
    format("%.1f MiB", kib / 1024.0)
  end

  def self.percentile(values, fraction)
    sorted = values.sort
    sorted[[(sorted.size * fraction).ceil - 1, 0].max]
  end

  def self.ms(seconds)
    format("%.1f ms", seconds * 1000)
  end

  # Samples RSS every 0.2 s while the block runs; returns [block value, peak KiB].
  def self.sampling_rss
    peak = rss_kib
    sampler = Thread.new do
      loop do
        peak = [peak, rss_kib].max
        sleep 0.2
      end
    end
    [yield, [peak, rss_kib].max]
  ensure
    sampler&.kill
  end

  # -- 1. Load: threads x calls of a mix whose every answer is known in advance ------------------

  # name => [weight, call, check]. A check returns nil when the result is right, else a description.
  def self.mix(fake)
    base = { base_url: fake.url, timeout: 5 }
    fetch = ->(id, **extra) { WaHealth.fetch(phone_number_id: id, access_token: TOKEN, **base, **extra) }
    api_error = ->(klass, code) { ->(r) { r.inspect unless r.instance_of?(klass) && r.code == code } }
    error = ->(klass) { ->(r) { r.inspect unless r.instance_of?(klass) } }
    phone = ->(r) { r.inspect unless r.is_a?(Hash) && r[:verified_name] == "Acme Support" }
    with_waba = lambda do |r|
      r.inspect unless r.is_a?(Hash) && r[:name_status] == "PENDING_REVIEW" && r[:business_account_name] == "Acme WABA"
    end
    rules = lambda do
      health = { code_verification_status: "VERIFIED", platform_type: "CLOUD_API", throughput: { level: "STANDARD" } }
      [WaHealth.registration_decision(health).register?, WaHealth.next_registration_at(attempts: [], now: Time.at(0))]
    end
    {
      "success (phone)" => [40, -> { fetch.call("1001") }, phone],
      "success (phone + WABA, two requests)" => [20, -> { fetch.call("1002", business_account_id: "2001") }, with_waba],
      "AuthorizationError (wrong token)" =>
        [10, -> { WaHealth.fetch(phone_number_id: "1001", access_token: "wrong-token", **base) },
         api_error.call(WaHealth::AuthorizationError, 190)],
      "ApiError (unknown node, 100/33)" => [10, -> { fetch.call("9999") }, api_error.call(WaHealth::ApiError, 100)],
      "RateLimitError (queued 80007)" =>
        [5, -> { fetch.call("5005") }, api_error.call(WaHealth::RateLimitError, 80_007)],
      "InvalidResponseError (200 with an array)" =>
        [5, -> { fetch.call("4004") }, error.call(WaHealth::InvalidResponseError)],
      "TimeoutError (answer after 0.3 s, timeout 0.05 s)" =>
        [5, -> { fetch.call("3003", timeout: 0.05) }, error.call(WaHealth::TimeoutError)],
      "registration_decision + next_registration_at (no I/O)" =>
        [5, rules, ->(r) { r.inspect unless r == [false, Time.at(0)] }]
    }
  end

  def self.load_fake
    fake = WaHealth::Testing::FakeGraph.new(max_recorded_requests: 0).start
    fake.add_phone_number("1001")
    fake.add_phone_number("1002", :display_name_pending)
    fake.add_business_account("2001")
    forever = 1_000_000_000
    fake.queue_response(status: 200, body: { "id" => "3003" }, node: "3003", delay: 0.3, times: forever)
    fake.queue_response(status: 200, body: "[1,2,3]", content_type: "application/json", node: "4004", times: forever)
    fake.queue_error(status: 400, code: 80_007, message: "Rate limit hit", node: "5005", times: forever)
    fake
  end

  def self.load(out)
    threads = Integer(ENV.fetch("STRESS_THREADS", "32"))
    calls = count(Integer(ENV.fetch("STRESS_CALLS", "10000")))
    fake = load_fake
    mix = mix(fake)
    table = mix.flat_map { |name, (weight, _, _)| [name] * weight }
    200.times do |i|
      mix[table[i % table.size]][1].call
    rescue WaHealth::Error
      nil
    end
    warm_rss = rss_kib
    started = monotonic
    counts = Hash.new(0)
    failures = []
    lock = Mutex.new
    (results, peak) = sampling_rss do
      Array.new(threads) do |t|
        Thread.new do
          random = Random.new(t)
          local = Hash.new(0)
          calls.times do
            name = table[random.rand(table.size)]
            _, call, check = mix[name]
            result = begin
              call.call
            rescue WaHealth::Error => e
              e
            end
            problem = check.call(result)
            local[name] += 1
            lock.synchronize { failures << "#{name}: #{problem}" if failures.size < 20 } if problem
            local[:wrong] += 1 if problem
          end
          local
        end
      end.map(&:value)
    end
    took = monotonic - started
    results.each { |local| local.each { |k, v| counts[k] += v } }
    end_rss = rss_kib
    wrong = counts.delete(:wrong) || 0
    total = counts.values.sum
    out << "## Load: #{threads} threads x #{calls} mixed calls\n\n"
    out << "| call | count |\n|---|---:|\n"
    mix.each_key { |name| out << "| #{name} | #{counts[name]} |\n" }
    out << "\n- #{total} calls in #{format('%.1f', took)} s (#{(total / took).round}/s), " \
           "#{wrong} wrong result(s) (after 200 warm-up calls)\n"
    out << "- RSS: #{mib(warm_rss)} after warm-up, peak #{mib(peak)}, #{mib(end_rss)} at the end " \
           "(growth #{mib(end_rss - warm_rss)}; bound: 64 MiB)\n"
    failures.first(5).each { |f| out << "- wrong: `#{f[0, 300]}`\n" }
    out << "\n"
    [wrong.zero? && total == threads * calls, end_rss - warm_rss < 64 * 1024]
  ensure
    fake&.stop
  end

  # -- 2. Forks: children forked while the parent's threads are busy with requests ----------------

  def self.forks(out)
    rounds = count(200)
    fake = load_fake
    fetch = -> { WaHealth.fetch(phone_number_id: "1001", access_token: TOKEN, base_url: fake.url, timeout: 5) }
    stop = false
    busy = Array.new(4) { Thread.new { fetch.call until stop } }
    sleep 0.2
    times = []
    bad = 0
    before = [socket_count, os_thread_count]
    rounds.times do
      reader, writer = IO.pipe
      started = monotonic
      pid = fork do
        reader.close
        answers = Array.new(10) { fetch.call[:verified_name] }.uniq
        writer.write(answers == ["Acme Support"] ? "ok" : answers.inspect)
        exit!(0)
      end
      writer.close
      answer = Timeout.timeout(10) { reader.read }
      Process.wait(pid)
      times << (monotonic - started)
      bad += 1 unless answer == "ok" && $CHILD_STATUS.success?
    ensure
      reader&.close
    end
    stop = true
    busy.each(&:join)
    parent_ok = fetch.call[:verified_name] == "Acme Support"
    eventually { fake.stats["in_flight"].zero? }
    after = [socket_count, os_thread_count]
    out << "## Forks: #{rounds} children, each forked while 4 threads of the parent make requests\n\n"
    out << "- every child made 10 requests of its own: #{rounds - bad} right, #{bad} wrong\n"
    out << "- fork to child exit: median #{ms(percentile(times, 0.5))}, p99 #{ms(percentile(times, 0.99))}, " \
           "max #{ms(times.max)}\n"
    out << "- parent still working afterwards: #{parent_ok}; sockets, OS threads: #{before} before, #{after} after\n\n"
    [bad.zero? && parent_ok && times.max < 5]
  ensure
    stop = true
    fake&.stop
  end

  # -- 3. Interrupts: Thread#kill / #raise / Timeout during requests, then count what is left -----

  def self.interrupts(out)
    rounds = count(3000)
    fake = WaHealth::Testing::FakeGraph.new(max_recorded_requests: 0).start
    fake.add_phone_number("1001")
    fake.queue_response(status: 200, body: { "id" => "1001" }, node: "1001", delay: 0.5, times: 1_000_000_000)
    fetch = -> { WaHealth.fetch(phone_number_id: "1001", access_token: TOKEN, base_url: fake.url, timeout: 30) }
    kinds = %i[kill raise timeout]
    warm = Thread.new { fetch.call }
    sleep 0.05
    warm.kill.join
    eventually(limit: 10) { fake.stats["in_flight"].zero? }
    before = { threads: Thread.list.size, os_threads: os_thread_count, sockets: socket_count, rss: rss_kib }
    latencies = Hash.new { |h, k| h[k] = [] }
    wrong = 0
    rounds.times do |i|
      kind = kinds[i % kinds.size]
      case kind
      when :timeout
        started = monotonic
        begin
          Timeout.timeout(0.02) { fetch.call }
          wrong += 1
        rescue Timeout::Error
          latencies[kind] << (monotonic - started - 0.02)
        end
      else
        thread = Thread.new do
          fetch.call
        rescue RuntimeError
          :raised
        end
        sleep 0.005
        started = monotonic
        kind == :kill ? thread.kill : thread.raise(RuntimeError, "stop")
        value = thread.join(5)&.value
        latencies[kind] << (monotonic - started)
        wrong += 1 if thread.alive? || (kind == :raise && value != :raised)
      end
    end
    settled = eventually(limit: 10) { fake.stats["in_flight"].zero? }
    GC.start
    after = { threads: Thread.list.size, os_threads: os_thread_count, sockets: socket_count, rss: rss_kib }
    out << "## Interrupts: #{rounds} requests stopped by Thread#kill, Thread#raise and Timeout.timeout\n\n"
    out << "| interrupt | count | median | p99 | max |\n|---|---:|---:|---:|---:|\n"
    latencies.each do |kind, values|
      out << "| #{kind} | #{values.size} | #{ms(percentile(values, 0.5))} | #{ms(percentile(values, 0.99))} | " \
             "#{ms(values.max)} |\n"
    end
    out << "\n(time from the interrupt to the thread being done; for Timeout, past its deadline)\n\n"
    out << "- wrong outcomes: #{wrong}; server idle again: #{settled}\n"
    out << "- before -> after: Ruby threads #{before[:threads]} -> #{after[:threads]}, OS threads " \
           "#{before[:os_threads]} -> #{after[:os_threads]}, sockets #{before[:sockets]} -> #{after[:sockets]}, " \
           "RSS #{mib(before[:rss])} -> #{mib(after[:rss])}\n\n"
    max = latencies.values.flatten.max || 0
    [wrong.zero? && max < INTERRUPT_BOUND, after[:threads] <= before[:threads],
     after[:os_threads] <= before[:os_threads], after[:sockets] <= before[:sockets],
     after[:rss] - before[:rss] < 32 * 1024]
  ensure
    fake&.stop
  end

  # -- 4. SIGINT: Ctrl-C to a process whose every thread is inside a request --------------------

  def self.sigint(out)
    rounds = count(60)
    fake = WaHealth::Testing::FakeGraph.new(max_recorded_requests: 0).start
    fake.add_phone_number("1001")
    fake.queue_response(status: 200, body: {}, node: "1001", delay: 60, times: 1_000_000_000)
    latencies = []
    wrong = []
    rounds.times do |i|
      threads = [1, 2, 4][i % 3]
      call = i.even? ? "fetch" : "fetch_many"
      requests = call == "fetch_many" ? 3 * threads : threads
      # Counted from requests received: requests of earlier children may still be "in flight" on
      # the server, which is still sleeping on them.
      received = fake.stats["request_count"]
      pid, reader = spawn_ruby(ReliabilityHelpers::SIGINT_CHILD, fake.url, threads.to_s, call)
      begin
        eventually(limit: 10) { fake.stats["request_count"] >= received + requests }
        sleep 0.02
        started = monotonic
        Process.kill("INT", pid)
        line = Timeout.timeout(10) { reader.gets }
        latencies << (monotonic - started)
        wrong << "#{threads} #{call} call(s): #{line.inspect}" unless line == "interrupted\n"
      ensure
        reap(pid)
        reader.close
      end
    end
    out << "## SIGINT: #{rounds} processes with 1, 2 or 4 fetch or fetch_many calls in flight (one on the main " \
           "thread, none answered), Ctrl-C\n\n"
    out << "- Interrupt raised in the main thread: #{rounds - wrong.size} of #{rounds}\n"
    wrong.first(5).each { |w| out << "- wrong: #{w}\n" }
    out << "- signal to `rescue Interrupt`: median #{ms(percentile(latencies, 0.5))}, " \
           "p99 #{ms(percentile(latencies, 0.99))}, max #{ms(latencies.max)} (bound #{ms(INTERRUPT_BOUND)})\n\n"
    [wrong.empty? && latencies.max < INTERRUPT_BOUND]
  ensure
    fake&.stop
  end

  # -- 5. Hostile answers, over and over ---------------------------------------------------------

  def self.check_hostile(result, expectation)
    if expectation.is_a?(Hash)
      return result.inspect[0, 200] unless result.is_a?(Hash) && expectation.all? { |k, v| result[k] == v }
    else
      klass, pattern = expectation
      return "#{result.class}: #{result.inspect[0, 200]}" unless result.instance_of?(klass) && result.message =~ pattern
    end
    nil
  end

  def self.hostile(out)
    rounds = count(100)
    fake = WaHealth::Testing::FakeGraph.new(max_recorded_requests: 0).start
    fake.add_phone_number("1001")
    fetch = -> { WaHealth.fetch(phone_number_id: "1001", access_token: TOKEN, base_url: fake.url, timeout: 5) }
    cases = HostileResponses::CASES
    fake.queue_response(**cases.values.first[0])
    begin
      fetch.call
    rescue WaHealth::Error
      nil
    end
    before = rss_kib
    wrong = []
    started = monotonic
    (_, peak) = sampling_rss do
      rounds.times do
        cases.each do |name, (response, expectation)|
          fake.queue_response(**response)
          result = begin
            fetch.call
          rescue WaHealth::Error => e
            e
          end
          problem = check_hostile(result, expectation)
          wrong << "#{name}: #{problem}" if problem
        end
      end
    end
    took = monotonic - started
    GC.start
    after = rss_kib
    out << "## Hostile answers: the #{cases.size} cases of hostile_responses_spec, #{rounds} times each\n\n"
    out << "- #{rounds * cases.size} answers in #{format('%.1f', took)} s, #{wrong.size} handled wrongly\n"
    out << "- RSS #{mib(before)} before, peak #{mib(peak)}, #{mib(after)} after (growth #{mib(after - before)})\n"
    wrong.first(5).each { |w| out << "- wrong: `#{w}`\n" }
    out << "\n"
    [wrong.empty?, after - before < 64 * 1024]
  ensure
    fake&.stop
  end

  # -- 6. (opt-in) A real DNS lookup of a reserved name: STRESS_DNS=1 ----------------------------
  # Not part of the default run: it sends a query to the system's resolver, outside 127.0.0.0/8.

  def self.dns(out)
    outcomes = Array.new(5) do
      started = monotonic
      begin
        WaHealth.fetch(phone_number_id: "1001", access_token: TOKEN, base_url: "https://wa-health-nonexistent.invalid",
                       open_timeout: 2, timeout: 5)
        [:answered, monotonic - started]
      rescue WaHealth::Error => e
        [e.class, monotonic - started]
      end
    end
    out << "## DNS: https://wa-health-nonexistent.invalid, open_timeout 2 s\n\n"
    outcomes.each { |klass, took| out << "- #{klass} after #{ms(took)}\n" }
    out << "\n"
    ok = outcomes.all? do |klass, took|
      [WaHealth::ConnectionError, WaHealth::TimeoutError].include?(klass) && took < 2.5
    end
    [ok]
  end

  PARTS = { "load" => :load, "forks" => :forks, "interrupts" => :interrupts, "sigint" => :sigint,
            "hostile" => :hostile }.merge(ENV["STRESS_DNS"] == "1" ? { "dns" => :dns } : {}).freeze

  NOTES = <<~MARKDOWN
    ## Reading these numbers

    - Every part runs in one process with its FakeGraph. RSS and socket counts include the fake's
      share, and the machine may be busy with other work, so timings vary from run to run.
    - Sockets stay constant across the fork and interrupt parts. Most of them are keep-alive
      connections that idle engines pooled during the load part (one engine per concurrent thread).
      An idle engine's runtime runs only while a call uses it, so connections that the stopped load
      FakeGraph closed sit in CLOSE_WAIT until that engine is leased again. The count is bounded by
      the engine pool; it does not grow.
    - OS threads drop after the load part because the runtimes' idle blocking threads time out.
  MARKDOWN

  def self.run(path)
    out = +"# rake stress: results\n\n"
    out << "Run #{Time.now.utc.strftime('%Y-%m-%d %H:%M UTC')} on #{Etc.nprocessors} CPU(s), " \
           "#{RUBY_DESCRIPTION}, scale #{SCALE}.\n\n"
    verdicts = {}
    PARTS.each do |name, part|
      next unless ONLY.empty? || ONLY.include?(name)

      $stdout.puts "stress: #{name}..."
      started = monotonic
      section = +""
      passed = public_send(part, section).all?
      verdicts[name] = passed
      section << "Verdict: **#{passed ? 'pass' : 'FAIL'}** (#{format('%.0f', monotonic - started)} s)\n\n"
      $stdout.puts section
      out << section
    end
    out << NOTES
    File.write(path, out)
    $stdout.puts "stress: results written to #{path}"
    verdicts.values.all?
  end
end

if $PROGRAM_NAME == __FILE__
  path = ENV.fetch("STRESS_OUT", File.expand_path("RESULTS.md", __dir__))
  exit(WaHealthStress.run(path) ? 0 : 1)
end
