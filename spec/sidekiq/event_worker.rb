# frozen_string_literal: true

# Boot file of the sidekiq process spec/sidekiq/event_loop.rb starts (`sidekiq -r <this file>`): the app's
# side of WaHealth::EventJob. Settings come through the environment: REDIS_URL, WA_HEALTH_GRAPH_URL
# (FakeGraph, read by WaHealth::Configuration), and WA_HEALTH_EVENT_TOKEN, WA_HEALTH_EVENT_APP_SECRET and
# WA_HEALTH_EVENT_PIN, standing in for the database the resolver reads in an app (never Redis).
$LOAD_PATH.unshift(File.expand_path("../../lib", __dir__))
require "json"
require "sidekiq"
require "wa_health"
require "wa_health/sidekiq"
require_relative "event_fleet"

# Sidekiq 6.4 calls sadd the way redis-rb 4.8 warns about on every heartbeat (Sidekiq 7 has redis-client).
Redis.silence_deprecations = true if defined?(Redis)

WaHealth.configure { |config| config.app_secret = ENV.fetch("WA_HEALTH_EVENT_APP_SECRET") }

WaHealth.credentials_resolver = lambda do |channel_id|
  { phone_number_id: EventFleet.phone_number_id(channel_id), access_token: ENV.fetch("WA_HEALTH_EVENT_TOKEN"),
    verification_pin: ENV.fetch("WA_HEALTH_EVENT_PIN") }
end

def record_outcome(channel_id, facts)
  facts = facts.merge("pid" => Process.pid)
  Sidekiq.redis { |redis| redis.hset(EventFleet.outcome_key(channel_id), *facts.flatten) }
end

# The clock is CLOCK_MONOTONIC, the same in every process of the machine, so the loop can subtract the
# time it sent the webhook from these.
def monotonic
  Process.clock_gettime(Process::CLOCK_MONOTONIC).to_s
end

# Meta accepted the PIN (its value is never recorded), or the attempt failed.
WaHealth.registration_sink = lambda do |channel_id, pin_or_error|
  outcome = pin_or_error.is_a?(String) ? "accepted" : "error #{pin_or_error.class.name}"
  record_outcome(channel_id, "registration" => outcome, "registered_at" => monotonic)
end

WaHealth.health_sink = lambda do |channel_id, result|
  status = result.is_a?(Hash) ? result[:status].to_s : "error #{result.class.name}"
  record_outcome(channel_id, "status" => status, "sunk_at" => monotonic)
end

# Every job as it starts: its arguments, so the spec sees what went through Redis.
class RecordEventRuns
  def call(_job, payload, _queue)
    Sidekiq.redis { |redis| redis.rpush(EventFleet::RUNS_KEY, JSON.generate(payload["args"])) }
    yield
  end
end

Sidekiq.configure_server do |config|
  config.redis = { url: ENV.fetch("REDIS_URL") }
  config.server_middleware { |chain| chain.add(RecordEventRuns) }
end
