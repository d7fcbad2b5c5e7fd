# frozen_string_literal: true

require "rails/railtie"
require "active_support/notifications"
require "active_support/ordered_options"

module WaHealth
  # Rails integration, loaded by `require "wa_health"` when Rails is loaded first (as in any Rails app)
  # or by `require "wa_health/rails"`:
  #
  #   # config/application.rb (or an environment file)
  #   config.wa_health.api_version = "v24.0"
  #   config.wa_health.timeout = 10
  #   config.wa_health.app_secret = ENV["WHATSAPP_APP_SECRET"]
  #
  # Settings: every Configuration::CONNECTION_OPTIONS (api_version, base_url, timeout, open_timeout,
  # app_secret), plus logger (default Rails.logger) and instrumenter (default
  # ActiveSupport::Notifications: events fetch.wa_health, register.wa_health, deregister.wa_health,
  # subscribe_webhook.wa_health, fetch_many.wa_health), and the sweep's settings (credentials_resolver,
  # health_sink, Configuration::SWEEP_DEFAULTS' keys), and Meta's webhooks' (webhook_verify_token,
  # event_handler, registration_sink). Unset ones keep WaHealth's defaults. The Railtie
  # also adds the gem's secret parameter names to config.filter_parameters, and loads
  # wa_health/sidekiq when Sidekiq is loaded.
  class Railtie < ::Rails::Railtie
    # Names that carry a Meta token, the app secret or a registration PIN in Chatwoot: request parameters,
    # and (through ActiveRecord's filter_attributes) model attributes in #inspect and SQL logs. Chatwoot
    # keeps the token inside Channel::Whatsapp#provider_config, so that whole attribute is filtered.
    # verify_token also covers Meta's hub.verify_token query parameter (the request log's path is filtered too).
    FILTER_PARAMETERS = %i[api_key access_token app_secret verify_token verification_pin provider_config].freeze
    SECRET_OPTIONS = %i[app_secret webhook_verify_token].freeze

    # config.wa_health: ActiveSupport::OrderedOptions whose inspect hides the app secret.
    class Options < ActiveSupport::OrderedOptions
      def inspect
        shown = to_h { |key, value| [key, SECRET_OPTIONS.include?(key) && value ? "[REDACTED]" : value] }
        "#<#{self.class.name} #{shown.inspect}>"
      end
      alias to_s inspect
    end

    # Settings mapped only when set (nil included): the sweep's callables and the webhooks'.
    WEBHOOK_OPTIONS = %i[credentials_resolver health_sink webhook_verify_token event_handler registration_sink].freeze

    config.wa_health = Options.new

    initializer "wa_health.filter_parameters", before: "active_record.set_filter_attributes" do |app|
      app.config.filter_parameters |= FILTER_PARAMETERS
    end

    initializer "wa_health.configure" do |app|
      WaHealth::Railtie.apply(app.config.wa_health)
    end

    initializer "wa_health.sidekiq" do
      require_relative "../sidekiq" if defined?(::Sidekiq)
    end

    # Maps config.wa_health onto WaHealth.config. Runs at boot; call it again after
    # WaHealth.reset_config! (e.g. in a test suite) to get the app's settings back.
    def self.apply(options)
      WaHealth.configure do |config|
        Configuration::CONNECTION_OPTIONS.each do |name|
          value = options[name]
          config.public_send(:"#{name}=", value) unless value.nil?
        end
        config.logger = options.key?(:logger) ? options[:logger] : ::Rails.logger
        config.instrumenter = options.key?(:instrumenter) ? options[:instrumenter] : ActiveSupport::Notifications
        [*Configuration::SWEEP_DEFAULTS.keys, *WEBHOOK_OPTIONS].each do |name|
          config.public_send(:"#{name}=", options[name]) if options.key?(name)
        end
      end
    end
  end
end
