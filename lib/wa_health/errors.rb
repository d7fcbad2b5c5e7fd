# frozen_string_literal: true

module WaHealth
  # Every error class the gem raises to its callers, apart from ArgumentError for bad input. Two more never
  # leave the class that raises them: WaHealth::CLI::UsageError (the CLI turns it into exit status 2) and
  # WebhookEndpoint's private HandlerFailed (a 500); Testing::FakeGraph::DeliveryError belongs to the test
  # support, not to the gem.
  class Error < StandardError; end

  # The request did not finish within the configured timeout (or could not connect in open_timeout).
  class TimeoutError < Error; end

  # The Graph API could not be reached: refused, reset, DNS, TLS.
  class ConnectionError < Error; end

  # A 2xx answer that is not a JSON object, or a body over the size cap.
  class InvalidResponseError < Error; end

  # Meta answered with an error. Attributes come from Meta's error envelope; the message names the
  # HTTP status, code, subcode and Meta's message, with any access token or app secret removed.
  #
  # meaning: what the error means, as a Symbol (:authorization, :rate_limit, :registration_limit,
  # :display_name_pending, :number_in_use, :pin_mismatch, :verification_needed, :not_registered,
  # :account_locked, :policy_blocked, :temporary or :other); next_step: what an operator should do,
  # in words, or nil where retrying later is all there is to it.
  class ApiError < Error
    attr_reader :http_status, :code, :subcode, :error_type, :fbtrace_id, :user_title, :user_message, :retry_after,
                :meaning, :next_step

    def initialize(message = nil, http_status: nil, code: nil, subcode: nil, error_type: nil, fbtrace_id: nil,
                   user_title: nil, user_message: nil, transient: false, retry_after: nil, meaning: nil,
                   next_step: nil)
      super(message)
      @meaning = meaning
      @next_step = next_step
      @http_status = http_status
      @code = code
      @subcode = subcode
      @error_type = error_type
      @fbtrace_id = fbtrace_id
      @user_title = user_title
      @user_message = user_message
      @transient = transient
      @retry_after = retry_after
    end

    def transient?
      @transient ? true : false
    end

    # Chatwoot marks the channel as needing reauthorization when this is true.
    def authorization_error?
      false
    end
  end

  # Code 190 (token expired or invalid), 104 (no access token) and the permission codes 0, 3, 10, 200-299.
  class AuthorizationError < ApiError
    def authorization_error?
      true
    end
  end

  # App, business-use-case (4, 17, 32, 613, 80007, 80008, 130429) or registration (133016) rate
  # limits. `retry_after` is in seconds when Meta's usage headers say when access comes back, else nil.
  class RateLimitError < ApiError; end

  # Code 100 with subcode 2388001: the display name is not provisioned yet ("Cannot Create Certificate").
  class DisplayNamePendingError < ApiError; end

  # Code 100 with subcode 2388001 when Meta says "This number is registered to an existing WhatsApp
  # account": the number is still on a phone's WhatsApp; its owner must delete that account first.
  class NumberInUseError < ApiError; end

  # WaHealth::Webhook.verify!: the X-Hub-Signature-256 header is missing, malformed, or does not match
  # the body for the app secret. The message never quotes the secret or the expected signature.
  class WebhookSignatureError < Error; end

  # WaHealth::Webhook.parse: the body is not JSON, not Meta's envelope (entry[].changes[]), over
  # Webhook::MAX_BODY_BYTES (4 MiB), or nested over 64 levels. The message never quotes the body.
  class WebhookPayloadError < Error; end

  # Raised by WebhookSetup#perform when the webhook subscription fails; the channel then needs
  # reauthorization, as in Chatwoot. The cause is the underlying WaHealth::Error. result: the
  # WebhookSetup::Result of the steps before: when result.pin is set, the number was registered with
  # that PIN and it must still be stored (as Chatwoot does), or the next registration fails with a
  # PIN mismatch.
  class WebhookSetupError < Error
    attr_reader :result

    def initialize(message = nil, result: nil)
      super(message)
      @result = result
    end
  end

  # Raised by `require "wa_health"` (or "wa_health/testing") when the native extension is not there, as with
  # `gem "wa_health", path: ...`, which Bundler does not compile. A LoadError, so `rescue LoadError` still
  # catches it.
  class ExtensionNotBuiltError < LoadError; end
end
