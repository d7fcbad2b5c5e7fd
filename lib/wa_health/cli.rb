# frozen_string_literal: true

require "json"
require "optparse"
require_relative "../wa_health"

module WaHealth
  # `wa_health demo | check | decide`: the command behind bin/wa_health and the gem's exe/wa_health.
  #
  #   exit WaHealth::CLI.new.run(ARGV)
  #
  # Exit codes: 0 done (check: healthy), 1 check: needs attention, 2 usage error or failure.
  # The access token is only ever read from WA_HEALTH_ACCESS_TOKEN (argv is visible to other users)
  # and is removed from everything the command prints.
  class CLI
    OK = 0
    ATTENTION = 1
    FAILURE = 2
    TOKEN_ENV = "WA_HEALTH_ACCESS_TOKEN"
    COMMANDS = { "demo" => "walk sample numbers through the gem against a built-in fake Graph API",
                 "check" => "read a real number's health (token from #{TOKEN_ENV})",
                 "decide" => "print the registration decision for a health JSON" }.freeze
    # What the CLI may repeat back of a command or option name the user typed; anything else (a token
    # pasted in the wrong place, say) is not echoed.
    PLAIN_WORD = /\A-{0,2}[a-z][a-z0-9_-]{0,30}\z/

    # A bad command line: printed as one line, exit 2.
    class UsageError < StandardError; end

    # A subcommand: the CLI it reports through, and the options its parser fills in.
    class Command
      def initialize(cli)
        @cli = cli
        @options = {}
      end
    end

    def initialize(out: $stdout, err: $stderr, stdin: $stdin, env: ENV)
      @out = out
      @err = err
      @stdin = stdin
      @env = env
      @secrets = []
    end

    # Runs one command line; returns the exit status.
    def run(argv)
      argv = argv.dup
      command = argv.shift
      subcommand = { "demo" => Demo, "check" => Check, "decide" => Decide }[command]
      return subcommand.new(self).run(argv) if subcommand

      case command
      when "-h", "--help", "help" then say(help)
      when "-v", "--version" then say("wa_health #{VERSION}")
      when nil then raise UsageError, "missing command (#{COMMANDS.keys.join(', ')}); see `wa_health --help`"
      else raise UsageError, "unknown command #{echo(command)}; see `wa_health --help`"
      end
    rescue UsageError => e
      fail_with(e.message)
    end

    # -- used by the subcommands

    def say(text = "")
      @out.puts(redact(text))
      OK
    end

    # Prints one line to standard error; returns the failure exit status.
    def fail_with(text)
      text = text.lines.first.to_s.chomp
      @err.puts(redact(text.start_with?("wa_health") ? text : "wa_health: #{text}"))
      FAILURE
    end

    # choice: true (--color), false (--no-color) or nil: colour only on a terminal, and not with NO_COLOR.
    def color?(choice)
      return choice unless choice.nil?

      @out.respond_to?(:tty?) && @out.tty? && !@env.key?("NO_COLOR") && @env["TERM"] != "dumb"
    end

    # Exact option names only (no abbreviations). OptionParser's errors become one-line UsageErrors
    # that never quote an option's value (`--access-token=...` must not echo a token).
    def parse(parser, argv, command)
      parser.require_exact = true
      parser.parse!(argv)
    rescue OptionParser::ParseError => e
      name = e.args.first.to_s
      name = name.start_with?("--") ? name.split("=", 2).first : name[0, 2]
      hint = name.match?(/token/i) ? " (the token is read from #{TOKEN_ENV} only)" : ""
      raise UsageError, "wa_health #{command}: #{e.reason}: #{echo(name)}#{hint}; see `wa_health #{command} --help`"
    end

    # --json, --color / --no-color (where there is colour) and --help.
    def common_options(opts, options, color: true)
      opts.separator("")
      opts.on("--json", "print JSON instead of text") { options[:json] = true }
      if color
        # Two switches, not "--[no-]color": OptionParser's require_exact rejects the latter's spelled-out forms.
        opts.on("--color", "colour the badges (default: only on a terminal)") { options[:color] = true }
        opts.on("--no-color", "never colour") { options[:color] = false }
      end
      opts.on("-h", "--help", "show this help") { options[:help] = true }
    end

    attr_reader :stdin

    def env(name)
      @env[name]
    end

    # Text that must never be printed (the access token): every output line has it replaced.
    def secret!(text)
      @secrets << text unless Validate.blank?(text)
    end

    private

    def help
      commands = COMMANDS.map { |name, text| format("  %-8<name>s %<text>s", name: name, text: text) }
      ["Usage: wa_health COMMAND [options]", "", "Commands:", *commands, "",
       "`wa_health COMMAND --help` shows a command's options.",
       "Exit codes: 0 ok, 1 check found something that needs attention, 2 usage error or failure."].join("\n")
    end

    def echo(word)
      PLAIN_WORD.match?(word.to_s) ? word : "(not shown)"
    end

    def redact(text)
      @secrets.reduce(text.to_s) { |result, secret| result.gsub(secret, "[REDACTED]") }
    end
  end
end

require_relative "cli/text"
require_relative "cli/check"
require_relative "cli/decide"
require_relative "cli/demo"
