# frozen_string_literal: true

require "securerandom"

module WaHealth
  # The registration half of the public API (see docs/reference.md, "Registration").
  module Registration
    # What newest Chatwoot subscribes the app to (plus "calls" when calling is enabled).
    DEFAULT_SUBSCRIBED_FIELDS = %w[messages smb_message_echoes].freeze
    # What the retry schedule reads of a register call's error: ApiError's attributes of these names
    # (none for an error that is not Meta's). WaHealth::RegistrationLedger stores them.
    ERROR_FACTS = %i[code subcode user_title user_message].freeze

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
      pin = Validate.pin(pin)
      region = Validate.optional_text(data_localization_region, :data_localization_region)
      settings = config.graph_settings_for(options)
      instrument("register", phone_number_id: phone) { Native.register(settings, phone, token, pin, region) }
    end

    def deregister(phone_number_id: nil, access_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      settings = config.graph_settings_for(options)
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
      settings = config.graph_settings_for(options)
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
      settings = config.graph_settings_for(options)
      instrument("subscribe_app", business_account_id: waba) { Native.subscribe_app(settings, waba, token, fields) }
    end

    # DELETE /{waba}/subscribed_apps: the app stops receiving the WABA's webhooks.
    def unsubscribe_app(business_account_id: nil, access_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      waba = Validate.graph_id(business_account_id, :business_account_id)
      settings = config.graph_settings_for(options)
      instrument("unsubscribe_app", business_account_id: waba) { Native.unsubscribe_app(settings, waba, token) }
    end

    # POST /{phone_number_id} {"webhook_configuration": {"override_callback_uri", "verify_token"}}: Meta sends
    # this number's webhooks to callback_url. The app must be subscribed to the WABA first.
    def override_phone_webhook(phone_number_id: nil, access_token: nil, callback_url: nil, verify_token: nil,
                               **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      callback = [Validate.callback_url(callback_url), Validate.secret(verify_token, :verify_token)]
      settings = config.graph_settings_for(options)
      instrument("override_phone_webhook", phone_number_id: phone) do
        Native.override_phone_webhook(settings, phone, token, callback)
      end
    end

    # Clears the phone-level override (an empty override_callback_uri): the WABA's or the app's callback
    # applies again.
    def clear_phone_webhook(phone_number_id: nil, access_token: nil, **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      settings = config.graph_settings_for(options)
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

    # A new two-step verification PIN, for a number that has none yet: Native::PIN_DIGITS (6) digits from a
    # CSPRNG, without a leading zero (100000..999999, as Chatwoot draws them), as a String. Store it before or
    # right after the register call that uses it: once Meta accepted it, every later registration of the
    # number needs it.
    def generate_pin
      SecureRandom.random_number((10**(Native::PIN_DIGITS - 1))...(10**Native::PIN_DIGITS)).to_s
    end

    private

    # What the native schedule reads of the last error: nil for none, else ERROR_FACTS in their order
    # ([nil, nil, nil, nil] for an error that is not Meta's).
    def error_facts(error)
      case error
      when nil then nil
      when ApiError then ERROR_FACTS.map { |name| error.public_send(name) }
      when Exception then [nil, nil, nil, nil]
      when Integer then [error, nil, nil, nil]
      when Hash then stored_error_facts(error)
      else raise ArgumentError, "last_error must be an exception, an error code, a Hash of its facts or nil"
      end
    end

    def stored_error_facts(facts)
      code, subcode, title, message = ERROR_FACTS.map { |key| facts.fetch(key) { facts[key.to_s] } }
      numbers = [code, subcode].compact.all?(Integer)
      texts = [title, message].compact.all?(String)
      unless numbers && texts
        raise ArgumentError, "last_error's code and subcode must be Integers, its user_title and user_message Strings"
      end

      [code, subcode, title, message]
    end
  end
end
