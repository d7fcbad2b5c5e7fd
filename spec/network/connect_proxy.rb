# frozen_string_literal: true

require_relative "../support/raw_loopback_server"

# A CONNECT-only HTTP proxy on 127.0.0.1 for the proxy specs. It tunnels to 127.0.0.1 only, records
# each CONNECT (target and Proxy-Authorization), and answers 407 when it wants credentials and did
# not get them. Every read is bounded.
class ConnectProxy < RawLoopbackServer
  Connect = Struct.new(:target, :authorization)

  def initialize(credentials: nil)
    @credentials = credentials
    @connects = []
    super()
  end

  # userinfo: "user:password", percent-encoded as a URL has it.
  def url(userinfo = nil)
    "http://#{"#{userinfo}@" if userinfo}127.0.0.1:#{port}"
  end

  def connects
    @lock.synchronize { @connects.dup }
  end

  private

  def serve(client)
    target, authorization = read_connect(client)
    @lock.synchronize { @connects << Connect.new(target, authorization) }
    return answer(client, "405 Method Not Allowed") unless target
    return answer(client, "407 Proxy Authentication Required") unless authorized?(authorization)

    host, _, port = target.rpartition(":")
    return answer(client, "403 Forbidden") unless host == "127.0.0.1"

    tunnel(client, TCPSocket.new(host, Integer(port)))
  rescue ArgumentError # a port that is not a number
    nil
  end

  # [host:port, Proxy-Authorization] of a CONNECT request, or [nil, nil] for another method.
  def read_connect(client)
    method, target = client.gets("\r\n", 4096).to_s.split
    headers = 100.times.lazy.map { client.gets("\r\n", 4096).to_s.chomp }.take_while { |line| !line.empty? }.to_a
    authorization = headers.grep(/\Aproxy-authorization:/i).first&.split(":", 2)&.last&.strip
    method == "CONNECT" ? [target, authorization] : [nil, authorization]
  end

  def authorized?(authorization)
    @credentials.nil? || authorization == "Basic #{[@credentials].pack('m0')}"
  end

  def answer(client, status)
    client.write("HTTP/1.1 #{status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
  end

  def tunnel(client, upstream)
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
    sockets = [client, upstream]
    while (ready = IO.select(sockets, nil, nil, IDLE_SECONDS)&.first)
      ready.each { |from| (sockets - [from]).first.write(from.readpartial(16_384)) }
    end
  rescue IOError, SystemCallError
    nil
  ensure
    upstream.close
  end
end
