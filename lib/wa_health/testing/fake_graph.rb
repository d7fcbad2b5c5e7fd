# frozen_string_literal: true

require "json"
require "uri"
require_relative "fake_graph/tls"
require_relative "fake_graph/webhooks"
require_relative "fake_graph/deliveries"

module WaHealth
  module Testing
    # A fake of Meta's Graph API for the WhatsApp endpoints wa_health uses: a real HTTP server on
    # 127.0.0.1, written in Rust and running on its own threads (outside the GVL), so specs, the demo
    # and the benchmarks exercise the native client end to end without touching the internet.
    #
    #   WaHealth::Testing::FakeGraph.start do |fake|
    #     fake.add_phone_number("1001")
    #     WaHealth.fetch(phone_number_id: "1001", access_token: fake.access_token, base_url: fake.url)
    #   end
    class FakeGraph
      include Tls
      include Webhooks
      include Deliveries

      DEFAULT_ACCESS_TOKEN = "test-token"
      # The fake's own usage headers, which queue_recorded leaves out unless the recording has them.
      USAGE_HEADERS = %w[X-App-Usage X-Business-Use-Case-Usage].freeze

      HEALTH_AVAILABLE = {
        "can_send_message" => "AVAILABLE",
        "entities" => %w[PHONE_NUMBER WABA BUSINESS APP].map do |type|
          { "entity_type" => type, "id" => "0", "can_send_message" => "AVAILABLE" }
        end
      }.freeze

      # Phone numbers in the states the gem must tell apart. Any field can be overridden per number.
      PHONE_PRESETS = {
        healthy: {
          "display_phone_number" => "+1 555-010-0001", "verified_name" => "Acme Support",
          "name_status" => "APPROVED", "quality_rating" => "GREEN",
          "whatsapp_business_manager_messaging_limit" => "TIER_2K", "account_mode" => "LIVE",
          "code_verification_status" => "VERIFIED", "throughput" => { "level" => "STANDARD" },
          "last_onboarded_time" => "2024-01-01T00:00:00+0000", "platform_type" => "CLOUD_API",
          "status" => "CONNECTED", "is_on_biz_app" => false,
          "webhook_configuration" => { "application" => "https://chat.example.com/webhooks/whatsapp" },
          "health_status" => HEALTH_AVAILABLE
        },
        platform_not_applicable: { "platform_type" => "NOT_APPLICABLE", "status" => "PENDING" },
        throughput_not_applicable: { "throughput" => { "level" => "NOT_APPLICABLE" }, "status" => "PENDING" },
        not_verified: {
          "code_verification_status" => "NOT_VERIFIED", "platform_type" => "NOT_APPLICABLE",
          "throughput" => { "level" => "NOT_APPLICABLE" }, "status" => "PENDING"
        },
        display_name_pending: {
          "name_status" => "PENDING_REVIEW", "platform_type" => "NOT_APPLICABLE",
          "throughput" => { "level" => "NOT_APPLICABLE" }, "status" => "PENDING"
        }
      }.freeze

      # One request as the fake received it. connection: which accepted connection carried it
      # (1, 2, ... in accept order), to tell a reused keep-alive connection from a new one.
      # http_version: "HTTP/1.1" or "HTTP/2.0".
      Request = Struct.new(:http_method, :path, :query, :headers, :body, :connection, :http_version,
                           keyword_init: true) do
        def params
          URI.decode_www_form(query.to_s).to_h
        end

        def json
          JSON.parse(body)
        end
      end

      attr_reader :access_token, :host

      def self.start(**options)
        fake = new(**options).start
        return fake unless block_given?

        begin
          yield fake
        ensure
          fake.stop
        end
      end

      # require_content_length: answer 411 to a POST with neither Content-Length nor Transfer-Encoding, as
      # HTTP/1.1 servers and proxies may. app_callback_url: the app's callback URL, shown as `application` in
      # every phone's webhook_configuration (nil: each phone's own field says).
      # tls: serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with a certificate for 127.0.0.1, ::1 and localhost
      # issued by a test CA made at start (its certificate is in #ca_file); :expired serves one that expired,
      # :wrong_host one for another host. false: plain HTTP/1.1. alpn (with tls): the protocols offered by ALPN,
      # e.g. %w[http/1.1] so that every client speaks HTTP/1.1 (default: h2 and http/1.1).
      def initialize(access_token: DEFAULT_ACCESS_TOKEN, app_secret: nil, latency: 0, host: "127.0.0.1", port: 0,
                     max_recorded_requests: 10_000, require_content_length: true, app_callback_url: nil, tls: false,
                     alpn: nil)
        @tls = tls_certificate(tls)
        @alpn = alpn&.map(&:to_s)
        @native = Native::FakeServer.new
        @access_token = access_token
        @app_secret = app_secret # also kept here: the webhooks it delivers are signed with it
        @delivery_lock = Mutex.new
        @delivery_log = []
        @host = host
        @requested_port = port
        configure(access_token: access_token, app_secret: app_secret, max_recorded_requests: max_recorded_requests,
                  require_content_length: require_content_length, app_callback_url: app_callback_url)
        self.latency = latency
      end

      def start
        @port = @native.start(@host, @requested_port, @tls, @alpn)
        write_ca_file if @tls
        self
      end

      def stop
        @native.stop
        remove_ca_file
        self
      end

      def running?
        @native.running?
      end

      def port
        @port or raise Error, "FakeGraph is not started"
      end

      def url
        "#{tls? ? 'https' : 'http'}://#{host}:#{port}"
      end

      # Seconds every answer waits before it is sent (a sleep on the server's runtime, no thread held).
      def latency=(seconds)
        configure(latency_ms: (seconds.to_f * 1000).round)
      end

      def app_secret=(secret)
        configure(app_secret: secret)
        @app_secret = secret
      end

      # true (default): a POST with neither Content-Length nor Transfer-Encoding gets HTTP 411.
      def require_content_length=(required)
        configure(require_content_length: required)
      end

      # The app's callback URL, shown as `application` in every phone's webhook_configuration (nil: none).
      def app_callback_url=(url)
        configure(app_callback_url: url)
      end

      # business_account: the id of the number's WABA (a phone-level webhook override needs the app subscribed to
      # it). business_profile: what GET /{id}/whatsapp_business_profile answers (Hash of Meta's profile fields).
      def add_phone_number(id, preset = :healthy, token: nil, pin: nil, display_name_ready: nil, business_account: nil,
                           business_profile: nil, **fields)
        base = PHONE_PRESETS.fetch(:healthy).merge(PHONE_PRESETS.fetch(preset))
        ready = display_name_ready.nil? ? preset != :display_name_pending : display_name_ready
        node = { "kind" => "phone", "fields" => base.merge(stringify(fields)).merge("id" => id.to_s),
                 "display_name_ready" => ready, "waba_id" => text_or_nil(business_account),
                 "business_profile" => business_profile && stringify(business_profile) }
        node["access_token"] = token if token
        node["pin"] = pin if pin
        @native.upsert_node(id.to_s, JSON.generate(node))
        id.to_s
      end

      def add_business_account(id, token: nil, **fields)
        defaults = { "name" => "Acme WABA", "owner_business_info" => { "id" => "9001", "name" => "Acme Inc" } }
        node = { "kind" => "waba", "fields" => defaults.merge(stringify(fields)).merge("id" => id.to_s) }
        node["access_token"] = token if token
        @native.upsert_node(id.to_s, JSON.generate(node))
        id.to_s
      end

      # The node as the fake holds it now (fields change on register/deregister), or nil.
      def node(id)
        json = @native.node(id.to_s)
        json && JSON.parse(json)
      end

      def phone_number(id)
        node(id)&.fetch("fields")
      end

      # Queue Meta's error envelope as the answer to the next matching request.
      # node: only requests for this node id; endpoint: :get, :register, :deregister, :subscribed_apps,
      # :webhook_configuration (POST /{phone}) or :whatsapp_business_profile.
      def queue_error(code:, subcode: nil, status: 400, message: "Queued error", type: "OAuthException",
                      user_title: nil, user_message: nil, transient: nil, **match)
        error = { "message" => message, "type" => type, "code" => code, "fbtrace_id" => "FakeTrace" }
        error["error_subcode"] = subcode if subcode
        error["error_user_title"] = user_title if user_title
        error["error_user_msg"] = user_message if user_message
        error["is_transient"] = transient unless transient.nil?
        queue_response(status: status, body: { "error" => error }, **match)
      end

      # Queue any answer: body is a Hash (sent as JSON) or a String (sent as is, e.g. HTML; a binary
      # or invalid UTF-8 String is sent byte for byte, e.g. gzip data). delay: seconds before the
      # answer starts. drip: seconds between chunks of chunk_bytes (default 1) bytes, sent chunked
      # after the headers. cut_after: announce the whole body, send only this many bytes, then drop
      # the connection. hang_up: close the connection instead of answering.
      def queue_response(status: 200, body: nil, content_type: nil, headers: {}, node: nil, endpoint: nil, times: 1,
                         delay: nil, drip: nil, chunk_bytes: nil, cut_after: nil, hang_up: false)
        entry = { "status" => status, "headers" => stringify(headers), "times" => times, "hang_up" => hang_up,
                  "content_type" => content_type, "node" => text_or_nil(node), "endpoint" => text_or_nil(endpoint),
                  "delay_ms" => milliseconds(delay), "drip_ms" => milliseconds(drip), "chunk_bytes" => chunk_bytes,
                  "cut_after_bytes" => cut_after }.compact
        entry.merge!(body_entry(body))
        @native.enqueue(JSON.generate(entry))
        self
      end

      # Queues a parsed spec/fixtures/meta answer as recorded: its status, headers, body, no usage headers it lacked.
      def queue_recorded(fixture, **match)
        headers = fixture["headers"] || {}
        missing = USAGE_HEADERS.reject { |name| headers.keys.any? { |key| key.casecmp?(name) } }
        body = fixture.key?("body_text") ? fixture["body_text"].b : fixture["body"]
        queue_response(status: fixture["http_status"], headers: missing.to_h { |name| [name, nil] }.merge(headers),
                       body: body, **match)
      end

      def clear_queue
        @native.clear_queue
        self
      end

      def requests
        JSON.parse(@native.requests).map do |request|
          Request.new(http_method: request.delete("method"), **request.transform_keys(&:to_sym))
        end
      end

      def clear_requests
        @native.clear_requests
        self
      end

      # {"request_count" =>, "in_flight" =>, "max_in_flight" =>, "connections" =>}; connections: accepted since
      # the last reset (counted before any TLS handshake, whether or not they carried a request).
      def stats
        JSON.parse(@native.stats)
      end

      def reset_stats
        @native.reset_stats
        self
      end

      # Forgets nodes, queued answers, recorded requests and stats; keeps the server and its settings.
      def reset
        @native.reset
        self
      end

      def inspect
        "#<#{self.class.name} #{running? ? url : 'stopped'}>"
      end

      private

      def configure(**settings)
        @native.configure(JSON.generate(settings))
      end

      def stringify(hash)
        JSON.parse(JSON.generate(hash))
      end

      def body_entry(body)
        raw = body.is_a?(String) && (body.encoding == Encoding::BINARY || !body.valid_encoding?)
        raw ? { "body_base64" => [body].pack("m0") } : { "body" => body }
      end

      def milliseconds(seconds)
        (seconds.to_f * 1000).round unless seconds.nil?
      end

      def text_or_nil(value)
        value&.to_s
      end
    end
  end
end
