# frozen_string_literal: true

require "json"
require "optparse"
require_relative "../wa_health"

module WaHealth
  # `wa_health demo | check | decide | fake`: the command behind bin/wa_health and the gem's exe/wa_health.
  #
  #   exit WaHealth::CLI.new.run(ARGV)
  #
  # Exit codes: 0 done (check: healthy), 1 check: needs attention, 2 usage error or failure,
  # 130 interrupted (Ctrl-C). The access token is only ever read from WA_HEALTH_ACCESS_TOKEN (argv is
  # visible to other users) and is removed from everything the command prints.
  class CLI
    OK = 0
    ATTENTION = 1
    FAILURE = 2
    INTERRUPTED = 130
    TOKEN_ENV = "WA_HEALTH_ACCESS_TOKEN"
    # The columns text is laid out for where nothing says how wide the terminal is (a pipe, a file, no
    # COLUMNS): the width terminals open with, and what `man` lays out for without a terminal.
    DEFAULT_WIDTH = 80
    COMMANDS = { "demo" => "walk sample numbers through the gem against a built-in fake Graph API",
                 "check" => "read a real number's health (token from #{TOKEN_ENV})",
                 "decide" => "print the registration decision for a health JSON",
                 "fake" => "run the fake Graph API with sample numbers, to try `check` on (Ctrl-C stops it)" }.freeze
    # What the CLI may repeat back of a command or option name the user typed; anything else (a token
    # pasted in the wrong place, say) is not echoed.
    PLAIN_WORD = /\A-{0,2}[a-z][a-z0-9_-]{0,30}\z/

    # A bad command line. The message is one line, without the command's name or the pointer to its
    # help: the CLI adds both.
    class UsageError < StandardError; end

    # OptionParser that takes exact option names only (`--phone` is not `--phone-number-id`), and only
    # the options the command defines. Not OptionParser's require_exact: in the optparse of Ruby 3.1 it
    # refuses `--name=value`, and it crashes on the built-in --version and --*-completion-* options.
    class OptionParser < ::OptionParser
      private

      def complete(typ, opt, *)
        return super if opt.empty? # a bare `--`: the end of the options

        [top, base].each { |list| list.search(typ, opt) { |switch| return [switch, opt] } }
        raise InvalidOption, opt
      end
    end

    # A subcommand: the CLI it reports through, and the options its parser fills in. Subclasses define
    # #parser and #run.
    class Command
      def self.json?
        true
      end

      def initialize(cli)
        @cli = cli
        @options = {}
      end

      def help
        parser.help
      end

      private

      # Parses the options out of argv (the arguments stay); true when --help was given.
      def parse!(argv)
        @cli.parse(parser, argv)
        @options[:help]
      end
    end

    def initialize(out: $stdout, err: $stderr, stdin: $stdin, env: ENV, program: $PROGRAM_NAME)
      @out = out
      @err = err
      @stdin = stdin
      @env = env
      @program = program
      @secrets = []
    end

    # Runs one command line; returns the exit status.
    def run(argv)
      argv = argv.dup
      name = argv.shift
      command = command_class(name)
      return top_level(name, argv) unless command

      @command = name
      @json = command.json? && argv.take_while { |arg| arg != "--" }.include?("--json")
      command.new(self).run(argv)
    rescue UsageError => e
      usage_error(e.message)
    rescue Interrupt
      @err.puts("#{prefix}: interrupted")
      INTERRUPTED
    end

    # -- used by the subcommands

    attr_reader :stdin, :program

    def say(text = "")
      @out.puts(redact(text))
      @out.flush
      OK
    end

    # Prints "wa_health COMMAND: text" as one line on standard error; returns the failure exit status.
    def fail_with(text)
      @err.puts(redact("#{prefix}: #{text.lines.first.to_s.chomp}"))
      FAILURE
    end

    # Prints an error as JSON on standard output (where the command's JSON goes); returns the failure
    # exit status. error: {"type" =>, "message" =>, ...}.
    def fail_with_json(error, advice: nil)
      say(JSON.pretty_generate({ "result" => "error", "error" => error, "advice" => advice }.compact))
      FAILURE
    end

    # choice: true (--color), false (--no-color) or nil: colour only on a terminal, and not with NO_COLOR.
    def color?(choice)
      return choice unless choice.nil?

      @out.respond_to?(:tty?) && @out.tty? && !@env.key?("NO_COLOR") && @env["TERM"] != "dumb"
    end

    # The columns text output is laid out for: --width (0: no limit, Float::INFINITY), else COLUMNS, else
    # the width of the terminal standard output is, else DEFAULT_WIDTH.
    def width(choice)
      return choice.zero? ? Float::INFINITY : choice if choice

      columns = @env["COLUMNS"].to_s
      return columns.to_i if columns.match?(/\A\d+\z/) && columns.to_i.positive?

      terminal_width || DEFAULT_WIDTH
    end

    # A Text for the command's output: coloured and laid out as its --color and --width options ask.
    def text(options)
      Text.new(color: color?(options[:color]), width: width(options[:width]))
    end

    # OptionParser's errors become one-line UsageErrors that never quote an option's value
    # (`--access-token=...` must not echo a token).
    def parse(parser, argv)
      parser.parse!(argv)
    rescue ::OptionParser::ParseError => e
      name = e.args.first.to_s
      name = name.start_with?("--") ? name.split("=", 2).first : name[0, 2]
      hint = name.match?(/token/i) ? "; the token is read from #{TOKEN_ENV} only" : ""
      raise UsageError, "#{e.reason}: #{echo(name)}#{hint}"
    end

    # --json, --color / --no-color (where there is colour), --width (where text wraps) and --help.
    def common_options(opts, options, color: true, json: true, width: true)
      opts.separator("")
      opts.on("--json", "print JSON instead of text (errors too, on standard output)") { options[:json] = true } if json
      if color
        opts.on("--color", "colour the badges (default: only on a terminal)") { options[:color] = true }
        opts.on("--no-color", "never colour") { options[:color] = false }
      end
      width_option(opts, options) if width
      opts.on("-h", "--help", "show this help") { options[:help] = true }
    end

    def env(name)
      @env[name]
    end

    # Text that must never be printed (the access token): every output line has it replaced.
    def secret!(text)
      @secrets << text unless Validate.blank?(text)
    end

    def echo(word)
      PLAIN_WORD.match?(word.to_s) ? word : "(not shown)"
    end

    private

    def terminal_width
      return unless @out.respond_to?(:tty?) && @out.tty?

      require "io/console"
      columns = @out.winsize.last
      columns if columns.positive?
    rescue SystemCallError, NotImplementedError
      nil
    end

    def width_option(opts, options)
      opts.on("--width N", Integer, "lay text out for N columns (default: $COLUMNS, else the terminal's",
              "width, else 80; 0: never wrap)") do |columns|
        raise UsageError, "--width must be 0 (never wrap) or a number of columns" if columns.negative?

        options[:width] = columns
      end
    end

    def command_class(name)
      { "demo" => Demo, "check" => Check, "decide" => Decide, "fake" => Fake }[name]
    end

    def top_level(name, argv)
      case name
      when "-h", "--help" then say(help)
      when "help" then help_for(argv)
      when "-v", "--version" then say("wa_health #{VERSION}")
      when nil then raise UsageError, "missing command (#{COMMANDS.keys.join(', ')})"
      else raise UsageError, "unknown command #{echo(name)}"
      end
    end

    # `wa_health help [COMMAND]`
    def help_for(argv)
      name = argv.shift
      return say(help) if name.nil?

      command = command_class(name)
      raise UsageError, "unknown command #{echo(name)}" unless command
      raise UsageError, "`help` takes one command" if argv.any?

      say(command.new(self).help)
    end

    def help
      commands = COMMANDS.map { |name, text| format("  %-8<name>s %<text>s", name: name, text: text) }
      ["Usage: wa_health COMMAND [options]", "       wa_health help COMMAND", "", "Commands:", *commands, "",
       "Options:", "  -h, --help      show this help", "  -v, --version   print the version", "",
       "`wa_health help COMMAND` or `wa_health COMMAND --help` shows a command's options; an option's",
       "value goes after a space or an equals sign (`--phone-number-id 1001` or `--phone-number-id=1001`).",
       "Exit codes: 0 ok, 1 check found something that needs attention, 2 usage error or failure,",
       "130 interrupted."].join("\n")
    end

    def prefix
      @command ? "wa_health #{@command}" : "wa_health"
    end

    def usage_error(message)
      message = message.lines.first.to_s.chomp
      help = "#{prefix} --help"
      return fail_with_json({ "type" => "usage", "message" => message, "help" => help }) if @json

      fail_with("#{message} (see: #{help})")
    end

    def redact(text)
      @secrets.reduce(text.to_s) { |result, secret| result.gsub(secret, "[REDACTED]") }
    end
  end
end

require_relative "cli/layout"
require_relative "cli/text"
require_relative "cli/check"
require_relative "cli/decide"
require_relative "cli/demo"
require_relative "cli/fake"
