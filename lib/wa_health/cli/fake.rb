# frozen_string_literal: true

require "ipaddr"
require "shellwords"
require_relative "../testing"

module WaHealth
  class CLI
    # `wa_health fake`: WaHealth::Testing::FakeGraph in the foreground, with the demo's numbers, until Ctrl-C.
    class Fake < Command
      BANNER = <<~TEXT
        Usage: wa_health fake [options]

        Runs the fake Graph API (WaHealth::Testing::FakeGraph) in the foreground with the demo's sample
        numbers, and prints its URL, its access token and a `wa_health check` command line to paste in
        another terminal. Ctrl-C stops it. It listens on a loopback address only.
        Exit codes: 0 stopped with Ctrl-C, 2 usage error or cannot listen.
      TEXT

      # The demo's numbers whose answers stay the same for as long as the fake runs (the others queue
      # one-off errors), with the demo's numbering: [scenario, number].
      NUMBERS = Demo::SCENARIOS.each_with_index.filter_map { |scenario, i| [scenario, i + 1] unless scenario.prepare }
                               .freeze

      def self.json?
        false
      end

      def run(argv)
        return @cli.say(help) if parse!(argv)
        raise UsageError, "unexpected argument" if argv.any?

        fake = start(host)
        numbers = NUMBERS.map { |scenario, number| [scenario, *Demo.add_number(fake, scenario, number)] }
        @cli.say(introduction(fake, numbers))
        sleep
      rescue Interrupt
        @cli.say("wa_health fake: stopped")
      ensure
        fake&.stop
      end

      def parser
        @parser ||= OptionParser.new do |opts|
          opts.banner = BANNER
          opts.separator("")
          opts.on("--port PORT", Integer, "port to listen on (default: a free one)") { |port| @options[:port] = port }
          opts.on("--host HOST", String, "loopback address to listen on (default 127.0.0.1; or ::1, localhost)") do |h|
            @options[:host] = h
          end
          opts.on("--latency-ms MS", Integer, "delay every answer by MS milliseconds (default 0)") do |ms|
            @options[:latency_ms] = ms
          end
          @cli.common_options(opts, @options, color: false, json: false, width: false)
        end
      end

      private

      def host
        host = @options.fetch(:host, "127.0.0.1")
        return "127.0.0.1" if host == "localhost"

        loopback = begin
          IPAddr.new(host).loopback?
        rescue IPAddr::Error
          false
        end
        raise UsageError, "--host must be a loopback address (127.0.0.1, ::1 or localhost)" unless loopback

        host
      end

      def start(host)
        port = @options.fetch(:port, 0)
        raise UsageError, "--port must be between 0 and 65535" unless (0..65_535).cover?(port)

        latency = @options.fetch(:latency_ms, 0)
        raise UsageError, "--latency-ms must not be negative" if latency.negative?

        Testing::FakeGraph.new(host: host, port: port, latency: latency / 1000.0).start
      rescue RuntimeError => e # FakeGraph cannot listen: the port is taken, say
        raise UsageError, "#{e.message.delete_prefix('FakeGraph ')} (another --port?)"
      end

      def introduction(fake, numbers)
        url = url(fake)
        text = Text.new(color: false)
        rows = numbers.map { |scenario, phone, waba| [phone, "WABA #{waba}", scenario.title] }
        _, phone, waba = numbers.first
        ["wa_health fake: a fake Graph API is listening; Ctrl-C stops it.", "",
         text.table(nil, [["URL", url], ["Access token", fake.access_token],
                          ["Latency", "#{@options.fetch(:latency_ms, 0)} ms"]]), "",
         "Phone numbers (the demo's):", text.table(nil, rows, indent: "  "), "",
         "Check one from another terminal:", "  #{check_command(fake, url, phone, waba)}"].join("\n")
      end

      # FakeGraph#url does not bracket an IPv6 address.
      def url(fake)
        fake.host.include?(":") ? "http://[#{fake.host}]:#{fake.port}" : fake.url
      end

      def check_command(fake, url, phone, waba)
        words = [program, "check", "--base-url", url, "--phone-number-id", phone, "--business-account-id", waba]
        "#{TOKEN_ENV}=#{Shellwords.escape(fake.access_token)} #{Shellwords.join(words)}"
      end

      # As the user typed it, so the line can be pasted; `wa_health` when run another way (ruby -e, say).
      def program
        File.basename(@cli.program.to_s).start_with?("wa_health") ? @cli.program : "wa_health"
      end
    end
  end
end
