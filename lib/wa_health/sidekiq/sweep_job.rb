# frozen_string_literal: true

require "sidekiq"
require_relative "../configuration"

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
    # Shorthands for WaHealth.config.credentials_resolver and health_sink (see Configuration).
    %i[credentials_resolver health_sink].each do |name|
      define_method(name) { config.public_send(name) }
      define_method(:"#{name}=") { |callable| config.public_send(:"#{name}=", callable) }
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
      # Shorthands for WaHealth.config.sweep_concurrency, sweep_default_retry_delay, sweep_max_retry_delay,
      # sweep_retry_jitter and sweep_max_rate_limit_retries (see Configuration::SWEEP_DEFAULTS).
      Configuration::SWEEP_DEFAULTS.each_key do |setting|
        name = setting.to_s.delete_prefix("sweep_")
        define_method(name) { WaHealth.config.public_send(setting) }
        define_method(:"#{name}=") { |value| WaHealth.config.public_send(:"#{setting}=", value) }
      end

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
    end

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
