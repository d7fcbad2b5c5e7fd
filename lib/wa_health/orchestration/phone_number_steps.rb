# frozen_string_literal: true

module WaHealth
  # What WebhookSetup and WebhookTeardown share: several Graph calls for one phone number with one token
  # and one set of connection options, checked when the object is built, and log lines that name the number.
  module PhoneNumberSteps
    private

    # Checks the connection options now, so a bad one raises ArgumentError before the first request.
    def keep_credentials(access_token, options)
      WaHealth.config.graph_settings_for(options)
      @credentials = { access_token: access_token, **options }.freeze
    end

    # The token and connection options, for each call of the run.
    attr_reader :credentials

    def log(level, text)
      (@logger || WaHealth.config.logger)&.public_send(level, "[wa_health] phone_number_id=#{@phone_number_id} #{text}")
    end
  end
end
