# frozen_string_literal: true

module WaHealth
  class CLI
    # `wa_health decide [FILE|-]`: the registration decision for a health JSON.
    class Decide < Command
      BANNER = <<~TEXT
        Usage: wa_health decide [FILE|-] [options]

        Reads a health JSON object (WaHealth.fetch's Hash, a Report#as_json payload or the output of
        `wa_health check --json`) from FILE, or from standard input when FILE is - or omitted, and
        prints WaHealth.registration_decision for it. An error (what `check --json` prints when the
        check failed) or an object without any health field is refused.
        Exit codes: 0 decided (whatever the decision), 2 unreadable or not health, 130 interrupted.
      TEXT

      # The phone number fields of WaHealth.fetch's Hash (its ids and business account fields aside).
      # An object with none of them set is not health: deciding on it would answer "register" on nothing.
      HEALTH_FIELDS = %w[display_phone_number verified_name name_status new_name_status quality_rating
                         messaging_limit_tier account_mode code_verification_status throughput throughput_level
                         platform_type status last_onboarded_time is_on_biz_app webhook_configuration
                         health_status can_send_message].freeze

      def self.health?(data)
        HEALTH_FIELDS.any? { |field| !Report.lookup(data, field).nil? }
      end

      def run(argv)
        return @cli.say(help) if parse!(argv)

        print_decision(WaHealth.registration_decision(health(argv)))
      end

      def parser
        @parser ||= OptionParser.new do |opts|
          opts.banner = BANNER
          @cli.common_options(opts, @options, color: false)
        end
      end

      private

      def health(argv)
        raise UsageError, "expected at most one FILE" if argv.size > 1

        source = argv.first || "-"
        parse(source == "-" ? read_stdin : File.read(source))
      rescue SystemCallError => e
        raise UsageError, "cannot read #{source}: #{e.message.sub(/ @ .*/, '')}"
      end

      def read_stdin
        stdin = @cli.stdin
        terminal = stdin.respond_to?(:tty?) && stdin.tty?
        raise UsageError, "missing FILE, or the health JSON on standard input" if terminal

        stdin.read
      end

      def parse(text)
        data = JSON.parse(text)
        raise UsageError, "the input must be a JSON object" unless data.is_a?(Hash)

        data = data["report"] if data["report"].is_a?(Hash)
        refuse_error(data)
        raise UsageError, "the input has none of the health fields (#{HEALTH_FIELDS.first(4).join(', ')}, ...)" \
          unless self.class.health?(data)

        data
      rescue JSON::ParserError
        raise UsageError, "the input is not valid JSON"
      end

      def refuse_error(data)
        error = data["error"]
        return unless data["result"] == "error" || error.is_a?(Hash)

        type = error.is_a?(Hash) && error["type"].is_a?(String) ? " (#{@cli.echo(error['type'])})" : ""
        raise UsageError, "the input is an error#{type}, not health: the check that made it failed"
      end

      # Every key of Decision#to_h, so a reason or flag added to the decision shows up here as it is.
      def print_decision(decision)
        facts = Report.json_safe(decision.to_h)
        return @cli.say(JSON.pretty_generate(facts)) if @options[:json]

        text = @cli.text(@options)
        @cli.say(facts.flat_map { |key, value| text.wrap(plain(value), first: "#{key.tr('_', ' ')}: ", indent: "  ") }
                      .join("\n"))
      end

      def plain(value)
        case value
        when true then "yes"
        when false then "no"
        when nil, [] then "none"
        when Array then value.join(", ")
        else value.to_s
        end
      end
    end
  end
end
