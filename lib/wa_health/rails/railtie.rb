# frozen_string_literal: true

require "rails/railtie"
require "active_support/notifications"
require "active_support/ordered_options"

module WaHealth
  # Rails integration: config.wa_health.<setting> for every setting of WaHealth::Configuration
  # (Configuration::SETTINGS: the connection options, logger, instrumenter, the sweep's and the
  # webhooks'), mapped onto WaHealth.config at boot.
  #
  #   # config/application.rb (or an environment file)
  #   config.wa_health.api_version = "v24.0"
  #   config.wa_health.timeout = 10
  #   config.wa_health.app_secret = ENV["WHATSAPP_APP_SECRET"]
  #
  # Unset settings keep WaHealth's defaults, except two: logger defaults to Rails.logger, and instrumenter
  # to ActiveSupport::Notifications (events: Instrumentation::EVENTS). A connection option set to nil also
  # keeps its default. The Railtie also adds the gem's secret parameter names to config.filter_parameters,
  # and loads wa_health/sidekiq when Sidekiq is loaded.
  class Railtie < ::Rails::Railtie
    # Names that carry a Meta token, the app secret or a registration PIN in Chatwoot: request parameters,
    # and (through ActiveRecord's filter_attributes) model attributes in #inspect and SQL logs. Chatwoot
    # keeps the token inside Channel::Whatsapp#provider_config, so that whole attribute is filtered.
    # verify_token also covers Meta's hub.verify_token query parameter (the request log's path is filtered too).
    FILTER_PARAMETERS = %i[api_key access_token app_secret verify_token verification_pin provider_config].freeze
    SECRET_OPTIONS = %i[app_secret webhook_verify_token].freeze
    # What an unset setting becomes in a Rails app.
    RAILS_DEFAULTS = { logger: -> { ::Rails.logger }, instrumenter: -> { ActiveSupport::Notifications } }.freeze

    # config.wa_health: ActiveSupport::OrderedOptions whose inspect hides the app secret and the verify token.
    class Options < ActiveSupport::OrderedOptions
      def inspect
        shown = to_h { |key, value| [key, SECRET_OPTIONS.include?(key) && value ? "[REDACTED]" : value] }
        "#<#{self.class.name} #{shown.inspect}>"
      end
      alias to_s inspect
    end

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
        Configuration::SETTINGS.each do |name|
          next unless options.key?(name) || RAILS_DEFAULTS.key?(name)

          value = options.key?(name) ? options[name] : RAILS_DEFAULTS.fetch(name).call
          next if value.nil? && Configuration::CONNECTION_OPTIONS.include?(name)

          config.public_send(:"#{name}=", value)
        end
      end
    end
  end
end
