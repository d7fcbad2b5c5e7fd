# frozen_string_literal: true

require_relative "../settings"
require_relative "channel_job"

module WaHealth
  # Reads the health of a batch of channels with WaHealth.fetch_many and hands each result to
  # WaHealth.health_sink. Channels Meta rate-limits are re-enqueued as a new job after the error's
  # retry_after (see retry_delay); after max_rate_limit_retries such jobs their RateLimitError goes to the
  # sink like any other error.
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
  #
  # Its settings (concurrency, default_retry_delay, ...) are Settings::Sweep's shorthands.
  class SweepJob
    include ChannelJob
    extend Settings::Sweep

    LOG_PREFIX = "wa_health sweep:"
    # Sidekiq::Client.push_bulk calls hold at most this many jobs.
    PUSH_SLICE = 1_000

    class << self
      # One job per batch_size channel ids; returns the number of jobs enqueued.
      def enqueue_all(channel_ids, batch_size: 100)
        unless batch_size.is_a?(Integer) && batch_size.positive?
          raise ArgumentError, "batch_size must be a positive Integer"
        end

        batches = ChannelJob.validate_ids(channel_ids.to_a).each_slice(batch_size).map { |batch| [batch] }
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
    end

    # channel_ids: one batch; attempt: how many times these ids were re-enqueued for rate limits.
    def perform(channel_ids, attempt = 0)
      resolver = WaHealth.config.required(:credentials_resolver)
      sink = WaHealth.config.required(:health_sink)

      ids, requests = resolve(ChannelJob.validate_ids(Array(channel_ids)), resolver, sink)
      results = requests.empty? ? [] : WaHealth.fetch_many(requests, concurrency: self.class.concurrency)
      limited = deliver(ids.zip(results), attempt, sink)
      retry_later(limited, attempt) if limited.any?
    end

    private

    # [ids, fetch arguments] of the channels to read; channels whose credentials are incomplete go to
    # the sink with the ArgumentError right away.
    def resolve(channel_ids, resolver, sink)
      resolved = channel_ids.filter_map do |id|
        credentials = credentials_for(id, resolver) or next
        begin
          [id, Fetch.arguments(credentials)]
        rescue ArgumentError => e
          sink.call(id, e)
          nil
        end
      end
      [resolved.map(&:first), resolved.map(&:last)]
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
      log(:info, "#{limited.size} channel(s) rate limited; retrying in #{delay.round(1)}s (attempt #{attempt + 1})")
    end
  end
end
