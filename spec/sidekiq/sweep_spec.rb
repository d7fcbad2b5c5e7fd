# frozen_string_literal: true

require "json"
require "rbconfig"
require "securerandom"
require "tmpdir"
require "wa_health/sidekiq"
require_relative "redis_server"
require_relative "sweep_fleet"

# The real thing: redis-server (Debian) on a free loopback port, two `sidekiq` processes (Sidekiq OSS has
# no multi-process mode) with 4 threads each, FakeGraph in this process reached by its URL. 2,000
# channels; one batch of 100 is rate limited with Meta's usage header (retry_after 60 s, capped to 2 s
# in the workers by WaHealth::SweepJob.max_retry_delay); three channels have an expired token.
RSpec.describe "A fleet sweep on Sidekiq" do
  limited = (201..300).to_a # the third batch of 100, exactly
  expired = [7, 1_500, 1_999]
  max_retry_delay = 2.0
  deadline_seconds = 45

  before(:context) do
    @sweep = run_sweep(limited: limited, expired: expired, max_retry_delay: max_retry_delay,
                       deadline_seconds: deadline_seconds)
  end

  after(:context) { @sweep&.fetch(:cleanup, nil)&.call }

  attr_reader :sweep

  it "finishes within the deadline, with both worker processes taking jobs and nothing left in Redis" do
    expect(sweep[:finished]).to be(true), "not finished after #{deadline_seconds}s:\n#{sweep[:worker_logs]}"
    expect(sweep[:jobs_enqueued]).to eq(20)
    expect(sweep[:runs].map { |run| run["pid"] }.uniq.size).to eq(2)
    expect(sweep[:leftover]).to eq("queue" => 0, "schedule" => 0, "retry" => 0, "dead" => 0)
  end

  it "delivers every channel id to the sink exactly once" do
    counts = sweep[:sink_counts]
    expect(counts.keys.map(&:to_i)).to match_array(SweepFleet::CHANNEL_IDS.to_a)
    expect(counts.values.uniq).to eq(["1"])
    outcomes = sweep[:sink_outcomes]
    (SweepFleet::CHANNEL_IDS.to_a - expired).each do |id|
      expect(outcomes[id.to_s]).to eq("ok #{SweepFleet.phone_number_id(id)} GREEN")
    end
    expired.each { |id| expect(outcomes[id.to_s]).to eq("error WaHealth::AuthorizationError 190") }
    expect(sweep[:sink_pids].values.uniq.size).to eq(2)
  end

  it "re-enqueues the rate-limited batch once, and runs it after the (capped) retry_after" do
    retries = sweep[:runs].select { |run| run["args"].size == 2 }
    expect(retries.map { |run| run["args"] }).to eq([[limited, 1]])
    first = sweep[:runs].find { |run| run["args"].size == 1 && run["args"].first.include?(limited.first) }
    expect(first["args"]).to eq([limited])
    waited = retries.first["started_at"] - first["started_at"]
    expect(waited).to be >= max_retry_delay
    expect(waited).to be < max_retry_delay + 10
    expect(sweep[:worker_logs]).to match(/100 channel\(s\) rate limited; retrying in 2\.\ds \(attempt 1\)/)
  end

  it "sends one fetch_many.wa_health event per job to the workers' instrumenter" do
    expect(sweep[:events].map { |event| event["name"] }).to eq(["fetch_many.wa_health"] * sweep[:runs].size)
  end

  it "read each channel once from Meta, twice for the rate-limited ones" do
    gets = sweep[:graph_gets]
    expect(gets.keys).to match_array(SweepFleet::CHANNEL_IDS.map { |id| SweepFleet.phone_number_id(id) })
    limited_phones = limited.map { |id| SweepFleet.phone_number_id(id) }
    expect(gets.slice(*limited_phones).values.uniq).to eq([2])
    expect(gets.except(*limited_phones).values.uniq).to eq([1])
  end

  it "puts channel ids only in jobs, and no token or app secret anywhere in Redis or the logs" do
    sweep[:runs].each do |run|
      ids, *attempt = run["args"]
      expect(ids).to all(be_a(Integer))
      expect(attempt).to eq([]).or(eq([1]))
    end
    # Scanned during the run and once after it; how many times depends on the machine's load (each scan
    # walks every key), so only "more than the final scan" is asserted.
    expect(sweep[:redis_snapshots]).to be >= 2
    expect(sweep[:redis_bytes_seen]).to be > 100_000 # the scans did see the jobs and the sink
    expect(sweep[:secrets_in_redis]).to eq([])
    [sweep[:worker_logs], sweep[:redis_log]].each do |log|
      expect(log).not_to include(sweep[:token])
      expect(log).not_to include(sweep[:app_secret])
    end
  end

  # -- the run --------------------------------------------------------------------------------------

  def run_sweep(limited:, expired:, max_retry_delay:, deadline_seconds:)
    state = { token: "EAAG#{SecureRandom.hex(24)}", app_secret: "sweep-app-secret-#{SecureRandom.hex(8)}" }
    redis_server = RedisServer.start
    fake = start_fleet(state, limited, expired)
    workers = start_workers(state, redis_server, fake, max_retry_delay)
    restore_client = configure_client(redis_server)
    state[:cleanup] = lambda do
      workers.each { |worker| stop_worker(worker) }
      FileUtils.remove_entry(workers.first[:dir])
      fake.stop
      redis_server.stop
      restore_client.call
    end

    wait_for_workers(workers)
    state[:jobs_enqueued] = Sidekiq::Client.via(@pool) do
      WaHealth::SweepJob.enqueue_all(SweepFleet::CHANNEL_IDS, batch_size: SweepFleet::BATCH_SIZE)
    end
    watch(state, deadline_seconds)
    collect(state, fake, workers, redis_server)
    state
  rescue StandardError
    state[:cleanup]&.call
    raise
  end

  # This process's connection to the spec's Redis: a pool of its own, used through Sidekiq::Client.via.
  # (Sidekiq 7 memoizes its default pool the first time any client is made, so setting the default
  # configuration's URL afterwards would still reach localhost:6379.) Quiet: Sidekiq 7 logs "connecting to
  # Redis". Returns a lambda that gives Sidekiq its logger back.
  def configure_client(redis_server)
    logger = Sidekiq.logger
    # Sidekiq 6.4's sadd calls, which redis-rb 4.8 warns about (Sidekiq 7 has redis-client instead).
    Redis.silence_deprecations = true if defined?(Redis)
    Sidekiq.configure_client { |config| config.logger = Logger.new(File::NULL) }
    @pool = Sidekiq::RedisConnection.create(url: redis_server.url, size: 5)
    -> { Sidekiq.configure_client { |config| config.logger = logger } }
  end

  def start_fleet(state, limited, expired)
    fake = WaHealth::Testing::FakeGraph.new(access_token: state[:token], app_secret: state[:app_secret],
                                            latency: 0.005).start
    SweepFleet::CHANNEL_IDS.each { |id| fake.add_phone_number(SweepFleet.phone_number_id(id)) }
    # Meta's estimate is in minutes: 1 minute, so retry_after is 60 s.
    usage = JSON.generate("2001" => [{ "type" => "whatsapp", "call_count" => 100,
                                       "estimated_time_to_regain_access" => 1 }])
    limited.each do |id|
      fake.queue_error(code: 80_007, status: 400, message: "(#80007) Rate limit hit for WhatsApp Business Account",
                       headers: { "X-Business-Use-Case-Usage" => usage },
                       node: SweepFleet.phone_number_id(id), endpoint: :get)
    end
    expired.each do |id|
      fake.queue_error(code: 190, subcode: 463, status: 401, message: "Error validating access token",
                       node: SweepFleet.phone_number_id(id), endpoint: :get)
    end
    fake
  end

  def start_workers(state, redis_server, fake, max_retry_delay)
    dir = Dir.mktmpdir("wa_health-sidekiq")
    env = { "REDIS_URL" => redis_server.url, "WA_HEALTH_GRAPH_URL" => fake.url,
            "WA_HEALTH_SWEEP_TOKEN" => state[:token], "WA_HEALTH_SWEEP_APP_SECRET" => state[:app_secret],
            "WA_HEALTH_SWEEP_MAX_RETRY_DELAY" => max_retry_delay.to_s }
    boot = File.expand_path("sweep_worker.rb", __dir__)
    Array.new(2) do |index|
      log = File.join(dir, "sidekiq-#{index}.log")
      pid = Process.spawn(env, RbConfig.ruby, Gem.bin_path("sidekiq", "sidekiq"), "-r", boot, "-c", "4",
                          "-q", "default", "-t", "5", "-g", "sweep-#{index}", out: log, err: log)
      { pid: pid, log: log, dir: dir }
    end
  end

  # The pool's connection is the redis gem's client on Sidekiq 6 and redis-client's, with Sidekiq's command
  # methods, on Sidekiq 7: the spec calls the commands both define, and `call` for the others.
  def redis(&)
    @pool.with(&)
  end

  def wait_for_workers(workers)
    until_deadline(20) { redis { |conn| conn.scard("processes") } >= workers.size }
    return if redis { |conn| conn.scard("processes") } >= workers.size

    raise "the sidekiq processes did not start:\n#{workers.map { |w| File.read(w[:log]) }.join("\n")}"
  end

  # Polls until every channel reached the sink and no job is queued, scheduled or running, scanning all
  # of Redis for the token and the app secret on every pass.
  def watch(state, deadline_seconds)
    state.merge!(redis_snapshots: 0, redis_bytes_seen: 0, secrets_in_redis: [])
    state[:finished] = until_deadline(deadline_seconds) do
      redis do |conn|
        scan_redis(state, conn)
        conn.hlen("sweep:sink:count") >= SweepFleet::CHANNEL_IDS.size && idle?(conn)
      end
    end
    redis { |conn| scan_redis(state, conn) }
  end

  def idle?(conn)
    conn.llen("queue:default").zero? && conn.zcard("schedule").zero? &&
      conn.smembers("processes").sum { |process| conn.hget(process, "busy").to_i }.zero?
  end

  def scan_redis(state, conn)
    secrets = { "token" => state[:token], "app secret" => state[:app_secret] }
    bytes = 0
    each_key(conn) do |key|
      text = "#{key} #{redis_value(conn, key)}"
      bytes += text.bytesize
      secrets.each { |name, secret| state[:secrets_in_redis] |= ["#{name} in #{key}"] if text.include?(secret) }
    end
    state[:redis_snapshots] += 1
    state[:redis_bytes_seen] = [state[:redis_bytes_seen], bytes].max
  end

  def each_key(conn, &)
    cursor = "0"
    loop do
      cursor, keys = conn.call("SCAN", cursor, "COUNT", 1_000)
      keys.each(&)
      break if cursor == "0"
    end
  end

  def redis_value(conn, key)
    case conn.type(key)
    when "string" then conn.get(key)
    when "hash" then conn.hgetall(key)
    when "list" then conn.lrange(key, 0, -1)
    when "set" then conn.smembers(key)
    when "zset" then conn.call("ZRANGE", key, 0, -1, "WITHSCORES")
    else conn.call("DUMP", key)
    end.to_s
  end

  def collect(state, fake, workers, redis_server)
    redis { |conn| collect_redis(state, conn) }
    gets = fake.requests.select { |request| request.http_method == "GET" }
    state[:graph_gets] = gets.map { |request| request.path.split("/").last }.tally
    workers.each { |worker| stop_worker(worker) }
    state[:worker_logs] = workers.map { |worker| File.read(worker[:log]) }.join("\n")
    state[:redis_log] = File.read(redis_server.log_path)
  end

  def collect_redis(state, conn)
    state[:runs] = conn.lrange("sweep:runs", 0, -1).map { |run| JSON.parse(run) }
    state[:events] = conn.lrange("sweep:events", 0, -1).map { |event| JSON.parse(event) }
    %w[count outcome pid].each { |fact| state[:"sink_#{fact}s"] = conn.hgetall("sweep:sink:#{fact}") }
    state[:leftover] = { "queue" => conn.llen("queue:default") }
    %w[schedule retry dead].each { |set| state[:leftover][set] = conn.zcard(set) }
  end

  def stop_worker(worker)
    return unless worker[:pid]

    Process.kill("TERM", worker[:pid])
    unless until_deadline(10) { Process.waitpid(worker[:pid], Process::WNOHANG) }
      Process.kill("KILL", worker[:pid])
      Process.wait(worker[:pid])
    end
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    worker[:pid] = nil
  end

  # Calls the block every 0.2 s until it returns true (then returns true) or the time is up (false).
  def until_deadline(seconds)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
    loop do
      return true if yield
      return false if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.2
    end
  end
end
