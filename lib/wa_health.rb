# frozen_string_literal: true

require_relative "wa_health/version"
require_relative "wa_health/errors"
require_relative "wa_health/redaction"

require_relative "wa_health/extension"

WaHealth::Extension.load("wa_health")

require_relative "wa_health/validate"
require_relative "wa_health/configuration"
require_relative "wa_health/instrumentation"
require_relative "wa_health/registration"
require_relative "wa_health/fetch_many"
require_relative "wa_health/webhook"
require_relative "wa_health/rack/webhook_endpoint"

# WhatsApp Business phone number health and registration, for Chatwoot.
module WaHealth
  extend Instrumentation
  extend Registration
  extend Events

  class << self
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

    # Reads a phone number's health from the Graph API. Returns a Hash with Symbol keys; see README.
    # The GVL is released while waiting for Meta, so other Ruby threads keep running.
    # With business_account_id the WABA is read too, and with business_profile: true the business
    # profile, both at the same time as the phone number; their failures never fail the call (they land
    # in business_account_error / business_profile_error). Options: any of
    # Configuration::CONNECTION_OPTIONS, for this call only.
    def fetch(phone_number_id: nil, access_token: nil, business_account_id: nil, business_profile: false, **options)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      waba = Validate.optional_graph_id(business_account_id, :business_account_id)
      raise ArgumentError, "business_profile must be true or false" unless [true, false].include?(business_profile)

      settings = graph_settings_for(options)
      instrument("fetch", phone_number_id: phone, business_account_id: waba) do
        Native.fetch(settings, phone, token, waba, business_profile)
      end
    end
  end
end

require_relative "wa_health/orchestration/registration_ledger"
require_relative "wa_health/orchestration/webhook_setup"
require_relative "wa_health/orchestration/webhook_teardown"
require_relative "wa_health/orchestration/report"

# The Rails and Sidekiq integrations load when those are already loaded (as in any Rails app);
# otherwise `require "wa_health/rails"` or `require "wa_health/sidekiq"` (the Railtie also loads the
# Sidekiq one at boot, for a Sidekiq loaded after wa_health).
require_relative "wa_health/rails" if defined?(Rails::Railtie) && !defined?(WaHealth::Railtie)
require_relative "wa_health/sidekiq" if defined?(Sidekiq) && !defined?(WaHealth::SweepJob)
