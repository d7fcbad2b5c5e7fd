# frozen_string_literal: true

module WaHealth
  class CLI
    # `wa_health check`: one real number, token from WA_HEALTH_ACCESS_TOKEN.
    class Check < Command
      BANNER = <<~TEXT.freeze
        Usage: wa_health check --phone-number-id ID [options]

        Reads a phone number's health from the Graph API and prints the report and the registration
        decision. The access token is read from #{TOKEN_ENV}, never from the command line.
        Exit codes: 0 healthy, 1 needs attention, 2 error (with --json, the error is JSON on standard output),
        130 interrupted.
      TEXT

      def run(argv)
        return @cli.say(help) if parse!(argv)

        token = arguments!(argv)
        @cli.secret!(token)
        report = Report.new(fetch(token))
        print_report(report)
        report.needs_attention? ? ATTENTION : OK
      rescue ArgumentError => e # WaHealth.fetch's checks of the ids and options
        raise UsageError, e.message
      rescue Error => e
        print_error(e)
      end

      def parser
        @parser ||= OptionParser.new do |opts|
          opts.banner = BANNER
          opts.separator("")
          opts.on("--phone-number-id ID", String, "the phone number's Graph id (required)") do |id|
            @options[:phone_number_id] = id
          end
          opts.on("--business-account-id ID", String, "the WABA id (adds the account, the portfolio and",
                  "the WhatsApp Manager link)") { |id| @options[:business_account_id] = id }
          connection_options(opts)
          @cli.common_options(opts, @options)
        end
      end

      private

      def connection_options(opts)
        opts.on("--api-version VERSION", String, "Graph API version (default #{WaHealth.config.api_version})") do |v|
          @options[:api_version] = v
        end
        opts.on("--base-url URL", String, "Graph API base URL (default #{WaHealth.config.base_url};",
                "WA_HEALTH_GRAPH_URL sets the default)") do |url|
          @options[:base_url] = url
        end
        opts.on("--timeout SECONDS", Float, "request timeout (default #{WaHealth.config.timeout})") do |seconds|
          @options[:timeout] = seconds
        end
      end

      def arguments!(argv)
        raise UsageError, "unexpected argument (the token goes in #{TOKEN_ENV})" if argv.any?
        raise UsageError, "missing --phone-number-id" if Validate.blank?(@options[:phone_number_id])

        token = @cli.env(TOKEN_ENV)
        raise UsageError, "#{TOKEN_ENV} is not set" if Validate.blank?(token)

        token
      end

      def fetch(token)
        WaHealth.fetch(phone_number_id: @options[:phone_number_id], access_token: token,
                       business_account_id: @options[:business_account_id],
                       **@options.slice(:api_version, :base_url, :timeout))
      end

      def print_report(report)
        return @cli.say(@cli.text(@options).report(report)) unless @options[:json]

        @cli.say(JSON.pretty_generate(
                   "result" => report.needs_attention? ? "needs_attention" : "healthy",
                   "attention_reasons" => report.attention_reasons, "advice" => Advice.for_report(report),
                   "report" => report.as_json
                 ))
      end

      def print_error(error)
        if @options[:json]
          return @cli.fail_with_json({ "type" => Advice.error_type(error), **Advice.error_json(error) },
                                     advice: Advice.for_error(error))
        end

        @cli.fail_with("#{Advice.error_line(error).delete_suffix('.')}. #{Advice.for_error(error)}")
      end
    end
  end
end
