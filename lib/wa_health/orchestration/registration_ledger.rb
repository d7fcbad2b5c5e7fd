# frozen_string_literal: true

require "json"
require "time"

module WaHealth
  # The registration attempts of one number and the last one's error, kept where the app keeps its
  # channel (a JSON column, or a key of Chatwoot's provider_config), so the retry schedule has what it
  # needs across processes and restarts. Every attempt is recorded, failed ones included (Meta counts
  # them all toward its 10 in 72 hours).
  #
  #   ledger = WaHealth::RegistrationLedger.load(channel.provider_config["registration_ledger"])
  #   if (due = ledger.next_registration_at(health: health)) && due <= Time.now
  #     begin
  #       WaHealth.register(phone_number_id:, access_token:, pin:)
  #       ledger.record_attempt
  #     rescue WaHealth::Error => e
  #       ledger.record_attempt(error: e)
  #     end
  #     channel.update!(provider_config: channel.provider_config.merge("registration_ledger" => ledger.to_h))
  #   end
  class RegistrationLedger
    # Meta's window (72 hours, as the schedule counts it); older attempts cannot change any answer, so
    # they are dropped.
    KEEP_SECONDS = Native::REGISTRATION_WINDOW_SECONDS

    attr_reader :attempts, :last_error

    # stored: what #to_h gave (Hash with String or Symbol keys, or its JSON text), or nil for none yet.
    def self.load(stored)
      stored = parse(stored) if stored.is_a?(String)
      return new if stored.nil?
      raise ArgumentError, "a stored ledger must be a Hash, its JSON text or nil" unless stored.is_a?(Hash)

      new(attempts: stored.fetch("attempts") { stored.fetch(:attempts, []) },
          last_error: stored.fetch("last_error") { stored[:last_error] })
    end

    def self.parse(json)
      JSON.parse(json)
    rescue JSON::ParserError
      raise ArgumentError, "a stored ledger is not valid JSON", cause: nil
    end

    # attempts: Times, ISO-8601 Strings or Unix seconds; last_error: stored facts (a Hash of
    # Registration::ERROR_FACTS, with String or Symbol keys) or nil.
    def initialize(attempts: [], last_error: nil)
      @attempts = Validate.times(attempts, :attempts).map { |seconds| Time.at(seconds).utc }
      @last_error = last_error && normalize_facts(last_error)
    end

    # Records one register call at `at`: error is the exception it raised, or nil when it succeeded.
    def record_attempt(at: Time.now, error: nil)
      raise ArgumentError, "at must be a Time" unless at.is_a?(Time)
      raise ArgumentError, "error must be an exception or nil" unless error.nil? || error.is_a?(Exception)

      @attempts = (@attempts + [at.utc]).select { |time| time > at - KEEP_SECONDS }
      @last_error = error && facts_of(error)
      self
    end

    # WaHealth.next_registration_at for these attempts and this error.
    def next_registration_at(health: nil, now: Time.now)
      WaHealth.next_registration_at(attempts: attempts, last_error: last_error, health: health, now: now)
    end

    # JSON-safe: {"attempts" => [ISO-8601 Strings], "last_error" => {...} or nil}. No secret is kept: Meta's
    # words for people were redacted when the error was raised.
    def to_h
      { "attempts" => attempts.map(&:iso8601), "last_error" => last_error }
    end

    def ==(other)
      other.is_a?(RegistrationLedger) && other.to_h == to_h
    end

    private

    # {"code" =>, "subcode" =>, "user_title" =>, "user_message" =>}: an ApiError's, or all nil for another error.
    def facts_of(error)
      Registration::ERROR_FACTS.to_h { |name| [name.to_s, error.is_a?(ApiError) ? error.public_send(name) : nil] }
    end

    def normalize_facts(facts)
      raise ArgumentError, "last_error must be a Hash of an error's facts" unless facts.is_a?(Hash)

      Registration::ERROR_FACTS.to_h { |name| [name.to_s, facts.fetch(name.to_s) { facts[name] }] }
    end
  end
end
