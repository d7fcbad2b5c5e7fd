# frozen_string_literal: true

require "sidekiq"

module WaHealth
  # What WaHealth::SweepJob and WaHealth::EventJob share: a Sidekiq job whose arguments are channel ids,
  # never credentials (Redis stores arguments in plain text); WaHealth.credentials_resolver turns an id into
  # WaHealth.fetch's arguments inside the worker, and WaHealth.health_sink gets each result.
  module ChannelJob
    # Channel ids: Integers, or Strings of letters, digits, "_" and "-" up to 64 characters. Anything
    # else is refused, so credentials cannot end up in a job by mistake.
    CHANNEL_ID = /\A[A-Za-z0-9_-]{1,64}\z/

    def self.included(job)
      job.include(defined?(::Sidekiq::Job) ? ::Sidekiq::Job : ::Sidekiq::Worker)
      # A failed job (the resolver or a sink raised) is retried a few times; the next sweep or event reads
      # the channel again anyway.
      job.sidekiq_options retry: 3
    end

    # The ids, when every one is a channel id; else ArgumentError, which never quotes the value.
    def self.validate_ids(ids)
      ids.each do |id|
        next if id.is_a?(Integer) || (id.is_a?(String) && CHANNEL_ID.match?(id))

        raise ArgumentError, "channel ids must be Integers or id Strings (letters, digits, _ and -, " \
                             "at most 64); a #{id.class} was given"
      end
    end

    private

    # The channel's credentials (what the resolver answers), or nil, logged, for a channel it has none for.
    def credentials_for(channel_id, resolver)
      credentials = resolver.call(channel_id)
      log(:info, "channel #{channel_id} skipped (no credentials)") if credentials.nil?
      credentials
    end

    # A line of Sidekiq's log, after the job's LOG_PREFIX ("wa_health sweep:", "wa_health event:").
    def log(level, text)
      logger.public_send(level, "#{self.class::LOG_PREFIX} #{text}")
    end
  end
end
