# frozen_string_literal: true

module WaHealth
  class CLI
    # `wa_health decide [FILE|-]`: the registration decision for a health JSON.
    class Decide < Command
      BANNER = <<~TEXT
        Usage: wa_health decide [FILE|-] [options]

        Reads a health JSON object (WaHealth.fetch's Hash, a Report#as_json payload or the output of
        `wa_health check --json`) from FILE, or from standard input when FILE is - or omitted, and
        prints WaHealth.registration_decision for it.
        Exit codes: 0 decided (whatever the decision), 2 unreadable input, 130 interrupted.
      TEXT

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
        data
      rescue JSON::ParserError
        raise UsageError, "the input is not valid JSON"
      end

      def print_decision(decision)
        return @cli.say(JSON.pretty_generate(Report.json_safe(decision.to_h))) if @options[:json]

        @cli.say(["register: #{decision.register? ? 'yes' : 'no'}", "reason: #{decision.reason}",
                  "display name pending: #{decision.display_name_pending? ? 'yes' : 'no'}",
                  "message: #{decision.message}"].join("\n"))
      end
    end
  end
end
