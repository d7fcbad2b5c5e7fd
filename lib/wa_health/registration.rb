# frozen_string_literal: true

module WaHealth
  # Whether a number needs POST /register, and why. Built by WaHealth.registration_decision.
  class Decision
    REASONS = %i[not_verified pending_provisioning provisioned on_premise].freeze

    # not_applicable: the health fields whose value is NOT_APPLICABLE ("platform_type", "throughput.level",
    # "throughput_level").
    attr_reader :reason, :message, :not_applicable

    def initialize(register:, reason:, message:, display_name_pending: false, verification_expired: false,
                   not_applicable: [])
      @register = register ? true : false
      @reason = reason.to_sym
      @display_name_pending = display_name_pending ? true : false
      @verification_expired = verification_expired ? true : false
      @not_applicable = not_applicable.map(&:to_s).freeze
      @message = message
      freeze
    end

    def register?
      @register
    end

    # name_status or new_name_status is PENDING_REVIEW: registering now may fail with 2388001.
    def display_name_pending?
      @display_name_pending
    end

    # Provisioned on Cloud API while code_verification_status is not VERIFIED: normal once 14 days
    # have passed since the one-time code (Meta keeps VERIFIED no longer).
    def verification_expired?
      @verification_expired
    end

    # platform_type or the throughput level is NOT_APPLICABLE (Chatwoot's "Complete Registration" banner).
    def registration_incomplete?
      not_applicable.any?
    end

    def to_h
      { register: register?, reason: reason, display_name_pending: display_name_pending?,
        verification_expired: verification_expired?, registration_incomplete: registration_incomplete?,
        not_applicable: not_applicable, message: message }
    end

    def ==(other)
      other.is_a?(Decision) && other.to_h == to_h
    end
    alias eql? ==

    def hash
      to_h.hash
    end
  end

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

  # The registration half of the public API (see README "Registration").
  module Registration
    # What newest Chatwoot subscribes the app to (plus "calls" when calling is enabled).
    DEFAULT_SUBSCRIBED_FIELDS = %w[messages smb_message_echoes].freeze

    def should_register?(health)
      registration_decision(health).register?
    end

    # health: the Hash from WaHealth.fetch, or any Hash with Symbol or String keys at any level.
    def registration_decision(health)
      raise ArgumentError, "health must be a Hash" unless health.is_a?(Hash)

      Decision.new(**Native.registration_decision(health))
    end

    # -- Meta's register parameters plus the connection options
    def register(phone_number_id: nil, access_token: nil, pin: nil, data_localization_region: nil, **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      pin = validate_pin(pin)
      region = Validate.optional_text(data_localization_region, :data_localization_region)
      settings = graph_settings_for(options)
      instrument("register", phone_number_id: phone) { Native.register(settings, phone, token, pin, region) }
    end

    def deregister(phone_number_id: nil, access_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      settings = graph_settings_for(options)
      instrument("deregister", phone_number_id: phone) { Native.deregister(settings, phone, token) }
    end

    # The older protocol: subscribes the app and overrides the callback for the whole WABA in one call
    # (POST /{waba}/subscribed_apps with override_callback_uri). Newest Chatwoot uses subscribe_app and
    # override_phone_webhook instead.
    def subscribe_webhook(business_account_id: nil, access_token: nil, callback_url: nil, verify_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      waba = Validate.graph_id(business_account_id, :business_account_id)
      url = Validate.callback_url(callback_url)
      verify = Validate.secret(verify_token, :verify_token)
      settings = graph_settings_for(options)
      instrument("subscribe_webhook", business_account_id: waba) do
        Native.subscribe_webhook(settings, waba, token, url, verify)
      end
    end

    # POST /{waba}/subscribed_apps {"subscribed_fields": [...]}: the app receives the WABA's webhooks for
    # these fields. Must come before any phone-level override.
    def subscribe_app(business_account_id: nil, access_token: nil, subscribed_fields: DEFAULT_SUBSCRIBED_FIELDS,
                      **options)
      token = Validate.secret(access_token, :access_token)
      waba = Validate.graph_id(business_account_id, :business_account_id)
      fields = Validate.subscribed_fields(subscribed_fields)
      settings = graph_settings_for(options)
      instrument("subscribe_app", business_account_id: waba) { Native.subscribe_app(settings, waba, token, fields) }
    end

    # DELETE /{waba}/subscribed_apps: the app stops receiving the WABA's webhooks.
    def unsubscribe_app(business_account_id: nil, access_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      waba = Validate.graph_id(business_account_id, :business_account_id)
      settings = graph_settings_for(options)
      instrument("unsubscribe_app", business_account_id: waba) { Native.unsubscribe_app(settings, waba, token) }
    end

    # POST /{phone_number_id} {"webhook_configuration": {"override_callback_uri", "verify_token"}}: Meta sends
    # this number's webhooks to callback_url. The app must be subscribed to the WABA first.
    def override_phone_webhook(phone_number_id: nil, access_token: nil, callback_url: nil, verify_token: nil,
                               **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      callback = [Validate.callback_url(callback_url), Validate.secret(verify_token, :verify_token)]
      settings = graph_settings_for(options)
      instrument("override_phone_webhook", phone_number_id: phone) do
        Native.override_phone_webhook(settings, phone, token, callback)
      end
    end

    # Clears the phone-level override (an empty override_callback_uri): the WABA's or the app's callback
    # applies again.
    def clear_phone_webhook(phone_number_id: nil, access_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      settings = graph_settings_for(options)
      instrument("clear_phone_webhook", phone_number_id: phone) do
        Native.override_phone_webhook(settings, phone, token, nil)
      end
    end

    # The earliest Time a new automatic register call for this number is allowed, or nil when none
    # should be made (provisioned, an error that needs a person: see ApiError#next_step, or a display
    # name still in review: call again when fresh health arrives). Never allows more than
    # Native::MAX_REGISTRATION_ATTEMPTS_PER_WINDOW attempts in any rolling window of
    # Native::REGISTRATION_WINDOW_SECONDS (Meta's; it blocks registration a little above that count).
    #
    # Takes what an app stores as it is: attempts as Times, ISO-8601 Strings or Unix seconds; last_error
    # as the exception, or the stored facts of an ApiError ({code:, subcode:, user_title:, user_message:}
    # with Symbol or String keys, or just the Integer code), or nil. WaHealth::RegistrationLedger keeps
    # both in one JSON-safe Hash.
    def next_registration_at(attempts:, now: Time.now, last_error: nil, health: nil)
      raise ArgumentError, "now must be a Time" unless now.is_a?(Time)
      raise ArgumentError, "health must be a Hash or nil" unless health.nil? || health.is_a?(Hash)

      at = Native.next_registration_at(Validate.times(attempts, :attempts), now.to_i, error_facts(last_error), health)
      at && (now + (at - now.to_r))
    end

    private

    def validate_pin(pin)
      Validate.pin(pin)
    end

    # What the native schedule reads of the last error: nil for none, else Meta's code, subcode and
    # words for people ([nil, nil, nil, nil] for an error that is not Meta's).
    def error_facts(error)
      case error
      when nil then nil
      when ApiError then [error.code, error.subcode, error.user_title, error.user_message]
      when Exception then [nil, nil, nil, nil]
      when Integer then [error, nil, nil, nil]
      when Hash then stored_error_facts(error)
      else raise ArgumentError, "last_error must be an exception, an error code, a Hash of its facts or nil"
      end
    end

    def stored_error_facts(facts)
      code, subcode, title, message = %i[code subcode user_title user_message].map do |key|
        facts.fetch(key) { facts[key.to_s] }
      end
      numbers = [code, subcode].compact.all?(Integer)
      texts = [title, message].compact.all?(String)
      unless numbers && texts
        raise ArgumentError, "last_error's code and subcode must be Integers, its user_title and user_message Strings"
      end

      [code, subcode, title, message]
    end

    def graph_settings_for(options)
      config.graph_settings_for(options)
    end
  end
end
