# frozen_string_literal: true

require "fileutils"
require "json"
require "open3"
require "rbconfig"
require "socket"
require "tmpdir"

# The spec Rails app (spec/rails_app) served by a real Puma in cluster mode, as Chatwoot runs it: 2 workers
# of 5 threads, preload_app!, and the gem already used in the master before it forks (a WaHealth.fetch in
# before_fork, as an initializer of Chatwoot's boot can). Its SQLite file is seeded by spec/puma/seed.rb
# before Puma starts; Meta is the FakeGraph given to start, in the caller's process. Used by
# spec/puma/cluster_spec.rb and rake bench. Loopback only; stop kills what start spawned, whatever happened.
class PumaCluster
  ROOT = File.expand_path("../..", __dir__)
  APP = File.join(ROOT, "spec", "rails_app")
  WORKERS = 2
  THREADS = 5
  BUSINESS_ACCOUNT_ID = "2001"

  class Error < StandardError; end

  Inbox = Struct.new(:account_id, :inbox_id, :user_token, :phone_number_id, :display_phone_number,
                     keyword_init: true) do
    def path
      "/api/v1/accounts/#{account_id}/inboxes/#{inbox_id}/health"
    end
  end

  attr_reader :port, :pid, :inboxes, :dir

  def self.start(fake, inboxes: 20, boot_timeout: 60)
    cluster = new(fake)
    cluster.start(inboxes, boot_timeout)
    cluster
  end

  def initialize(fake)
    @fake = fake
  end

  def start(count, boot_timeout)
    @dir = Dir.mktmpdir("wa_health-puma")
    @inboxes = seed(register_numbers(count))
    @port = free_port
    File.write(config_path, config)
    @pid = Process.spawn(env, RbConfig.ruby, Gem.bin_path("puma", "puma"), "-C", config_path,
                         chdir: APP, out: log_path, err: log_path)
    wait_for_workers(boot_timeout)
  rescue StandardError
    stop
    raise
  end

  def url
    "http://127.0.0.1:#{port}"
  end

  # Puma's own output (both generations after a hot restart) and the Rails log of every worker.
  def log
    File.exist?(log_path) ? File.read(log_path) : ""
  end

  def rails_log
    path = File.join(dir, "rails.log")
    File.exist?(path) ? File.read(path) : ""
  end

  # The master's live children: its workers.
  def worker_pids
    return [] unless pid

    Dir["/proc/[0-9]*/stat"].filter_map do |stat|
      fields = File.read(stat).sub(/\A\d+ \(.*\) /m, "").split
      Integer(File.basename(File.dirname(stat))) if Integer(fields[1]) == pid && fields[0] != "Z"
    rescue SystemCallError, ArgumentError
      nil
    end
  end

  # Workers that Puma's log says booted and that are alive now.
  def booted_worker_pids
    log.scan(/Worker \d+ \(PID: (\d+)\) booted/).flatten.map(&:to_i) & worker_pids
  end

  # Blocks until WORKERS workers have booted, none of them in `except` (the previous generation's).
  def wait_for_workers(timeout, except: [])
    deadline = now + timeout
    loop do
      ready = booted_worker_pids - except
      return ready if ready.size == WORKERS

      raise Error, "Puma exited during boot:\n#{log}" if Process.waitpid(pid, Process::WNOHANG)
      raise Error, "Puma's #{WORKERS} workers not booted within #{timeout}s:\n#{log}" if now > deadline

      sleep 0.05
    end
  end

  def signal(name, target = pid)
    Process.kill(name, target)
  end

  # TERM, then KILL after 10 s, to the master and any worker still alive; removes the directory.
  def stop
    if pid
      workers = worker_pids
      terminate(pid)
      workers.each { |worker| Process.kill("KILL", worker) if alive?(worker) }
    end
    FileUtils.remove_entry(dir) if dir && File.directory?(dir)
    @pid = nil
    @dir = nil
  end

  private

  def register_numbers(count)
    @fake.add_business_account(BUSINESS_ACCOUNT_ID)
    Array.new(count) do |i|
      number = { "phone_number_id" => (7_100_000 + i).to_s, "display_phone_number" => "+1 555 01#{format('%04d', i)}",
                 "business_account_id" => BUSINESS_ACCOUNT_ID }
      @fake.add_phone_number(number["phone_number_id"], display_phone_number: number["display_phone_number"])
      number
    end
  end

  def seed(numbers)
    out, err, status = Open3.capture3(env, RbConfig.ruby, File.join(__dir__, "seed.rb"),
                                      stdin_data: JSON.generate(numbers), chdir: APP)
    raise Error, "seeding the database failed:\n#{err}" unless status.success?

    JSON.parse(out).map { |row| Inbox.new(**row.transform_keys(&:to_sym).except(:business_account_id)) }
  end

  def env
    { "WA_HEALTH_SPEC_DATABASE" => File.join(dir, "chatwoot.sqlite3"),
      "WA_HEALTH_SPEC_RAILS_LOG" => File.join(dir, "rails.log"),
      "RAILS_MAX_THREADS" => THREADS.to_s,
      "WA_HEALTH_GRAPH_URL" => @fake.url,
      "WA_HEALTH_SPEC_META_TOKEN" => @fake.access_token,
      "WA_HEALTH_SPEC_MASTER_NUMBER" => (inboxes&.first&.phone_number_id || "") }
  end

  # A hot restart keeps the listening socket only if the bind is the same, so not port 0.
  def free_port
    TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
  end

  def config
    <<~RUBY
      rackup #{File.join(APP, 'config.ru').dump}
      bind "tcp://127.0.0.1:#{port}"
      environment "test"
      workers #{WORKERS}
      threads #{THREADS}, #{THREADS}
      preload_app!

      before_fork do
        health = WaHealth.fetch(phone_number_id: ENV.fetch("WA_HEALTH_SPEC_MASTER_NUMBER"),
                                access_token: ENV.fetch("WA_HEALTH_SPEC_META_TOKEN"))
        puts "wa_health in the master (pid \#{Process.pid}) before forking: \#{health[:display_phone_number]}"
      end
    RUBY
  end

  def config_path
    File.join(dir, "puma.rb")
  end

  def log_path
    File.join(dir, "puma.log")
  end

  def terminate(target)
    Process.kill("TERM", target)
    reap(target, 10) || (Process.kill("KILL", target) && reap(target, 5))
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end

  def reap(target, timeout)
    deadline = now + timeout
    loop do
      return true if Process.waitpid(target, Process::WNOHANG)
      return false if now > deadline

      sleep 0.05
    end
  end

  def alive?(target)
    Process.kill(0, target)
    true
  rescue Errno::ESRCH
    false
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
