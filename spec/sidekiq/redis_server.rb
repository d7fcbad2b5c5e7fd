# frozen_string_literal: true

require "fileutils"
require "io/wait"
require "socket"
require "tmpdir"

# A throwaway redis-server on a free loopback port, for the Sidekiq specs: no persistence, its own
# directory, stopped by stop (TERM to the pid it started, KILL after 5 s). It speaks to it only through a
# socket: the specs reach Redis through Sidekiq.redis, whose client is the redis gem on Sidekiq 6 and
# redis-client on Sidekiq 7.
class RedisServer
  attr_reader :port, :log_path

  # Raises Unavailable (with the reason) when redis-server is missing or does not answer PING in time.
  class Unavailable < StandardError; end

  def self.start(timeout: 5)
    new.tap { |server| server.start(timeout) }
  end

  def start(timeout)
    @dir = Dir.mktmpdir("wa_health-redis")
    @log_path = File.join(@dir, "redis.log")
    @port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
    @pid = Process.spawn("redis-server", "--port", @port.to_s, "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--dir", @dir, "--daemonize", "no",
                         out: @log_path, err: @log_path)
    wait_for_ping(timeout)
  rescue SystemCallError => e
    stop
    raise Unavailable, "redis-server could not be started (#{e.class}: #{e.message})"
  end

  def url
    "redis://127.0.0.1:#{port}/0"
  end

  def stop
    terminate if @pid
    FileUtils.remove_entry(@dir) if @dir && File.directory?(@dir)
    @dir = nil
  end

  private

  def wait_for_ping(timeout)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    loop do
      return if ping?

      if reap(0)
        @pid = nil
        raise Unavailable, "redis-server exited: #{File.read(@log_path).lines.last(3).join.strip}"
      end
      raise Unavailable, "redis-server did not answer PING within #{timeout}s" if now > deadline

      sleep 0.05
    end
  rescue Unavailable
    stop
    raise
  end

  def ping?
    Socket.tcp("127.0.0.1", port, connect_timeout: 1) do |socket|
      socket.write("PING\r\n")
      socket.wait_readable(1) && socket.readpartial(64).start_with?("+PONG")
    end
  rescue SystemCallError, IOError
    false
  end

  def terminate
    Process.kill("TERM", @pid)
    reap(5) || (Process.kill("KILL", @pid) && reap(5))
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @pid = nil
  end

  def reap(timeout)
    deadline = now + timeout
    loop do
      return true if Process.waitpid(@pid, Process::WNOHANG)
      return false if now > deadline

      sleep 0.05
    end
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
