# frozen_string_literal: true

module WaHealth
  # Newest Chatwoot's webhook setup with its registration rules, in process: read health once, register
  # when the decision says so (a failure is logged and kept, never raised; no registration when health
  # cannot be read), then set up the webhook (a failure raises WebhookSetupError).
  #
  #   result = WaHealth::WebhookSetup.new(phone_number_id:, business_account_id:, access_token:,
  #                                       callback_url:, verify_token:, pin: stored_pin).perform
  #   channel.provider_config["verification_pin"] = result.pin if result.pin
  #
  # Every input (ids, token, callback URL, verify token, PIN, fields, connection options) is checked when
  # the object is built, before the first request: a bad one raises ArgumentError and nothing is sent,
  # so no PIN is ever registered and then lost.
  #
  # protocol: :phone_override (the default, newest Chatwoot): subscribe the app to the WABA with
  # subscribed_fields, then override the callback for this phone number; :waba_override (the older
  # protocol): one POST /{waba}/subscribed_apps carrying override_callback_uri for the whole WABA.
  class WebhookSetup
    include PhoneNumberSteps

    PROTOCOLS = %i[phone_override waba_override].freeze

    # registered?: a register call succeeded in this run; pin: the PIN to persist (only then);
    # registration_note: why it registered or not, in words; health_error: why health could not be read.
    Result = Struct.new(:registered, :pin, :decision, :registration_error, :health, :health_error,
                        :registration_note, keyword_init: true) do
      def registered?
        registered ? true : false
      end

      def inspect
        "#<#{self.class.name} registered=#{registered?} pin=#{pin ? '[REDACTED]' : 'nil'} " \
          "decision=#{decision&.reason.inspect} registration_error=#{registration_error&.class}>"
      end
      alias_method :to_s, :inspect

      # The PIN is only on the live object: Marshal and YAML (a WebhookSetupError's result goes wherever the
      # error is serialized: job queues, error trackers) carry the other members, and pin as nil.
      def marshal_dump
        to_h.merge(pin: nil)
      end

      def marshal_load(members)
        members.each { |name, value| self[name] = value }
      end

      def encode_with(coder)
        to_h.merge(pin: nil).each { |name, value| coder[name.to_s] = value }
      end

      def init_with(coder)
        members.each { |name| self[name] = coder[name.to_s] }
      end
    end

    def initialize(phone_number_id: nil, business_account_id: nil, access_token: nil, callback_url: nil,
                   verify_token: nil, pin: nil, subscribed_fields: Registration::DEFAULT_SUBSCRIBED_FIELDS,
                   calls: false, protocol: :phone_override, logger: nil, **options)
      token = Validate.secret(access_token, :access_token)
      @phone_number_id = Validate.graph_id(phone_number_id, :phone_number_id)
      @business_account_id = Validate.graph_id(business_account_id, :business_account_id)
      @callback_url = Validate.callback_url(callback_url)
      @verify_token = Validate.secret(verify_token, :verify_token)
      @pin = Validate.blank?(pin) ? nil : Validate.pin(pin)
      @subscribed_fields = Validate.subscribed_fields(Array(subscribed_fields) + (calls ? ["calls"] : []))
      raise ArgumentError, "protocol must be one of #{PROTOCOLS.inspect}" unless PROTOCOLS.include?(protocol)

      @protocol = protocol
      @logger = logger
      keep_credentials(token, options)
    end

    # Every call of the run also redacts the PIN and the verify token (see Redaction): Meta's answer to any
    # of them could quote one, also to a call that was never given it. So no error or log line of the run
    # carries either (result.pin is where the PIN to store is).
    def perform
      Redaction.also_redacting(@pin, @verify_token) do
        health, health_error = read_health
        decision = health && WaHealth.registration_decision(health)
        registered, pin, registration_error, note = register_if_needed(decision, health_error)
        result = Result.new(registered: registered, pin: registered ? pin : nil, decision: decision,
                            registration_error: registration_error, health: health, health_error: health_error,
                            registration_note: note)
        Redaction.also_redacting(@attempted_pin) { configure_webhook(result) }
        result
      end
    end

    def inspect
      "#<#{self.class.name} phone_number_id=#{@phone_number_id} business_account_id=#{@business_account_id}>"
    end
    alias to_s inspect

    private

    def read_health
      [WaHealth.fetch(phone_number_id: @phone_number_id, **credentials), nil]
    rescue Error => e
      log(:warn, "health could not be read (#{e.class}: #{e.message})")
      [nil, e]
    end

    # [registered, pin, error, note]
    def register_if_needed(decision, health_error)
      unless decision
        note = "not registered: health could not be read (#{health_error.class}); registering a number in an " \
               "unknown state could hit a live one"
        log(:warn, note)
        return [false, nil, nil, note]
      end
      log(:info, "decision #{decision.reason}: #{decision.message}")
      return [false, nil, nil, "not registered: #{decision.message}"] unless decision.register?

      register
    end

    def register
      pin = @attempted_pin = @pin || WaHealth.generate_pin
      WaHealth.register(phone_number_id: @phone_number_id, pin: pin, **credentials)
      log(:info, "registered")
      [true, pin, nil, "registered"]
    rescue Error => e
      log(:warn, "registration failed (#{e.class}: #{e.message}); continuing with webhook setup")
      [false, nil, e, "registration failed: #{e.message}"]
    end

    def configure_webhook(result)
      if @protocol == :waba_override
        WaHealth.subscribe_webhook(business_account_id: @business_account_id, callback_url: @callback_url,
                                   verify_token: @verify_token, **credentials)
      else
        WaHealth.subscribe_app(business_account_id: @business_account_id, subscribed_fields: @subscribed_fields,
                               **credentials)
        WaHealth.override_phone_webhook(phone_number_id: @phone_number_id, callback_url: @callback_url,
                                        verify_token: @verify_token, **credentials)
      end
      log(:info, "webhook set up (#{@protocol})")
    rescue Error => e
      log(:error, "webhook setup failed (#{e.class}: #{e.message})")
      raise WebhookSetupError.new("Webhook setup failed: #{e.message}", result: result), cause: e
    end
  end
end
