# frozen_string_literal: true

require "sidekiq"

# Fleet sweeps on Sidekiq, loaded by `require "wa_health"` when Sidekiq is already loaded, by the
# Railtie at boot when Sidekiq is loaded, or by `require "wa_health/sidekiq"`.
#
#   # config/initializers/wa_health.rb
#   WaHealth.credentials_resolver = lambda do |channel_id|
#     channel = Channel::Whatsapp.find_by(id: channel_id, provider: "whatsapp_cloud")
#     channel && { phone_number_id: channel.provider_config["phone_number_id"],
#                  access_token: channel.provider_config["api_key"],
#                  business_account_id: channel.provider_config["business_account_id"] }
#   end
#   WaHealth.health_sink = ->(channel_id, health_or_error) { ... persist ... }
#
#   WaHealth::SweepJob.enqueue_all(Channel::Whatsapp.where(provider: "whatsapp_cloud").pluck(:id))
module WaHealth
  class << self
    # Channel id -> WaHealth.fetch keyword arguments (phone_number_id:, access_token:, business_account_id:),
    # or nil for a channel that is gone or not a Cloud API channel (it is skipped). Called inside the
    # worker, so tokens stay in the database and never enter Redis.
    attr_reader :credentials_resolver

    # (channel id, result) -> persists the result: the health Hash WaHealth.fetch returns, or the error
    # (a WaHealth::Error, or ArgumentError for credentials the resolver gave incomplete). Called once per
    # channel and sweep in the normal course; Sidekiq runs a job again after a crash or a raise, so make
    # it idempotent (an upsert).
    attr_reader :health_sink

    def credentials_resolver=(callable)
      @credentials_resolver = sweep_callable(callable, :credentials_resolver)
    end

    def health_sink=(callable)
      @health_sink = sweep_callable(callable, :health_sink)
    end

    private

    def sweep_callable(callable, name)
      raise ArgumentError, "#{name} must respond to call" unless callable.nil? || callable.respond_to?(:call)

      callable
    end
  end

  # Reads the health of a batch of channels with WaHealth.fetch_many and hands each result to
  # WaHealth.health_sink. Job arguments are channel ids only (Redis stores them in plain text).
  # Channels Meta rate-limits are re-enqueued as a new job after the error's retry_after (see
  # retry_delay); after max_rate_limit_retries such jobs their RateLimitError goes to the sink like any
  # other error.
  class SweepJob
    include(defined?(::Sidekiq::Job) ? ::Sidekiq::Job : ::Sidekiq::Worker)

    # A failed job (the resolver or the sink raised) is retried a few times; the next sweep reads
    # every channel again anyway.
    sidekiq_options retry: 3

    # Channel ids: Integers, or Strings of letters, digits, "_" and "-" up to 64 characters. Anything
    # else is refused, so credentials cannot end up in a job by mistake.
    CHANNEL_ID = /\A[A-Za-z0-9_-]{1,64}\z/
    # Sidekiq::Client.push_bulk calls hold at most this many jobs.
    PUSH_SLICE = 1_000
    FETCH_KEYS = %i[phone_number_id access_token business_account_id].freeze

    class << self
      # fetch_many's concurrency within one job (default 16).
      attr_accessor :concurrency
      # Seconds to wait when a RateLimitError has no retry_after (default 60).
      attr_accessor :default_retry_delay
      # Upper bound of the wait in seconds, or nil for none (the default). Meta's estimate comes in
      # whole minutes, so a test suite sets a few seconds here.
      attr_accessor :max_retry_delay
      # Up to this fraction of the wait is added at random, so re-enqueued batches do not all return
      # at the same second (default 0.1).
      attr_accessor :retry_jitter
      # How many times a channel is re-enqueued for rate limits within one sweep (default 5).
      attr_accessor :max_rate_limit_retries

      # One job per batch_size channel ids; returns the number of jobs enqueued.
      def enqueue_all(channel_ids, batch_size: 100)
        unless batch_size.is_a?(Integer) && batch_size.positive?
          raise ArgumentError, "batch_size must be a positive Integer"
        end

        batches = validate_ids(channel_ids.to_a).each_slice(batch_size).map { |batch| [batch] }
        batches.each_slice(PUSH_SLICE).sum do |slice|
          Sidekiq::Client.push_bulk("class" => self, "args" => slice).size
        end
      end

      # Seconds until a rate-limited batch runs again: Meta's retry_after (the largest in the batch) or
      # default_retry_delay, capped by max_retry_delay, plus up to retry_jitter of it at random.
      def retry_delay(errors)
        delay = errors.filter_map(&:retry_after).max || default_retry_delay
        delay = [delay, max_retry_delay].min if max_retry_delay
        delay + (delay * retry_jitter * rand)
      end

      def validate_ids(ids)
        ids.each do |id|
          next if id.is_a?(Integer) || (id.is_a?(String) && CHANNEL_ID.match?(id))

          raise ArgumentError, "channel ids must be Integers or id Strings (letters, digits, _ and -, " \
                               "at most 64); a #{id.class} was given"
        end
      end

      def reset_settings!
        self.concurrency = 16
        self.default_retry_delay = 60
        self.max_retry_delay = nil
        self.retry_jitter = 0.1
        self.max_rate_limit_retries = 5
      end
    end
    reset_settings!

    # channel_ids: one batch; attempt: how many times these ids were re-enqueued for rate limits.
    def perform(channel_ids, attempt = 0)
      resolver = WaHealth.credentials_resolver or raise Error, "WaHealth.credentials_resolver is not set"
      sink = WaHealth.health_sink or raise Error, "WaHealth.health_sink is not set"

      ids, requests = resolve(self.class.validate_ids(Array(channel_ids)), resolver, sink)
      results = requests.empty? ? [] : WaHealth.fetch_many(requests, concurrency: self.class.concurrency)
      limited = deliver(ids.zip(results), attempt, sink)
      retry_later(limited, attempt) if limited.any?
    end

    private

    # [ids, fetch arguments] of the channels to read; channels whose credentials are incomplete go to
    # the sink with the ArgumentError right away.
    def resolve(channel_ids, resolver, sink)
      resolved = channel_ids.filter_map do |id|
        credentials = resolver.call(id)
        if credentials.nil?
          logger.info("wa_health sweep: channel #{id} skipped (no credentials)")
          next
        end

        begin
          [id, fetch_arguments(credentials)]
        rescue ArgumentError => e
          sink.call(id, e)
          next
        end
      end
      [resolved.map(&:first), resolved.map(&:last)]
    end

    def fetch_arguments(credentials)
      raise ArgumentError, "credentials must be a Hash" unless credentials.is_a?(Hash)

      arguments = credentials.transform_keys(&:to_sym).slice(*FETCH_KEYS)
      Validate.secret(arguments[:access_token], :access_token)
      Validate.graph_id(arguments[:phone_number_id], :phone_number_id)
      Validate.optional_graph_id(arguments[:business_account_id], :business_account_id)
      arguments
    end

    # Sends every result to the sink except the rate-limited ones still allowed a retry; returns those
    # as [[id, error], ...].
    def deliver(pairs, attempt, sink)
      pairs.each_with_object([]) do |(id, result), limited|
        if result.is_a?(RateLimitError) && attempt < self.class.max_rate_limit_retries
          limited << [id, result]
        else
          sink.call(id, result)
        end
      end
    end

    def retry_later(limited, attempt)
      delay = self.class.retry_delay(limited.map(&:last))
      self.class.perform_in(delay, limited.map(&:first), attempt + 1)
      logger.info("wa_health sweep: #{limited.size} channel(s) rate limited; retrying in #{delay.round(1)}s " \
                  "(attempt #{attempt + 1})")
    end
  end
end

# Required on its own, this file loads the gem after defining the job (wa_health.rb then skips it).
require "wa_health" unless defined?(WaHealth::Configuration)
