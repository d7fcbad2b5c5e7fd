# frozen_string_literal: true

module WaHealth
  # For the controller that serves GET /api/v1/accounts/:account_id/inboxes/:id/health, with Chatwoot's
  # status codes. Authentication and authorization stay the app's job (run them before this).
  #
  #   class Api::V1::Accounts::InboxesController < Api::V1::Accounts::BaseController
  #     include WaHealth::HealthEndpoint
  #
  #     def health
  #       render_wa_health(@inbox.channel, previous: @inbox.channel.health_snapshot)
  #     end
  #   end
  #
  # - 200: WaHealth::Report#as_json (every key of the health Hash, then badges, manager_url, ...)
  # - 400: {"error":"Health data only available for WhatsApp Cloud API channels"} for any other channel
  # - 422 on a Meta error (WaHealth::ApiError), newest Chatwoot's structured body:
  #   {"error": {"type": "authorization" | "api", "message", "http_status", "code", "subcode"}}
  #   (type authorization for a WaHealth::AuthorizationError: the UI shows reauthorization guidance);
  #   422 {"error": message} for other failures (a timeout, a missing API key or phone number id).
  #   The gem's messages carry no token.
  #
  # Works in ActionController::API and ActionController::Base. Override the wa_health_* methods to fit
  # other channel models.
  module HealthEndpoint
    NOT_CLOUD_CHANNEL = "Health data only available for WhatsApp Cloud API channels"
    CLOUD_PROVIDER = "whatsapp_cloud"

    private

    # Fetches and renders the channel's health. Yields the WaHealth::Report before rendering it (to store
    # a snapshot or warn about a risky number); the block's errors are not turned into a 422.
    def render_wa_health(channel, previous: nil)
      return render(json: { error: NOT_CLOUD_CHANNEL }, status: :bad_request) unless wa_health_channel?(channel)

      report, error = wa_health_report(channel, previous)
      if error
        wa_health_failed(channel, error)
        return render(json: { error: wa_health_error_body(error) }, status: :unprocessable_entity)
      end

      yield report if block_given?
      render json: report.as_json
    end

    # [report, nil], or [nil, error] when the gem raised. Reads the business profile too, as newest
    # Chatwoot does (its failure never fails the read).
    def wa_health_report(channel, previous)
      health = WaHealth.fetch(**wa_health_credentials(channel), business_profile: true)
      report = WaHealth::Report.new(health, previous: previous,
                                            expected_webhook_url: wa_health_expected_webhook_url(channel))
      [report, nil]
    rescue WaHealth::Error, ArgumentError => e
      [nil, e]
    end

    # The URL Meta should call for this channel: Chatwoot's "#{FRONTEND_URL}/webhooks/whatsapp/#{phone_number}",
    # or nil when FRONTEND_URL is not set. Override for another route.
    def wa_health_expected_webhook_url(channel)
      base = ENV.fetch("FRONTEND_URL", nil)
      return nil if Validate.blank?(base) || !channel.respond_to?(:phone_number)

      "#{base.chomp('/')}/webhooks/whatsapp/#{channel.phone_number}"
    end

    # The 422 body's "error": structured for Meta's errors, the message for anything else.
    def wa_health_error_body(error)
      return error.message unless error.is_a?(WaHealth::ApiError)

      { type: error.authorization_error? ? "authorization" : "api", message: error.message,
        http_status: error.http_status, code: error.code, subcode: error.subcode }
    end

    # Chatwoot's test: a Channel::Whatsapp (anything with provider and provider_config) whose provider
    # is whatsapp_cloud.
    def wa_health_channel?(channel)
      channel.respond_to?(:provider) && channel.respond_to?(:provider_config) &&
        channel.provider.to_s == CLOUD_PROVIDER
    end

    # WaHealth.fetch's arguments from the channel's provider_config, with Chatwoot's validation messages.
    def wa_health_credentials(channel)
      config = channel.provider_config || {}
      raise ArgumentError, "API key is missing" if Validate.blank?(config["api_key"])
      raise ArgumentError, "Phone number ID is missing" if Validate.blank?(config["phone_number_id"])

      { phone_number_id: config["phone_number_id"], access_token: config["api_key"],
        business_account_id: config["business_account_id"] }
    end

    # Called with the error before the 422 is rendered. Logs it; override to act on it, e.g. Chatwoot's
    # `channel.authorization_error! if error.is_a?(WaHealth::AuthorizationError)` (then call super).
    def wa_health_failed(channel, error)
      id = channel.respond_to?(:id) ? channel.id : nil
      WaHealth.config.logger&.warn("[wa_health] health request failed for channel #{id.inspect} " \
                                   "(#{error.class}: #{error.message})")
    end
  end
end
