# frozen_string_literal: true

# The Rails integration (WaHealth::Railtie and WaHealth::HealthEndpoint), loaded by `require "wa_health"`
# when Rails is loaded first (as in any Rails app) or by `require "wa_health/rails"`.
require_relative "rails/railtie"
require_relative "rails/health_endpoint"
# Required on its own, this file loads the gem after defining the Railtie (wa_health.rb then skips it).
require_relative "../wa_health" unless defined?(WaHealth::Registration)
