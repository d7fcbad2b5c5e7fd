# frozen_string_literal: true

require_relative "channel_job"

module WaHealth
  # Performs the network actions WaHealth.apply_event asks for, for one channel, on Sidekiq:
  #
  # - "refresh": reads the health (WaHealth.fetch) and hands it to WaHealth.health_sink;
  # - "register_now": reads the health; when WaHealth.should_register? says so, registers the number with
  #   the PIN the credentials_resolver gives (pin: or verification_pin:), or, when there is none and a
  #   registration_sink is set, with a new one (WaHealth.generate_pin); then reads the health again for the
  #   sink. The registration_sink gets the PIN once Meta accepted it, or the error of a failed attempt.
  #
  # Arguments are a channel id and action names only (WaHealth::EventJob.enqueue(channel_id, actions)),
  # never a token or a PIN: the credentials_resolver runs in the worker. notify_risk and reauthorize need
  # no network call; the app's event_handler does them in the request.
  class EventJob
    include ChannelJob

    LOG_PREFIX = "wa_health event:"
    ACTIONS = %w[register_now refresh].freeze
    PIN_KEYS = %i[pin verification_pin].freeze

    # Enqueues a job for the actions this job performs (others are left out); returns the job id, or nil
    # when none of them is one.
    def self.enqueue(channel_id, actions)
      names = Array(actions).map { |action| (action.is_a?(Hash) ? action[:type] || action["type"] : action).to_s }
      names = ACTIONS & names
      return nil if names.empty?

      ChannelJob.validate_ids([channel_id])
      perform_async(channel_id, names)
    end

    def perform(channel_id, action_names)
      ChannelJob.validate_ids([channel_id])
      names = Array(action_names).map(&:to_s)
      raise ArgumentError, "unknown action names (known: #{ACTIONS.join(', ')})" unless (names - ACTIONS).empty?

      resolver = WaHealth.config.required(:credentials_resolver)
      sink = WaHealth.config.required(:health_sink)
      credentials = credentials_for(channel_id, resolver) or return

      sink.call(channel_id, outcome(channel_id, credentials, names))
    end

    private

    # The health after the actions, or the error that stopped them (ArgumentError for incomplete credentials).
    def outcome(channel_id, credentials, names)
      arguments = Fetch.arguments(credentials)
      health = WaHealth.fetch(**arguments)
      return health unless names.include?("register_now") && WaHealth.should_register?(health)

      register(channel_id, arguments, credentials) ? WaHealth.fetch(**arguments) : health
    rescue WaHealth::Error, ArgumentError => e
      e
    end

    # true when Meta accepted the registration.
    def register(channel_id, arguments, credentials)
      pin = stored_pin(credentials) || new_pin
      unless pin
        log(:warn, "channel #{channel_id} needs registration, but has no stored PIN and no registration_sink " \
                   "to keep a new one")
        return false
      end

      WaHealth.register(phone_number_id: arguments[:phone_number_id], access_token: arguments[:access_token], pin: pin)
      WaHealth.registration_sink&.call(channel_id, pin)
      log(:info, "channel #{channel_id} registered")
      true
    rescue WaHealth::Error => e
      WaHealth.registration_sink&.call(channel_id, e)
      log(:warn, "channel #{channel_id} registration failed (#{e.class}: #{e.message})")
      false
    end

    # A PIN only when it can be kept: an unstored PIN would make the next registration fail with 133005.
    def new_pin
      WaHealth.registration_sink && WaHealth.generate_pin
    end

    def stored_pin(credentials)
      symbols = credentials.transform_keys(&:to_sym)
      PIN_KEYS.map { |key| symbols[key] }.find { |pin| !Validate.blank?(pin) }&.to_s
    end
  end
end
