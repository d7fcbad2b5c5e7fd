# frozen_string_literal: true

require "puma"
require "puma/server"

# A Rack app served by Puma (the server Chatwoot runs) on a free 127.0.0.1 port, in this process, silent.
# Puma 5.6 (bookworm) takes its log sinks as Puma::Events, Puma 6 (trixie) as a log_writer option.
class LoopbackServer
  attr_reader :port

  # options: more of Puma::Server's options (e.g. http_content_length_limit on Puma 6.1 and later).
  def self.start(app, threads: 4, **options)
    new(app, threads, options).tap(&:start)
  end

  def initialize(app, threads, extra = {})
    options = { min_threads: 1, max_threads: threads }.merge(extra)
    @server = if defined?(Puma::LogWriter)
                Puma::Server.new(app, nil, options.merge(log_writer: Puma::LogWriter.null))
              else
                Puma::Server.new(app, Puma::Events.null, options)
              end
  end

  def start
    @server.add_tcp_listener("127.0.0.1", 0)
    @port = @server.connected_ports.first
    @thread = @server.run
    self
  end

  def url(path = "/")
    "http://127.0.0.1:#{port}#{path}"
  end

  # Stops accepting, lets the requests in progress finish, and waits for Puma's thread (at most 10 s).
  def stop
    return unless @thread

    @server.stop(false)
    @thread.join(10) || @thread.kill
    @thread = nil
  end
end
