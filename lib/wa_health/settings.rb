# frozen_string_literal: true

require_relative "configuration"

module WaHealth
  # WaHealth.config and every shorthand for one of its settings, all defined here (Configuration holds the
  # values). `require "wa_health"` loads this file, and so does `require "wa_health/sidekiq"` before the
  # gem, so each shorthand exists whatever else is loaded.
  module Settings
    def config
      @config ||= Configuration.new
    end

    def configure
      yield config
      config
    end

    # Restores the defaults (and the environment's overrides). Mostly for tests.
    def reset_config!
      @config = Configuration.new
    end

    # WaHealth.credentials_resolver, health_sink, event_handler and registration_sink, and their writers.
    Configuration::CALLBACKS.each do |name|
      define_method(name) { config.public_send(name) }
      define_method(:"#{name}=") { |callable| config.public_send(:"#{name}=", callable) }
    end

    # WaHealth::SweepJob.concurrency, default_retry_delay, max_retry_delay, retry_jitter and
    # max_rate_limit_retries, and their writers, for Configuration::SWEEP_DEFAULTS' sweep_* settings.
    # SweepJob extends it (it exists once Sidekiq is loaded).
    module Sweep
      Configuration::SWEEP_DEFAULTS.each_key do |setting|
        name = setting.to_s.delete_prefix("sweep_")
        define_method(name) { WaHealth.config.public_send(setting) }
        define_method(:"#{name}=") { |value| WaHealth.config.public_send(:"#{setting}=", value) }
      end
    end
  end
end
