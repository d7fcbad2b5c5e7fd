# frozen_string_literal: true

require "uri"

module WaHealth
  # A Rack endpoint for Meta's health webhooks, mounted in the app's routes (see docs/webhooks.md):
  #
  #   GET  answers the subscription check: 200 with hub.challenge when hub.verify_token matches, else 403
  #   POST checks X-Hub-Signature-256 on the raw body (401 and nothing called when it fails), parses it
  #        (400 when it is not Meta's envelope, 413 over 1 MiB), hands each health event to the handler,
  #        and answers 200; 500 when the handler raises, so Meta delivers the body again later (applying an
  #        event twice changes nothing: WaHealth.apply_event)
  #
  # Settings default to WaHealth.config (app_secret, webhook_verify_token, event_handler), read at each
  # request. forward: a Rack app (e.g. `Webhooks::WhatsappController.action(:process_payload)`) that gets
  # signed bodies with other fields (messages, template status, ...), or that the gem cannot parse; without
  # it those fields are ignored. The endpoint makes no network call.
  class WebhookEndpoint
    TEXT = { "content-type" => "text/plain" }.freeze

    def initialize(app_secret: nil, verify_token: nil, handler: nil, forward: nil)
      raise ArgumentError, "handler must respond to call" unless handler.nil? || handler.respond_to?(:call)
      raise ArgumentError, "forward must be a Rack app" unless forward.nil? || forward.respond_to?(:call)

      @app_secret = app_secret
      @verify_token = verify_token
      @handler = handler
      @forward = forward
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

      events = signed_events(env, secret)
      return answer(413, "body too large") unless events

      deliver(events.reject { |event| event[:kind] == :unknown })
      finish(env, events)
    rescue WebhookSignatureError => e
      log(:warn, "refused a webhook: #{e.message}")
      answer(401, "invalid signature")
    rescue WebhookPayloadError => e
      return @forward.call(env) if @forward

      log(:warn, "refused a webhook: #{e.message}")
      answer(400, "not a webhook body")
    rescue HandlerFailed => e
      log(:error, "event_handler raised #{e.cause.class}: #{e.cause.message}")
      answer(500, "handler failed")
    end

    # The events of a signed body, or nil for a body over the cap.
    def signed_events(env, secret)
      body = read_body(env)
      return nil if body.bytesize > Webhook::MAX_BODY_BYTES

      Webhook.verify!(body, env[Webhook::RACK_SIGNATURE_HEADER], app_secret: secret)
      Webhook.parse(body)
    end

    class HandlerFailed < StandardError; end
    private_constant :HandlerFailed

    def deliver(events)
      return if events.empty?

      handler = @handler || WaHealth.config.event_handler
      return log(:warn, "#{events.size} health event(s) received but no event_handler is set") unless handler

      events.each do |event|
        handler.call(event)
      rescue StandardError
        raise HandlerFailed
      end
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

    def misconfigured(setting)
      log(:error, "webhook refused: WaHealth.config.#{setting} is not set")
      answer(500, "not configured")
    end

    def answer(status, text, headers = {})
      [status, TEXT.merge(headers), [text]]
    end

    def log(level, message)
      WaHealth.config.logger&.public_send(level, "[wa_health] #{message}")
    end
  end
end
