# frozen_string_literal: true

require "json"
require_relative "../support/raw_loopback_server"

# A plain-HTTP/1.1 server on 127.0.0.1 that answers each request with interim (1xx) responses before
# the final one, which hyper's server (FakeGraph) cannot send. For spec/reliability/interim_responses_spec.rb.
# Each request takes the next entry of the script: the number of interim responses (:endless for a
# stream that goes on until the client hangs up), then a 200 with a health record. Connections stay
# open (keep-alive); #connections counts them. Every read is bounded.
class InterimServer < RawLoopbackServer
  CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n"
  HINTS = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
  BODY = JSON.generate("id" => "1001", "verified_name" => "Acme Support")
  ANSWER = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: #{BODY.bytesize}\r\n\r\n#{BODY}".freeze

  attr_reader :interim_sent

  def initialize(*script)
    @script = script
    @interim_sent = 0
    super()
  end

  def url
    "http://127.0.0.1:#{port}"
  end

  private

  def serve(client)
    while read_request(client)
      interim = @lock.synchronize { @script.shift } || 0
      send_interim(client, interim)
      client.write(ANSWER)
    end
  end

  def send_interim(client, interim)
    if interim == :endless
      burst = CONTINUE * 64
      loop do
        client.write(burst)
        @lock.synchronize { @interim_sent += 64 }
      end
    end
    interim.times { |i| client.write(i.odd? ? HINTS : CONTINUE) }
    @lock.synchronize { @interim_sent += interim }
  end

  # The request head (and any Content-Length body); nil at end of stream or after IDLE_SECONDS.
  def read_request(client)
    head = +""
    until head.include?("\r\n\r\n")
      return nil unless client.wait_readable(IDLE_SECONDS)

      head << client.readpartial(16 * 1024)
      return nil if head.bytesize > 64 * 1024
    end
    length = head[/^content-length:\s*(\d+)/i, 1].to_i
    body = head.split("\r\n\r\n", 2)[1]
    client.read(length - body.bytesize) if length > body.bytesize
    head
  rescue EOFError
    nil
  end
end
