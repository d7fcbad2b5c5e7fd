# frozen_string_literal: true

require "securerandom"

module WaHealth
  # Chatwoot's webhook setup with the dual-condition registration, in process:
  # read health once, register when the decision says so (a failure is logged and kept, never
  # raised), then subscribe the WABA's webhook (a failure raises WebhookSetupError).
  #
  #   result = WaHealth::WebhookSetup.new(phone_number_id:, business_account_id:, access_token:,
  #                                       callback_url:, verify_token:, pin: stored_pin).perform
  #   channel.provider_config["verification_pin"] = result.pin if result.pin
  class WebhookSetup
    # registered?: a register call succeeded in this run; pin: the PIN to persist (only then).
    Result = Struct.new(:registered, :pin, :decision, :registration_error, :health, keyword_init: true) do
      def registered?
        registered ? true : false
      end

      def inspect
        "#<#{self.class.name} registered=#{registered?} pin=#{pin ? '[REDACTED]' : 'nil'} " \
          "decision=#{decision&.reason.inspect} registration_error=#{registration_error&.class}>"
      end
      alias_method :to_s, :inspect
    end

    # Errors after which a register call cannot succeed, so none is made.
    SKIP_REGISTRATION_AFTER = [AuthorizationError, RateLimitError].freeze

    def initialize(phone_number_id: nil, business_account_id: nil, access_token: nil, callback_url: nil,
                   verify_token: nil, pin: nil, logger: nil, **options)
      @access_token = Validate.secret(access_token, :access_token)
      @phone_number_id = Validate.graph_id(phone_number_id, :phone_number_id)
      @business_account_id = Validate.graph_id(business_account_id, :business_account_id)
      @callback_url = Validate.text(callback_url, :callback_url)
      @verify_token = Validate.secret(verify_token, :verify_token)
      @pin = pin.nil? || pin.to_s.strip.empty? ? nil : pin.to_s
      @logger = logger
      @options = options
    end

    # A new two-step PIN from a CSPRNG, in Meta's 6-digit range 100000..999999.
    def self.generate_pin
      (100_000 + SecureRandom.random_number(900_000)).to_s
    end

    def perform
      health, health_error = read_health
      decision = health && WaHealth.registration_decision(health)
      registered, pin, registration_error = register_if_needed(decision, health_error)
      result = Result.new(registered: registered, pin: registered ? pin : nil, decision: decision,
                          registration_error: registration_error, health: health)
      subscribe(result)
      result
    end

    def inspect
      "#<#{self.class.name} phone_number_id=#{@phone_number_id} business_account_id=#{@business_account_id}>"
    end
    alias to_s inspect

    private

    def read_health
      [WaHealth.fetch(phone_number_id: @phone_number_id, access_token: @access_token, **@options), nil]
    rescue Error => e
      log(:warn, "health could not be read (#{e.class}: #{e.message})")
      [nil, e]
    end

    def register_if_needed(decision, health_error)
      return [false, nil, nil] unless registration_needed?(decision, health_error)

      pin = @attempted_pin = @pin || self.class.generate_pin
      WaHealth.register(phone_number_id: @phone_number_id, access_token: @access_token, pin: pin, **@options)
      log(:info, "registered")
      [true, pin, nil]
    rescue Error, ArgumentError => e
      log(:warn, "registration failed (#{e.class}: #{e.message}); continuing with webhook setup")
      [false, nil, e]
    end

    def registration_needed?(decision, health_error)
      if decision
        log(:info, "decision #{decision.reason}: #{decision.message}")
        decision.register?
      elsif SKIP_REGISTRATION_AFTER.any? { |klass| health_error.is_a?(klass) }
        log(:warn, "registration skipped: it cannot succeed after #{health_error.class}")
        false
      else
        log(:info, "health unknown; registering, as an unverified number would be")
        true
      end
    end

    def subscribe(result)
      WaHealth.subscribe_webhook(business_account_id: @business_account_id, access_token: @access_token,
                                 callback_url: @callback_url, verify_token: @verify_token, **@options)
      log(:info, "webhook subscribed")
    rescue Error => e
      log(:error, "webhook setup failed (#{e.class}: #{e.message})")
      raise WebhookSetupError.new(scrub("Webhook setup failed: #{e.message}"), result: result)
    end

    def log(level, text)
      line = scrub("[wa_health] phone_number_id=#{@phone_number_id} #{text}")
      (@logger || WaHealth.config.logger)&.public_send(level, line)
    end

    # The PIN never goes into a log line or an error message of this class, whichever call's
    # answer quoted it (each call redacts only the secrets it was given; only register gets the PIN).
    def scrub(text)
      [@pin, @attempted_pin].compact.uniq.reduce(text) { |scrubbed, pin| scrubbed.gsub(pin, "[REDACTED]") }
    end
  end
end
