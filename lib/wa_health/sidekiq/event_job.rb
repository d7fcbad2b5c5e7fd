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
  #   Not when the resolver says `pin_stale: "pin_changed"` (Meta's security webhook, the mark_pin_stale
  #   action): the number's PIN was changed in WhatsApp Manager, so Meta would refuse the stored PIN and a
  #   new one alike (133005), each refusal spending one of its 10 register calls per 72 hours.
  #
  # Arguments are a channel id, action names and the event's event_id only (WaHealth::EventJob.enqueue(
  # channel_id, actions)), never a token or a PIN: the credentials_resolver runs in the worker. notify_risk,
  # notify, mark_pin_stale and reauthorize need no network call; the app's event_handler does them in the
  # request.
  #
  # Once per event and channel: a job with an event_id claims "job:<channel id>" for it in the event ledger
  # (WaHealth::EventLedger.current) before it acts, so the same event enqueued twice (its delivery retried
  # after the handler had enqueued it) is performed once. A job that raises (Sidekiq's shutdown included)
  # gives its claim back, so Sidekiq's retry or the job pushed back on shutdown performs it; one that finds
  # the claim held by a running copy runs again BUSY_DELAY seconds later.
  class EventJob
    include ChannelJob

    LOG_PREFIX = "wa_health event:"
    ACTIONS = %w[register_now refresh].freeze
    PIN_KEYS = %i[pin verification_pin].freeze
    # pin_stale reasons (WaHealth.apply_event's mark_pin_stale) after which no PIN the job has can register.
    PIN_REPLACED = %w[pin_changed].freeze
    # Seconds a job may run past its three Meta calls (the sinks, the resolver) before its claim lapses.
    LEASE_MARGIN = 30
    BUSY_DELAY = 30
    EVENT_ID = /\A\h{32}\z/

    # Enqueues a job for the actions this job performs (others are left out), with their event_id (the
    # event's, from WaHealth.apply_event) when they have one; returns the job id, or nil when none of them
    # is one.
    def self.enqueue(channel_id, actions)
      actions = Array(actions)
      names = actions.map { |action| (action.is_a?(Hash) ? action[:type] || action["type"] : action).to_s }
      names = ACTIONS & names
      return nil if names.empty?

      ChannelJob.validate_ids([channel_id])
      event_id = event_id_of(actions)
      event_id ? perform_async(channel_id, names, event_id) : perform_async(channel_id, names)
    end

    # The one event_id the actions share, or nil.
    def self.event_id_of(actions)
      ids = actions.filter_map { |action| action.is_a?(Hash) && (action[:event_id] || action["event_id"]) }.uniq
      ids.size == 1 && EVENT_ID.match?(ids.first.to_s) ? ids.first.to_s : nil
    end

    def perform(channel_id, action_names, event_id = nil)
      ChannelJob.validate_ids([channel_id])
      names = Array(action_names).map(&:to_s)
      raise ArgumentError, "unknown action names (known: #{ACTIONS.join(', ')})" unless (names - ACTIONS).empty?
      raise ArgumentError, "event_id must be 32 hex digits" unless event_id.nil? || EVENT_ID.match?(event_id.to_s)

      resolver = WaHealth.config.required(:credentials_resolver)
      sink = WaHealth.config.required(:health_sink)
      once_per_event(channel_id, names, event_id) do
        credentials = credentials_for(channel_id, resolver) or next

        sink.call(channel_id, outcome(channel_id, credentials, names))
      end
    end

    private

    # Runs the block unless this event's job already ran for the channel (logged), or runs again later when
    # a copy of it is running.
    def once_per_event(channel_id, names, event_id, &)
      return yield unless event_id

      case EventLedger.current.once("job:#{channel_id}", event_id, lease: lease, &)
      when EventLedger::DUPLICATE then log(:info, "channel #{channel_id} event #{event_id} already performed")
      when EventLedger::BUSY
        log(:info, "channel #{channel_id} event #{event_id} is being performed; again in #{BUSY_DELAY}s")
        self.class.perform_in(BUSY_DELAY, channel_id, names, event_id)
      end
    end

    # How long a job may hold its event: three Meta calls at the configured timeouts, and a margin. A worker
    # killed mid-job (SIGKILL) keeps the claim this long.
    def lease
      config = WaHealth.config
      (3 * (config.timeout.to_f + config.open_timeout.to_f)) + LEASE_MARGIN
    end

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
      if pin_replaced?(credentials)
        log(:warn, "channel #{channel_id} needs registration, but its two-step verification PIN was changed in " \
                   "WhatsApp Manager (pin_stale: pin_changed): not registering until the new PIN is stored")
        return false
      end

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

    def pin_replaced?(credentials)
      PIN_REPLACED.include?(credentials.transform_keys(&:to_sym)[:pin_stale].to_s)
    end

    def stored_pin(credentials)
      symbols = credentials.transform_keys(&:to_sym)
      PIN_KEYS.map { |key| symbols[key] }.find { |pin| !Validate.blank?(pin) }&.to_s
    end
  end
end
