# frozen_string_literal: true

module WaHealth
  # One event per network call, named "<call>.wa_health" (EVENTS: every call that talks to Meta), wrapped
  # around the network work only (argument errors raise before any event). The payload holds ids and
  # outcomes, never a token, secret or PIN:
  #
  #   phone_number_id / business_account_id  the Graph ids the call is about
  #   request_count, concurrency, error_count  fetch_many's batch, instead of the ids
  #   http_status    200 on success; the ApiError's status on a Meta error; nil when no answer came
  #   error_class    the error's class name, on failure
  #   error_code, error_subcode  Meta's codes, on an ApiError
  #   retry_after    seconds, on a RateLimitError whose usage header says when access comes back
  #
  # The instrumenter (WaHealth.config.instrumenter) measures the duration (ActiveSupport's event.duration).
  module Instrumentation
    # Call => event name.
    EVENTS = %w[fetch fetch_many register deregister subscribe_webhook subscribe_app override_phone_webhook
                clear_phone_webhook unsubscribe_app].to_h { |call| [call, "#{call}.wa_health"] }.freeze

    # The payload keys an error fills in.
    def self.error_facts(error)
      facts = { error_class: error.class.name }
      return facts unless error.is_a?(ApiError)

      facts.merge(http_status: error.http_status, error_code: error.code, error_subcode: error.subcode,
                  retry_after: error.retry_after).compact
    end

    private

    def instrument(call, payload)
      instrumenter = config.instrumenter
      return yield(payload) if instrumenter.nil?

      instrumenter.instrument(EVENTS.fetch(call), payload) do
        result = yield(payload)
        payload[:http_status] = 200 unless payload.key?(:http_status)
        result
      rescue StandardError => e
        payload.merge!(Instrumentation.error_facts(e))
        raise
      end
    end
  end
end
