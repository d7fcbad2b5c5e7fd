# frozen_string_literal: true

# The Sidekiq integration (WaHealth::SweepJob and WaHealth::EventJob), loaded by `require "wa_health"` when
# Sidekiq is already loaded, by the Railtie at boot when Sidekiq is loaded, or by `require "wa_health/sidekiq"`.
require_relative "sidekiq/sweep_job"
require_relative "sidekiq/event_job"
# Required on its own, this file loads the gem after defining the jobs (wa_health.rb then skips it).
require_relative "../wa_health" unless defined?(WaHealth::Registration)
