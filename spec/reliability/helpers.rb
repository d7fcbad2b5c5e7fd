# frozen_string_literal: true

require "rbconfig"
require "socket"

# Shared by the reliability specs (spec/reliability/*_spec.rb) and `rake stress`.
module ReliabilityHelpers
  # The issue's bound for giving control back after an interrupt.
  INTERRUPT_BOUND = 0.2
  LIB = File.expand_path("../../lib", __dir__)

  # A process for Ctrl-C tests: it makes `threads` calls that never end (one on the main thread), so no
  # Ruby thread is free to notice the signal: only the call itself can. A fetch_many call makes 3 requests.
  # Prints "interrupted" when Interrupt reached the main thread's call, "returned" if the call ended.
  SIGINT_CHILD = <<~RUBY
    require "wa_health"
    url, threads, many = ARGV[0], Integer(ARGV[1]), ARGV[2] == "fetch_many"
    request = { phone_number_id: "1001", access_token: "test-token", base_url: url, timeout: 120 }
    fetch = many ? -> { WaHealth.fetch_many([request] * 3) } : -> { WaHealth.fetch(**request) }
    (threads - 1).times { Thread.new { fetch.call rescue nil } }
    $stdout.sync = true
    begin
      fetch.call
      puts "returned"
    rescue Interrupt
      puts "interrupted"
    end
    exit!(0)
  RUBY

  module_function

  def interrupt_bound
    INTERRUPT_BOUND
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  def elapsed
    started = monotonic
    yield
    monotonic - started
  end

  # Open socket descriptors of this process (the in-process FakeGraph's included).
  def socket_count
    Dir.children("/proc/self/fd").count do |fd|
      File.readlink("/proc/self/fd/#{fd}").start_with?("socket:")
    rescue SystemCallError
      false
    end
  end

  def os_thread_count
    Dir.children("/proc/self/task").size
  end

  def rss_kib
    File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
  end

  # Waits (at most `limit` seconds) until the block is true; returns whether it became true.
  def eventually(limit: 5)
    deadline = monotonic + limit
    until yield
      return false if monotonic > deadline

      sleep 0.01
    end
    true
  end

  # A TCP port on 127.0.0.1 whose listen backlog is full: connecting to it hangs in the handshake,
  # the way an unreachable host does. Returns [port, sockets to close].
  def hanging_port
    server = Socket.new(:INET, :STREAM)
    server.bind(Addrinfo.tcp("127.0.0.1", 0))
    server.listen(0)
    port = server.local_address.ip_port
    fillers = Array.new(4) do
      socket = Socket.new(:INET, :STREAM)
      begin
        socket.connect_nonblock(Addrinfo.tcp("127.0.0.1", port))
      rescue IO::WaitWritable, Errno::EINPROGRESS
        nil
      end
      socket
    end
    [port, [server, *fillers]]
  end

  # A host name no resolver is asked about: its first label is longer than DNS allows (63), so the
  # C library refuses it before sending any query (tests never leave 127.0.0.0/8).
  def unresolvable_host
    "wa-health-#{'x' * 64}.invalid"
  end

  # Waits for a child process, killing it first if it is still running.
  def reap(pid)
    return if Process.wait(pid, Process::WNOHANG)

    Process.kill("KILL", pid)
    Process.wait(pid)
  rescue Errno::ECHILD, Errno::ESRCH
    nil
  end

  # Runs Ruby `code` in a new process with lib/ on the load path. Returns [pid, stdout reader].
  def spawn_ruby(code, *args)
    reader, writer = IO.pipe
    pid = Process.spawn(RbConfig.ruby, "-I", LIB, "-e", code, *args, out: writer, err: writer)
    writer.close
    [pid, reader]
  end
end
