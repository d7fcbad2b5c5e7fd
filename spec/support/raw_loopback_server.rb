# frozen_string_literal: true

require "socket"

# A TCP server on a free 127.0.0.1 port that hands each connection to #serve(client) on a thread of its
# own, for the specs' servers that must write bytes FakeGraph (hyper) never would. The subclass sets its
# own state before calling super (connections are accepted from then on). #stop closes the listener and
# every thread; each connection is closed when #serve returns.
class RawLoopbackServer
  # Longest wait for a peer's next bytes.
  IDLE_SECONDS = 10

  def initialize
    @server = TCPServer.new("127.0.0.1", 0)
    @threads = []
    @connections = 0
    @lock = Mutex.new
    @acceptor = Thread.new { accept_loop }
  end

  def port
    @server.addr[1]
  end

  # Connections accepted so far.
  def connections
    @lock.synchronize { @connections }
  end

  def stop
    @server.close
    [@acceptor, *@lock.synchronize { @threads.dup }].each { |thread| thread.kill.join(2) }
  end

  private

  def accept_loop
    loop do
      client = @server.accept
      @lock.synchronize do
        @connections += 1
        @threads << Thread.new { serve_and_close(client) }
      end
    end
  rescue IOError, SystemCallError
    nil
  end

  def serve_and_close(client)
    serve(client)
  rescue IOError, SystemCallError
    nil
  ensure
    client.close
  end
end
