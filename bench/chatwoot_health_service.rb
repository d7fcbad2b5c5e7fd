# frozen_string_literal: true

require "httparty"

module WaHealthBench
  # What Chatwoot does today (app/services/whatsapp/health_service.rb), re-implemented outside Rails
  # for the benchmark: the same request (HTTParty.get, the token and fields in the query string, a
  # new connection per call, as HTTParty does by default), the same checks and the same 11 fields
  # parsed from HTTParty's parsed_response. `Channel` stands in for Channel::Whatsapp.
  class ChatwootHealthService
    Channel = Struct.new(:provider_config)

    FIELDS = %w[
      quality_rating messaging_limit_tier code_verification_status account_mode id display_phone_number
      name_status verified_name webhook_configuration throughput last_onboarded_time platform_type certificate
    ].join(",")

    def initialize(channel, base_uri:, api_version: "v24.0")
      @channel = channel
      @access_token = channel.provider_config["api_key"]
      @base_uri = base_uri
      @api_version = api_version
    end

    def fetch_health_status
      validate_channel!
      fetch_phone_health_data
    end

    private

    def validate_channel!
      raise ArgumentError, "Channel is required" if @channel.nil?
      raise ArgumentError, "API key is missing" if blank?(@access_token)
      raise ArgumentError, "Phone number ID is missing" if blank?(@channel.provider_config["phone_number_id"])
    end

    def blank?(value)
      value.nil? || value.to_s.strip.empty?
    end

    def fetch_phone_health_data
      phone_number_id = @channel.provider_config["phone_number_id"]
      response = HTTParty.get("#{@base_uri}/#{@api_version}/#{phone_number_id}",
                              query: { fields: FIELDS, access_token: @access_token })
      handle_response(response)
    end

    def handle_response(response)
      raise "WhatsApp API request failed: #{response.code} - #{response.body}" unless response.success?

      format_health_response(response.parsed_response)
    end

    def format_health_response(response)
      {
        display_phone_number: response["display_phone_number"], verified_name: response["verified_name"],
        name_status: response["name_status"], quality_rating: response["quality_rating"],
        messaging_limit_tier: response["messaging_limit_tier"], account_mode: response["account_mode"],
        code_verification_status: response["code_verification_status"], throughput: response["throughput"],
        last_onboarded_time: response["last_onboarded_time"], platform_type: response["platform_type"],
        business_id: @channel.provider_config["business_account_id"]
      }
    end
  end
end
