# frozen_string_literal: true

require "timeout"
require "uri"

module WaHealth
  # A Rack endpoint for Meta's health webhooks, mounted in the app's routes (see docs/webhooks.md):
  #
  #   GET  answers the subscription check: 200 with hub.challenge when hub.verify_token matches, else 403
  #   POST refuses a body over Webhook::MAX_BODY_BYTES by its Content-Length before reading it (413), checks
  #        X-Hub-Signature-256 on the raw body (401 and nothing called when it fails), parses it (400 when it
  #        is not Meta's envelope), and hands each health event to the handler, each on its own: it claims
  #        the event's event_id in the event ledger first (WaHealth::EventLedger), so an event already acted
  #        on is skipped and one being acted on by another delivery is left to it. It answers 200 once every
  #        health event is handled or was already; else 500 when the handler raised on one, 503 when one ran
  #        out of time, was busy elsewhere or the ledger was unavailable, so that Meta delivers the body
  #        again; the events already handled are then skipped and the rest get their turn.
  #
  # Time: one POST may spend handler_timeout seconds (default WaHealth.config.webhook_handler_timeout, 5) in
  # the handler, all its events together; the event running then is interrupted (Timeout, with an exception
  # of its own, so an ActiveRecord transaction rolls back) and its claim released. At most
  # max_concurrent_handlers POSTs run the handler at once in a process (default: Puma's max_threads - 1 when
  # Puma says, else no limit); others answer 503 at once, so a Puma thread stays free for Meta's GET and
  # everything else the app serves.
  #
  # Settings default to WaHealth.config (app_secret, webhook_verify_token, event_handler, event_ledger), read
  # at each request. forward: a Rack app (e.g. `Webhooks::WhatsappController.action(:process_payload)`) that
  # gets signed bodies with other fields (messages, template status, ...), or that the gem cannot parse;
  # without it those fields are ignored. The endpoint makes no network call besides the ledger's store.
  # What it logs has no secret in it (the app secret, the verify token, Meta tokens, WaHealth::Redaction's
  # values) and is one line per message.
  class WebhookEndpoint
    TEXT = { "content-type" => "text/plain" }.freeze
    # The ledger's scope for the events this endpoint hands to the handler.
    LEDGER_SCOPE = "webhook"
    # A claim outlives the time limit by this many seconds, so that it never runs out while the handler
    # still runs; a process killed mid-handler holds it this long at most past the limit.
    LEASE_MARGIN = 10

    # Raised inside the handler when its time is up.
    class HandlerTimeout < Exception; end # rubocop:disable Lint/InheritException -- not a StandardError, so a handler's rescue cannot swallow it

    def initialize(app_secret: nil, verify_token: nil, handler: nil, forward: nil, ledger: nil,
                   handler_timeout: nil, max_concurrent_handlers: nil)
      self.class.check_callables(handler, forward)
      unless max_concurrent_handlers.nil? || (max_concurrent_handlers.is_a?(Integer) && max_concurrent_handlers >= 1)
        raise ArgumentError, "max_concurrent_handlers must be a positive Integer or nil"
      end

      @app_secret = app_secret
      @verify_token = verify_token
      @handler = handler
      @forward = forward
      @ledger = ledger
      @handler_timeout = handler_timeout && Validate.seconds(handler_timeout, :handler_timeout)
      @max_concurrent_handlers = max_concurrent_handlers
      @running = 0
      @lock = Mutex.new
    end

    def self.check_callables(handler, forward)
      raise ArgumentError, "handler must respond to call" unless handler.nil? || handler.respond_to?(:call)
      raise ArgumentError, "forward must be a Rack app" unless forward.nil? || forward.respond_to?(:call)
    end

    def call(env)
      case env["REQUEST_METHOD"]
      when "GET", "HEAD" then subscription(env)
      when "POST" then delivery(env)
      else answer(405, "method not allowed", "allow" => "GET, POST")
      end
    end

    def inspect
      "#<#{self.class.name}>"
    end
    alias to_s inspect

    private

    def subscription(env)
      token = @verify_token || WaHealth.config.webhook_verify_token
      return misconfigured("webhook_verify_token") unless token

      params = URI.decode_www_form(env["QUERY_STRING"].to_s).to_h
      challenge = Webhook.challenge(params, verify_token: token)
      challenge ? answer(200, challenge) : answer(403, "forbidden")
    rescue ArgumentError
      answer(400, "bad query string")
    end

    def delivery(env)
      secret = @app_secret || WaHealth.config.app_secret
      return misconfigured("app_secret") unless secret

      events = signed_events(env, secret) or return answer(413, "body too large")
      deliver(env, events.reject { |event| event[:kind] == :unknown }) || finish(env, events)
    rescue WebhookSignatureError => e
      log(:warn, "refused a webhook: #{e.message}")
      answer(401, "invalid signature")
    rescue WebhookPayloadError => e
      not_an_envelope(env, e)
    end

    def not_an_envelope(env, error)
      return @forward.call(env) if @forward

      log(:warn, "refused a webhook: #{error.message}")
      answer(400, "not a webhook body")
    end

    # The events of a signed body, or nil for a body over the cap: refused by its declared length (Puma
    # sets CONTENT_LENGTH for a chunked body too) before a byte of it is read, else by what is read.
    def signed_events(env, secret)
      return nil if declared_length(env) > Webhook::MAX_BODY_BYTES

      body = read_body(env)
      return nil if body.bytesize > Webhook::MAX_BODY_BYTES

      Webhook.verify!(body, env[Webhook::RACK_SIGNATURE_HEADER], app_secret: secret)
      Webhook.parse(body)
    end

    def declared_length(env)
      length = env["CONTENT_LENGTH"]
      length.is_a?(String) && length.match?(/\A\d+\z/) ? length.to_i : 0
    end

    # nil when every health event was handled (now or before), else the answer for Meta.
    def deliver(env, events)
      return nil if events.empty?

      handler = @handler || WaHealth.config.event_handler
      unless handler
        log(:warn, "#{events.size} health event(s) received but no event_handler is set")
        return nil
      end
      return answer(503, "busy") unless enter(env)

      begin
        failures = handle_each(events, handler)
      ensure
        leave
      end
      failure_answer(failures)
    end

    # Each event on its own, within one time budget; the outcomes that are not handled, as Symbols.
    def handle_each(events, handler)
      timeout = @handler_timeout || WaHealth.config.webhook_handler_timeout
      ledger = @ledger || WaHealth::EventLedger.current
      deadline = monotonic + timeout
      events.filter_map do |event|
        remaining = deadline - monotonic
        next :timeout if remaining <= 0 # not started: Meta's retry brings it again

        handle(event, handler, ledger, remaining, timeout)
      end
    end

    # nil when handled now or before, else :busy, :timeout, :raised or :unavailable. What the handler named
    # to WaHealth::Redaction stays redacted in the log line about it.
    def handle(event, handler, ledger, remaining, timeout)
      seen = []
      outcome = Redaction.remembering(seen) do
        ledger.once(LEDGER_SCOPE, event[:event_id], lease: timeout + LEASE_MARGIN) do
          Timeout.timeout(remaining, HandlerTimeout) { handler.call(event) }
        end
      end
      outcome == EventLedger::BUSY ? :busy : nil
    rescue HandlerTimeout
      log(:error, "event_handler ran out of time (handler_timeout #{format('%g', timeout)}s) on " \
                  "#{describe(event)}; Meta will deliver it again")
      :timeout
    rescue EventLedger::Unavailable => e
      log(:error, "#{e.message}: #{describe(event)} not handled; Meta will deliver it again")
      :unavailable
    rescue StandardError => e
      log(:error, "event_handler raised #{e.class} on #{describe(event)}: #{e.message}", also: seen)
      :raised
    end

    def failure_answer(failures)
      return nil if failures.empty?
      return answer(500, "handler failed") if failures.include?(:raised)

      answer(503, "retry later")
    end

    # Takes a place among the POSTs running the handler; false when all are taken.
    def enter(env)
      limit = @max_concurrent_handlers || puma_limit(env)
      @lock.synchronize do
        next false if limit && @running >= limit

        @running += 1
      end
    end

    def leave
      @lock.synchronize { @running -= 1 }
    end

    # One less than Puma's threads (at least 1) when Puma runs the app from its configuration.
    def puma_limit(env)
      config = env["puma.config"]
      threads = config.respond_to?(:options) ? config.options[:max_threads] : nil
      threads.is_a?(Integer) ? [threads - 1, 1].max : nil
    rescue StandardError
      nil
    end

    # The forward app's answer when the body has other fields, else 200.
    def finish(env, events)
      return @forward.call(env) if @forward && events.any? { |event| event[:kind] == :unknown }

      answer(200, "ok")
    end

    # At most one byte over the cap is read, so a huge body is refused without being held.
    def read_body(env)
      input = env["rack.input"]
      return +"" unless input

      input.rewind if input.respond_to?(:rewind)
      body = input.read(Webhook::MAX_BODY_BYTES + 1) || +""
      input.rewind if input.respond_to?(:rewind)
      body
    end

    def describe(event)
      "#{event[:field]} event #{event[:event_id]}"
    end

    def misconfigured(setting)
      log(:error, "webhook refused: WaHealth.config.#{setting} is not set")
      answer(500, "not configured")
    end

    def answer(status, text, headers = {})
      [status, TEXT.merge(headers), [text]]
    end

    # One line, without the app secret, the verify token, Meta tokens, WaHealth::Redaction's values or `also`.
    def log(level, message, also: [])
      logger = WaHealth.config.logger or return
      secrets = [@app_secret, WaHealth.config.app_secret, @verify_token, WaHealth.config.webhook_verify_token, *also]
      # An exception's message may be in any encoding, or none: its bytes are read as UTF-8.
      text = message.to_s.b.force_encoding(Encoding::UTF_8).scrub
      logger.public_send(level, "[wa_health] #{Native.log_line(text, secrets.compact.map(&:to_s))}")
    end

    def monotonic
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end
