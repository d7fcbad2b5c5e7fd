# frozen_string_literal: true

require "fileutils"
require "json"
require "logger"
require "rbconfig"
require "securerandom"
require "tmpdir"
require "wa_health"
require "wa_health/sidekiq"
require "wa_health/testing"
require_relative "../support/loopback_server"
require_relative "event_fleet"
require_relative "redis_server"

# Meta's health webhooks end to end, as Chatwoot runs them, all on 127.0.0.1: FakeGraph (Meta) delivers a
# signed event to WaHealth::WebhookEndpoint served by Puma in this process; the app's event_handler applies
# it to the channel's snapshot and enqueues WaHealth::EventJob into redis-server; a separate `sidekiq`
# process (spec/sidekiq/event_worker.rb) performs it against FakeGraph. The endpoint and the worker keep
# their event ledger (WaHealth::EventLedger) in the same redis-server. Used by
# spec/sidekiq/event_loop_spec.rb and by `rake bench` (bench/event_loop.rb).
#
#   loop = EventLoop.start(channels: 1..3)
#   loop.approve(1) # => #<struct Outcome webhook_status=200, status="CONNECTED", registered_after=0.01, ...>
#   loop.stop
class EventLoop
  # What one approval led to: the endpoint's answer, the actions the handler got, what the worker recorded,
  # and the seconds from sending the webhook to Meta accepting the PIN and to the sink reading the status.
  Outcome = Struct.new(:webhook_status, :actions, :registration, :status, :worker_pid, :registered_after,
                       :connected_after, keyword_init: true)

  class Failed < StandardError; end

  attr_reader :fake, :token, :app_secret, :pin

  def self.start(channels:, worker_boot_timeout: 30)
    new(channels).tap { |loop| loop.start(worker_boot_timeout) }
  end

  def initialize(channels)
    @channels = channels.to_a
    @token = "EAAG#{SecureRandom.hex(24)}"
    @app_secret = "event-app-secret-#{SecureRandom.hex(8)}"
    @pin = format("%06d", SecureRandom.random_number(100_000..999_999))
    @snapshots = {}
    @actions = {}
    @handled = Hash.new(0)
    @lock = Mutex.new
    @worker_logs = []
  end

  # Everything is stopped again when a step fails.
  def start(worker_boot_timeout)
    @redis_server = RedisServer.start
    # Sidekiq 6.4's pushes call sadd the way redis-rb 4.8 warns about (Sidekiq 7 has redis-client instead).
    Redis.silence_deprecations = true if defined?(Redis)
    @pool = Sidekiq::RedisConnection.create(url: @redis_server.url, size: 5)
    start_fake
    endpoint = WaHealth::WebhookEndpoint.new(app_secret: app_secret, handler: method(:receive),
                                             ledger: WaHealth::EventLedger.redis(@pool))
    @server = LoopbackServer.start(endpoint, threads: 8)
    fake.webhook_callback = @server.url("/webhooks/whatsapp")
    start_worker
    wait_for_worker(worker_boot_timeout)
    self
  rescue StandardError, Interrupt
    stop
    raise
  end

  # Meta approves the channel's display name; waits (at most timeout seconds) for the worker to have read
  # the health after the registration.
  def approve(channel_id, timeout: 15)
    sent = monotonic
    status = fake.approve_display_name(EventFleet.phone_number_id(channel_id))
    facts = wait_for_outcome(channel_id, timeout)
    Outcome.new(webhook_status: status, actions: actions(channel_id),
                registration: facts["registration"], status: facts["status"], worker_pid: facts["pid"]&.to_i,
                registered_after: facts["registered_at"] && (Float(facts["registered_at"]) - sent),
                connected_after: facts["sunk_at"] && (Float(facts["sunk_at"]) - sent))
  end

  def snapshot(channel_id)
    @lock.synchronize { @snapshots[channel_id] }
  end

  # The action types the event_handler got for the channel's last event.
  def actions(channel_id)
    @lock.synchronize { @actions[channel_id] }
  end

  # How many times the event_handler got the event with this event_id.
  def handled(event_id)
    @lock.synchronize { @handled[event_id] }
  end

  # What the redis-server holds under key.
  def redis_get(key)
    redis { |conn| conn.call("GET", key) }
  end

  # Waits (at most timeout seconds) until the workers have started `count` jobs in all.
  def wait_for_job_runs(count, timeout: 30)
    until_deadline(timeout, pause: 0.01) { job_runs.size >= count } ||
      raise(Failed, "#{count} job runs not seen within #{timeout}s:\n#{worker_log}")
  end

  # Waits (at most timeout seconds) for the outcome the worker records for the channel.
  def outcome(channel_id, timeout: 30)
    wait_for_outcome(channel_id, timeout)
  end

  # Stops the sidekiq process with TERM (Sidekiq requeues the jobs it has not finished within its -t
  # seconds, then raises Sidekiq::Shutdown in them) and starts another one. grace: seconds the process gets
  # to exit before it is killed (a KILL before Sidekiq's own shutdown would lose the job it runs).
  def restart_worker(boot_timeout: 30, grace: 60)
    stop_worker(grace)
    start_worker
    wait_for_worker(boot_timeout)
  end

  # Every sidekiq process's log, the last one's included.
  def worker_log
    (@worker_logs + [@worker ? read_worker_log : nil]).compact.join
  end

  # The arguments of every job the worker ran.
  def job_runs
    redis { |conn| conn.lrange(EventFleet::RUNS_KEY, 0, -1) }.map { |args| JSON.parse(args) }
  end

  # Every key and value in Redis as text, to look for secrets in.
  def redis_dump
    redis do |conn|
      conn.call("KEYS", "*").map do |key|
        value = case conn.type(key)
                when "string" then conn.get(key)
                when "hash" then conn.hgetall(key)
                when "list" then conn.lrange(key, 0, -1)
                when "set" then conn.smembers(key)
                else conn.call("DUMP", key)
                end
        "#{key} #{value}"
      end.join("\n")
    end
  end

  # Stops the worker (TERM, KILL after 10 s), Puma, FakeGraph and redis-server; the worker's log is kept
  # in worker_log. Safe to call twice and after a failed start.
  def stop
    stop_worker
    @server&.stop
    @fake&.stop
    @pool&.shutdown(&:close)
    @redis_server&.stop
    FileUtils.remove_entry(@dir) if @dir && File.directory?(@dir)
    @dir = nil
  end

  private

  def start_fake
    @fake = WaHealth::Testing::FakeGraph.new(access_token: token, app_secret: app_secret).start
    @channels.each do |id|
      waba = EventFleet.business_account_id(id)
      fake.add_business_account(waba)
      # Two-step verification already has this PIN: registering with another one answers 133005.
      fake.add_phone_number(EventFleet.phone_number_id(id), :display_name_pending,
                            business_account: waba, pin: pin, display_phone_number: EventFleet.display_phone_number(id))
      @snapshots[id] = WaHealth.fetch(phone_number_id: EventFleet.phone_number_id(id), access_token: token,
                                      app_secret: app_secret, base_url: fake.url)
    end
  end

  # The app's event_handler, as Channel::Whatsapp.receive_health_event and apply_health_event do it
  # (docs/chatwoot-guide.md, step 7), with the channels' snapshots in memory; runs on a Puma thread.
  def receive(event)
    channel_id = @channels.find { |id| EventFleet.business_account_id(id) == event[:waba_id] } or return
    actions = @lock.synchronize do
      @handled[event[:event_id]] += 1
      @snapshots[channel_id], actions = WaHealth.apply_event(@snapshots[channel_id], event)
      @actions[channel_id] = actions.map { |action| action[:type] }
      actions
    end
    Sidekiq::Client.via(@pool) { WaHealth::EventJob.enqueue(channel_id, actions) }
  end

  def start_worker
    @dir ||= Dir.mktmpdir("wa_health-event-loop")
    @worker_log_path = File.join(@dir, "sidekiq-#{@worker_logs.size}.log")
    env = { "REDIS_URL" => @redis_server.url, "WA_HEALTH_GRAPH_URL" => fake.url, "WA_HEALTH_EVENT_TOKEN" => token,
            "WA_HEALTH_EVENT_APP_SECRET" => app_secret, "WA_HEALTH_EVENT_PIN" => pin }
    boot = File.expand_path("event_worker.rb", __dir__)
    @worker = Process.spawn(env, RbConfig.ruby, Gem.bin_path("sidekiq", "sidekiq"), "-r", boot, "-c", "2",
                            "-q", "default", "-t", "1", "-g", "event-loop", out: @worker_log_path,
                                                                            err: @worker_log_path)
  end

  def wait_for_worker(timeout)
    exited = false
    up = until_deadline(timeout) do
      exited = worker_exited?
      exited || redis { |conn| conn.scard("processes") }.positive?
    end
    return if up && !exited

    raise Failed, "the sidekiq process did not start within #{timeout}s:\n#{read_worker_log}"
  end

  def wait_for_outcome(channel_id, timeout)
    key = EventFleet.outcome_key(channel_id)
    facts = {}
    until_deadline(timeout, pause: 0.002) do
      facts = redis { |conn| conn.hgetall(key) }
      facts.key?("sunk_at")
    end || raise(Failed, "channel #{channel_id}: no outcome within #{timeout}s:\n#{worker_log}")
    facts
  end

  def worker_exited?
    @worker = nil if @worker && Process.waitpid(@worker, Process::WNOHANG)
    @worker.nil?
  rescue Errno::ECHILD
    @worker = nil
    true
  end

  def stop_worker(grace = 10)
    return unless @worker

    Process.kill("TERM", @worker)
    unless until_deadline(grace) { Process.waitpid(@worker, Process::WNOHANG) }
      Process.kill("KILL", @worker)
      Process.wait(@worker)
    end
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @worker = nil
    @worker_logs << read_worker_log if @worker_log_path
    @worker_log_path = nil
  end

  def read_worker_log
    @worker_log_path && File.exist?(@worker_log_path) ? File.read(@worker_log_path) : ""
  end

  def redis(&)
    @pool.with(&)
  end

  def until_deadline(seconds, pause: 0.1)
    deadline = monotonic + seconds
    loop do
      return true if yield
      return false if monotonic > deadline

      sleep pause
    end
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
