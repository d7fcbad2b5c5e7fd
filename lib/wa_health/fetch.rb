# frozen_string_literal: true

module WaHealth
  # WaHealth.fetch: one phone number's health.
  module Fetch
    # The keyword arguments of WaHealth.fetch that say which number to read with which token (the others
    # are business_profile and the connection options).
    REQUEST_KEYS = %i[phone_number_id access_token business_account_id].freeze

    # Reads a phone number's health from the Graph API. Returns a Hash with Symbol keys; see docs/reference.md.
    # The GVL is released while waiting for Meta, so other Ruby threads keep running.
    # With business_account_id the WABA is read too, and with business_profile: true the business
    # profile, both at the same time as the phone number; their failures never fail the call (they land
    # in business_account_error / business_profile_error). Options: any of
    # Configuration::CONNECTION_OPTIONS, for this call only.
    def fetch(phone_number_id: nil, access_token: nil, business_account_id: nil, business_profile: false, **options)
      phone, token, waba = Fetch.checked(phone_number_id, access_token, business_account_id)
      raise ArgumentError, "business_profile must be true or false" unless [true, false].include?(business_profile)

      settings = config.graph_settings_for(options)
      instrument("fetch", phone_number_id: phone, business_account_id: waba) do
        Native.fetch(settings, phone, token, waba, business_profile)
      end
    end

    # [phone_number_id, access_token, business_account_id] as the native calls take them; ArgumentError
    # names the first bad one (the token is checked first).
    def self.checked(phone_number_id, access_token, business_account_id)
      token = Validate.secret(access_token, :access_token)
      phone = Validate.graph_id(phone_number_id, :phone_number_id)
      waba = Validate.optional_graph_id(business_account_id, :business_account_id)
      [phone, token, waba]
    end

    # WaHealth.fetch's keyword arguments out of the credentials an app keeps for a channel (what the
    # credentials_resolver answers): a Hash with Symbol or String keys, of which only REQUEST_KEYS are
    # kept (a PIN beside them is left out), checked as WaHealth.fetch checks them.
    def self.arguments(credentials)
      raise ArgumentError, "credentials must be a Hash" unless credentials.is_a?(Hash)

      arguments = credentials.transform_keys(&:to_sym).slice(*REQUEST_KEYS)
      checked(*arguments.values_at(*REQUEST_KEYS))
      arguments
    end
  end
end
