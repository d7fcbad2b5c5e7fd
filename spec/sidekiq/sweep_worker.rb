# frozen_string_literal: true

# Boot file of the sidekiq processes spec/sidekiq/sweep_spec.rb starts (`sidekiq -r <this file>`): the
# app's side of a sweep. Settings come from the spec through the environment: REDIS_URL,
# WA_HEALTH_GRAPH_URL (FakeGraph, read by WaHealth::Configuration), WA_HEALTH_SWEEP_TOKEN and
# WA_HEALTH_SWEEP_APP_SECRET (standing in for the database the resolver reads in an app; the
# environment of the worker, never Redis), WA_HEALTH_SWEEP_MAX_RETRY_DELAY.
$LOAD_PATH.unshift(File.expand_path("../../lib", __dir__))
require "json"
require "sidekiq"
require "wa_health"
require "wa_health/sidekiq"
require_relative "sweep_fleet"

# Sidekiq 6.4 calls sadd the way redis-rb 4.8 warns about on every push and heartbeat (Sidekiq 7 has
# redis-client instead).
Redis.silence_deprecations = true if defined?(Redis)

WaHealth.configure { |config| config.app_secret = ENV.fetch("WA_HEALTH_SWEEP_APP_SECRET") }
WaHealth::SweepJob.max_retry_delay = Float(ENV.fetch("WA_HEALTH_SWEEP_MAX_RETRY_DELAY"))

WaHealth.credentials_resolver = lambda do |channel_id|
  { phone_number_id: SweepFleet.phone_number_id(channel_id), access_token: ENV.fetch("WA_HEALTH_SWEEP_TOKEN") }
end

# Written where both worker processes and the spec can read it: a Redis hash per fact, per channel.
WaHealth.health_sink = lambda do |channel_id, result|
  outcome = if result.is_a?(Hash)
              "ok #{result[:id]} #{result[:quality_rating]}"
            else
              "error #{result.class.name} #{result.respond_to?(:code) ? result.code : '-'}"
            end
  Sidekiq.redis do |redis|
    redis.multi do |tx|
      tx.hincrby("sweep:sink:count", channel_id.to_s, 1)
      tx.hset("sweep:sink:outcome", channel_id.to_s, outcome)
      tx.hset("sweep:sink:pid", channel_id.to_s, Process.pid)
    end
  end
end

# Every job run as it starts: its arguments, the time and the process, for the spec's retry checks.
class RecordSweepRuns
  def call(_job, payload, _queue)
    run = { "args" => payload["args"], "started_at" => Time.now.to_f, "pid" => Process.pid }
    Sidekiq.redis { |redis| redis.rpush("sweep:runs", JSON.generate(run)) }
    yield
  end
end

# The app's instrumenter (ActiveSupport::Notifications in a Rails app): each event's name and payload
# into Redis, so the spec sees them and its scan for secrets covers them.
class RecordSweepEvents
  def instrument(name, payload)
    yield payload
  ensure
    Sidekiq.redis { |redis| redis.rpush("sweep:events", JSON.generate("name" => name, "payload" => payload)) }
  end
end
WaHealth.config.instrumenter = RecordSweepEvents.new

Sidekiq.configure_server do |config|
  config.redis = { url: ENV.fetch("REDIS_URL") }
  config.server_middleware { |chain| chain.add(RecordSweepRuns) }
  # Look for due scheduled jobs (the rate-limit retries) about every second instead of every 5-15 s.
  # (Sidekiq 6 yields the Sidekiq module, whose settings are its options; Sidekiq 7 a Sidekiq::Config.)
  (config.respond_to?(:options) ? config.options : config)[:poll_interval_average] = 1
end
