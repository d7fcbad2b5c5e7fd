# frozen_string_literal: true

require "ipaddr"
require "net/http"
require "openssl"
require "stringio"
require "uri"

module WaHealth
  module Testing
    class FakeGraph
      # Raised when a webhook could not be delivered: refused, timed out, hung up. Names the URL, never the
      # app secret or the signature.
      class DeliveryError < WaHealth::Error; end

      # How FakeGraph's webhooks travel: one signed POST to a loopback URL, or a call of a Rack app in this
      # process with the same request.
      module Sender
        module_function

        # Sends raw (the exact body) signed with secret to callback (a URI::HTTP or a Rack app); returns the
        # HTTP status.
        def deliver(callback, raw, secret, timeout)
          signature = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', secret, raw)}"
          callback.is_a?(URI::HTTP) ? post(callback, raw, signature, timeout) : call_app(callback, raw, signature)
        end

        def post(uri, raw, signature, timeout)
          request = Net::HTTP::Post.new(uri.request_uri, "Content-Type" => "application/json",
                                                         "X-Hub-Signature-256" => signature)
          request.body = raw
          http = Net::HTTP.new(uri.host, uri.port)
          http.open_timeout = http.read_timeout = http.write_timeout = timeout
          http.max_retries = 0 # Net::HTTP would otherwise send a POST again after a timeout
          http.start { |connection| connection.request(request).code.to_i }
        rescue SystemCallError, IOError, SocketError, Timeout::Error, Net::HTTPBadResponse => e
          raise DeliveryError, "webhook delivery to #{uri} failed (#{e.class})"
        end

        def call_app(app, raw, signature)
          env = { "REQUEST_METHOD" => "POST", "SCRIPT_NAME" => "", "PATH_INFO" => "/", "QUERY_STRING" => "",
                  "SERVER_NAME" => "127.0.0.1", "SERVER_PORT" => "80", "rack.url_scheme" => "http",
                  "CONTENT_TYPE" => "application/json", "CONTENT_LENGTH" => raw.bytesize.to_s,
                  "HTTP_X_HUB_SIGNATURE_256" => signature, "rack.input" => StringIO.new(raw),
                  "rack.errors" => $stderr }
          status, _headers, body = app.call(env)
          body.close if body.respond_to?(:close)
          status.to_i
        end

        # url as a URI::HTTP on the loopback (127.0.0.0/8, [::1], localhost); ArgumentError otherwise.
        def loopback_uri(url)
          uri = URI.parse(url.to_s)
          raise ArgumentError, "webhook_callback must be an http URL" unless uri.instance_of?(URI::HTTP) && uri.host

          unless loopback_host?(uri.hostname)
            raise ArgumentError, "webhook_callback must be on the loopback (127.0.0.0/8, [::1], localhost)"
          end

          uri
        rescue URI::InvalidURIError
          raise ArgumentError, "webhook_callback must be an http URL"
        end

        def loopback_host?(host)
          host == "localhost" || IPAddr.new(host).loopback?
        rescue IPAddr::InvalidAddressError
          false
        end
      end
    end
  end
end
