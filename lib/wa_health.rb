# frozen_string_literal: true

require_relative "wa_health/version"
require_relative "wa_health/errors"

# The native extension: lib/wa_health/<ruby major.minor>/wa_health.so in a precompiled gem,
# lib/wa_health/wa_health.so when built from source.
begin
  require_relative "wa_health/#{RUBY_VERSION[/\d+\.\d+/]}/wa_health"
rescue LoadError
  require_relative "wa_health/wa_health"
end

require_relative "wa_health/validate"
require_relative "wa_health/configuration"

# WhatsApp Business phone number health and registration, for Chatwoot.
module WaHealth
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
    # rubocop:disable Metrics/ParameterLists -- the connection options mirror Configuration
    def fetch(phone_number_id: nil, access_token: nil, business_account_id: nil,
              api_version: nil, base_url: nil, timeout: nil, open_timeout: nil, app_secret: nil)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      waba = Validate.optional_graph_id(business_account_id, :business_account_id)
      connection = config.connection_for(api_version:, base_url:, timeout:,
                                         open_timeout:, app_secret:)
      Native.fetch(connection, phone, token, waba)
    end
    # rubocop:enable Metrics/ParameterLists
  end
end
