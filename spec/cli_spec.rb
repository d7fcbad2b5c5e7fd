# frozen_string_literal: true

require "fileutils"
require "io/wait"
require "json"
require "open3"
require "rbconfig"
require "shellwords"
require "socket"
require "stringio"
require "time"
require "wa_health/cli"
require "tmpdir"
require_relative "support/terminal"

# bin/wa_health and exe/wa_health, run as the user runs them: a separate Ruby process.
RSpec.describe "wa_health command" do
  root = File.expand_path("..", __dir__)
  # Looks like a real Meta token, so a leak would be obvious.
  token = "EAAGm0PX4ZCpsBAdemoSECRETtoken0123456789"

  # Anything that would reach for the internet goes to a closed loopback port instead.
  base_env = { "WA_HEALTH_ACCESS_TOKEN" => nil, "WA_HEALTH_GRAPH_URL" => "http://127.0.0.1:9",
               "WA_HEALTH_API_VERSION" => nil, "NO_COLOR" => nil, "COLUMNS" => nil }

  define_method(:wa_health) do |*args, env: {}, stdin: "", command: "bin/wa_health"|
    out, err, status = Open3.capture3(base_env.merge(env), RbConfig.ruby, "-I", File.join(root, "lib"),
                                      File.join(root, command), *args, stdin_data: stdin, chdir: root)
    [out, err, status.exitstatus]
  end

  # Runs the command on a pseudo-terminal (so stdin and stdout are TTYs), `columns` wide when given;
  # returns what it printed and its exit status.
  define_method(:on_terminal) do |*args, columns: nil|
    output, status = Terminal.run(base_env, RbConfig.ruby, "-I", File.join(root, "lib"),
                                  File.join(root, "bin/wa_health"), *args, columns: columns, chdir: root)
    [output, status.exitstatus]
  end

  # Starts the command in the background; returns its pid and its standard output and error (pipes).
  define_method(:spawn_wa_health) do |*args, env: {}|
    out_reader, out_writer = IO.pipe
    err_reader, err_writer = IO.pipe
    pid = Process.spawn(base_env.merge(env), RbConfig.ruby, "-I", File.join(root, "lib"),
                        File.join(root, "bin/wa_health"), *args, out: out_writer, err: err_writer, chdir: root)
    [out_writer, err_writer].each(&:close)
    [pid, out_reader, err_reader]
  end

  # Sends SIGINT; returns the exit status (nil for a signal death) and the seconds the process took to exit.
  def interrupt(pid)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    Process.kill("INT", pid)
    status = Process.wait2(pid).last
    [status.exitstatus, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started]
  end

  def stop(pid)
    Process.kill("KILL", pid)
    Process.wait(pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil # already gone
  end

  # The options that take a value, by command: each spec of a command passes every one of them as --name=value.
  value_options = { "demo" => %w[--width], "check" => %w[--phone-number-id --business-account-id --api-version
                                                         --base-url --timeout --width],
                    "decide" => %w[--width], "fake" => %w[--port --host --latency-ms] }

  # One line on standard error, ending with the hint to the help of the command it names.
  def expect_one_line_usage_error(result, pattern)
    out, err, status = result
    expect(status).to eq(2)
    expect(out).to eq("")
    expect(err.lines.size).to eq(1)
    expect(err).to match(pattern)
    expect(err).to match(/\Awa_health( [a-z]+|): .+ \(see: wa_health\1 --help\)\n\z/)
  end

  describe "the top level" do
    it "prints its help with --help and exits 0" do
      out, err, status = wa_health("--help")
      expect(status).to eq(0)
      expect(err).to eq("")
      expect(out).to include("Usage: wa_health COMMAND", "demo", "check", "decide")
    end

    it "prints the version" do
      expect(wa_health("--version")).to eq(["wa_health #{WaHealth::VERSION}\n", "", 0])
    end

    it "lists --help and --version in its help" do
      out, = wa_health("--help")
      expect(out).to match(/^  -h, --help +show this help$/).and match(/^  -v, --version +print the version$/)
      expect(wa_health("-v")).to eq(["wa_health #{WaHealth::VERSION}\n", "", 0])
    end

    it "shows a command's own help for `help COMMAND`, as `COMMAND --help` does, for every command" do
      top, = wa_health("--help")
      expect(wa_health("help")).to eq([top, "", 0])
      WaHealth::CLI::COMMANDS.each_key do |name|
        out, err, status = wa_health("help", name)
        expect([err, status]).to eq(["", 0])
        expect(out).to start_with("Usage: wa_health #{name}")
        expect(out).to include("-h, --help")
        expect(wa_health(name, "--help")).to eq([out, "", 0])
      end
      expect(wa_health("check", "-h")).to eq([wa_health("help", "check").first, "", 0])
      expect_one_line_usage_error(wa_health("help", "dmeo"), /\Awa_health: unknown command dmeo \(see/)
    end

    it "names every option that takes a value in the spec of its command (which passes it as --name=value)" do
      WaHealth::CLI::COMMANDS.each_key do |name|
        parser = WaHealth::CLI.const_get(name.capitalize).new(WaHealth::CLI.new).parser
        takes_value = parser.top.list.grep(OptionParser::Switch::RequiredArgument).flat_map(&:long)
        expect(takes_value).to match_array(value_options.fetch(name)), name
      end
    end

    it "gives a one-line error and exit 2 for a missing or unknown command" do
      expect_one_line_usage_error(wa_health, /\Awa_health: missing command \(demo, check, decide, fake\) \(see:/)
      expect_one_line_usage_error(wa_health("dmeo"), /\Awa_health: unknown command dmeo \(see: wa_health --help\)\n\z/)
    end

    it "does not repeat an unknown command that could be a pasted token" do
      out, err, = wa_health(token)
      expect(out + err).not_to include(token)
      expect(err).to include("unknown command (not shown)")
    end
  end

  describe "demo" do
    it "walks the eleven numbers in a few seconds, as a plain-text table and a numbered paragraph per number" do
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      out, err, status = wa_health("demo")
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 10
      expect(status).to eq(0)
      expect(err).to eq("")
      expect(out).not_to include("\e[")
      table = out.lines.grep(/\A\d+\s/)
      expect(table.size).to eq(11)
      expect(table.map { |row| row.split(/\s{2,}/)[1] }).to eq(
        ["Provisioned and healthy", "Verified, platform_type N/A", "Verified, throughput N/A", "Not verified",
         "Display name in review", "Token expired (190)", "Rate limited (80007)", "Meta answers 503 (HTML)",
         "health_status BLOCKED", "Live, verification expired", "WABA read fails (190)"]
      )
      expect(out.lines.grep(/\A ?\d+\. /).size).to eq(11)
    end

    it "fits an 80-column terminal: no line over 80 characters, no word cut, and says first what the gem is for" do
      out, err, status = wa_health("demo", env: { "COLUMNS" => "80" })
      expect([err, status]).to eq(["", 0])
      expect(out.lines.map { |line| line.chomp.length }.max).to be <= 80
      expect(out).to start_with("wa_health reads a WhatsApp Business number's health from Meta")
      # Every word of the one-line explanations survives the wrapping whole.
      wide, = wa_health("demo", env: { "COLUMNS" => "1000" })
      words = ->(text) { text.lines.grep_v(/\A\s*\z/).join(" ").split.grep_v(/\A\d+\.\z/) }
      expect(words.call(out)).to include(*words.call(wide.lines.grep(/\A ?\d+\. /).join))
      expect(out).to include("webhook setup postponed until Meta's wait is over")
    end

    it "tells what happened and what to do for each number" do
      # One String per number: its explanation and advice, however they were wrapped.
      lines = wa_health("demo").first.split(/^(?= ?\d+\. )/).grep(/\A ?\d+\. /).map { |text| text.gsub(/\s+/, " ") }
      expect(lines[0]).to match(/Provisioned and healthy: provisioned, CONNECTED.*nothing to register.* → Nothing/)
      expect(lines[1]).to match(/platform_type NOT_APPLICABLE.*registered it \(now CONNECTED\)/)
      expect(lines[2]).to match(/throughput level NOT_APPLICABLE.*registered it \(now CONNECTED\)/)
      expect(lines[3]).to include("Not verified", "registered it")
      expect(lines[4]).to include("register failed (Meta's code 100/2388001 \"Cannot Create Certificate\": display " \
                                  "name pending)",
                                  "Wait for Meta to approve the display name: next_registration_at answers")
      expect(lines[5]).to include("AuthorizationError: HTTP 401, code 190, subcode 463: Error validating access token",
                                  "webhook setup failed", "reauthorize the inbox")
      expect(lines[6]).to match(/RateLimitError: HTTP 400, code 80007.*for 300s \(until \d{4}-\d\d-\d\d [\d:]{8} UTC\)/)
      expect(lines[7]).to include("ApiError: HTTP 503: unexpected text/html body", "retry later with backoff")
      expect(lines[8]).to include("can_send_message BLOCKED",
                                  "BUSINESS 9001 is BLOCKED: 141010 The Business has not passed business verification.",
                                  "Possible solution: Visit business settings")
      expect(lines[9]).to include("code verification EXPIRED is normal", "nothing to register", "→ Nothing to do")
      expect(lines[10]).to include("the business account read failed (AuthorizationError) but the health " \
                                   "was still read")
      # The newest protocol: the app subscribed, then the phone-level override, which Meta now reports.
      expect(lines[0]).to include("app subscribed, phone-level webhook set " \
                                  "(Meta now reports https://chat.example.com/webhooks/whatsapp/1001)")
    end

    it "prints the same walk as JSON with --json" do
      out, err, status = wa_health("demo", "--json")
      expect([err, status]).to eq(["", 0])
      numbers = JSON.parse(out).fetch("numbers")
      expect(numbers.map { |number| number["scenario"] }).to eq(
        %w[healthy platform_not_applicable throughput_not_applicable not_verified display_name_pending
           token_expired rate_limited meta_503 blocked verification_expired waba_read_fails]
      )
      expect(numbers.map { |number| number["result"] }).to eq(
        %w[healthy needs_attention needs_attention needs_attention needs_attention error error error needs_attention
           healthy healthy]
      )
      expect(numbers.map { |number| number.dig("webhook_setup", "registered") })
        .to eq([false, true, true, true, false, nil, nil, false, false, false, false])
      # Rate limited: the demo does not call Meta again for the webhook while it is asked to wait.
      expect(numbers[6]["webhook_setup"]).to eq("subscribed" => false, "postponed" => true)
      expect(numbers[10]["report"]["business_account_error"]).to include("class" => "WaHealth::AuthorizationError")
      expect(numbers[0]["webhook_url_after"]).to eq("https://chat.example.com/webhooks/whatsapp/1001")
      healthy = numbers[0]["report"]
      expect(healthy["badges"].map { |badge| badge["tone"] })
        .to eq(%w[neutral neutral success success neutral success])
      expect(healthy["decision"]).to include("register" => false, "reason" => "provisioned")
      expect(healthy["manager_url"]).to end_with("?business_id=9001&asset_id=2001&tab=phone-numbers")
    end

    it "gives the typed errors with Meta's details in --json" do
      numbers = JSON.parse(wa_health("demo", "--json").first).fetch("numbers")
      expect(numbers[5]["error"]).to include("class" => "WaHealth::AuthorizationError", "code" => 190, "subcode" => 463,
                                             "authorization_error" => true)
      expect(numbers[5]["webhook_setup"])
        .to include("subscribed" => false, "error" => start_with("Webhook setup failed"))
      expect(numbers[6]["error"]).to include("class" => "WaHealth::RateLimitError", "code" => 80_007,
                                             "retry_after" => 300, "transient" => true)
      expect(numbers[7]["error"]).to include("class" => "WaHealth::ApiError", "http_status" => 503, "transient" => true)
      expect(numbers[7]["error"]["message"]).not_to include("<html")
      blocked = numbers[8]
      expect(blocked.dig("report", "can_send_message_badge")).to include("value" => "BLOCKED", "tone" => "danger")
      expect(blocked["advice"]).to include("141010", "Possible solution")
    end

    it "shows next_registration_at's answers for the name in review: nil while in review, a time once approved" do
      pending_name = JSON.parse(wa_health("demo", "--json").first).fetch("numbers")[4]
      expect(pending_name.dig("webhook_setup", "registration_error"))
        .to include("class" => "WaHealth::DisplayNamePendingError", "code" => 100, "subcode" => 2_388_001)
      expect(pending_name["next_registration_at"]).to be_nil
      approved = Time.iso8601(pending_name["next_registration_at_once_approved"])
      expect(approved).to be_between(Time.now - 60, Time.now + (72 * 3600))
      expect(pending_name["advice"]).to include("nil (no automatic retry) while it is in review",
                                                "#{approved.utc.strftime('%Y-%m-%d %H:%M:%S UTC')} once it is approved")
    end

    it "colours the badges on a terminal, and with --color, but not with --no-color" do
      output, status = on_terminal("demo")
      expect(status).to eq(0)
      expect(output).to include("\e[1;32mAVAILABLE\e[0m", "\e[1;31mBLOCKED\e[0m", "\e[1;33mnot registered\e[0m")
      expect(on_terminal("demo", "--width=120").first).to include("\e[1;32mGREEN\e[0m", "\e[1;33mPENDING_REVIEW\e[0m")
      expect(wa_health("demo", "--color").first).to include("\e[1;32mAVAILABLE\e[0m")
      expect(on_terminal("demo", "--no-color").first).not_to include("\e[")
    end

    it "has --help, and rejects unknown flags and arguments with one line and exit 2" do
      out, _, status = wa_health("demo", "--help")
      expect(status).to eq(0)
      expect(out).to include("Usage: wa_health demo", "--json")
      expect_one_line_usage_error(wa_health("demo", "--fast"), /\Awa_health demo: invalid option: --fast \(see/)
      expect_one_line_usage_error(wa_health("demo", "now"), /\Awa_health demo: unexpected argument/)
    end

    it "ends with the event loop: Meta's approval webhook registers the stuck number, CONNECTED, and how fast" do
      out, err, status = wa_health("demo")
      expect([err, status]).to eq(["", 0])
      section = out.split("\n\n").last.lines.map(&:chomp)
      expect(section.first).to eq("Meta's health webhooks: the number stuck on its display name, event-driven")
      expect(section.join(" ").squeeze(" ")).to include(
        "PENDING, name PENDING_REVIEW", "register answered 100/2388001", "phone_number_name_update APPROVED",
        "WaHealth::WebhookEndpoint → 200", "apply_event asks register_now", "registered with the stored PIN → CONNECTED"
      )
      expect(section.join(" ").squeeze(" ")).to match(/CONNECTED, \d+\.\d ms after the event/)
      expect(section.map(&:length).max).to be <= 80

      loop = JSON.parse(wa_health("demo", "--json").first).fetch("event_loop")
      expect(loop).to include("phone_number_id" => "1099", "before" => { "status" => "PENDING",
                                                                         "name_status" => "PENDING_REVIEW" },
                              "actions" => ["register_now"], "registered" => true, "status_after" => "CONNECTED",
                              "error" => nil)
      expect(loop.dig("register_before", "subcode")).to eq(2_388_001)
      expect(loop["webhook"]).to eq("field" => "phone_number_name_update", "decision" => "APPROVED",
                                    "http_status" => 200)
      expect(loop["event_to_connected_ms"]).to be_a(Float).and be_positive
    end

    it "then shows Meta as it is: duplicates handled once, a name change re-registered, an older event ignored, " \
       "an alert, a PIN change and a partner removal, each with its action" do
      out, = wa_health("demo")
      section = out.split("\n\n").last.lines.map(&:chomp)
      text = section.join(" ").split.join(" ")
      expect(text).to include(
        "the approval again, 3 at once → 200 200 200: not handed over again (the event ledger has it).",
        "a name change approved, an older rejection after it → 200 200: APPROVED: register_now (name_change), " \
        "registered again; REJECTED: nothing (older than the last of its field).",
        "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED: notify_risk (account_alert).",
        "PIN_CHANGED: mark_pin_stale (pin_changed).",
        "the partner removed (entry: the partner's portfolio 9099) → 200: " \
        "PARTNER_REMOVED: reauthorize (partner_removed)."
      )
      expect(section.map(&:length).max).to be <= 80

      steps = JSON.parse(wa_health("demo", "--json").first).dig("event_loop", "meta_delivers")
      expect(steps.map { |step| [step["http_statuses"], step["handled"].map { |h| h["actions"] }] })
        .to eq([[[200, 200, 200], []], [[200, 200], [["register_now:name_change"], []]],
                [[200], [["notify_risk:account_alert"]]], [[200], [["mark_pin_stale:pin_changed"]]],
                [[200], [["reauthorize:partner_removed"]]]])
      expect(steps[1]["handled"].first["registered"]).to be(true)
    end
  end

  describe "demo layout: by what the terminal shows, colour or not" do
    layout = WaHealth::CLI::Layout
    # The run's own measurements (how fast, and when): they differ from one run to the next.
    steady = ->(text) { text.gsub(/\d+\.\d ms/, "N ms").gsub(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/, "TIME") }
    longest = ->(text) { text.lines.map { |line| layout.visible_width(line.chomp) }.max }
    # The intro, the table, the numbered lines and the webhooks section, as the demo separates them.
    sections = ->(text) { text.split("\n\n") }
    columns_of = ->(line) { line.strip.split(/\s{2,}/) }
    # Where each section's paragraphs start: any other line goes on the paragraph above it.
    starts = [/\A\S/, /\A./, /\A ?\d+\. |\A {4}→ /, /\A {0,2}\S/]

    # One walk and one webhook loop, rendered at every width with and without colour.
    before(:all) do
      cli = WaHealth::CLI.new(out: StringIO.new, err: StringIO.new, env: {})
      @walks = WaHealth::CLI::Demo.new(cli).walks
      @event_loop = WaHealth::CLI::DemoEvents.new(cli, {}).run
    end

    # The rate-limit advice says until when from the time it is written: each render has that time as
    # the same placeholder, as wide.
    def render(width, color)
      cli = WaHealth::CLI.new(out: StringIO.new, err: StringIO.new, env: {})
      options = { width: width, color: color }
      numbers = WaHealth::CLI::DemoText.new(cli, options).render(@walks)
      WaHealth::CLI::DemoEvents.new(cli, options).append_to(numbers, @event_loop)
                               .gsub(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/, "YYYY-MM-DD hh:mm:ss UTC")
    end

    [60, 80, 120].each do |width|
      it "at #{width} columns: the coloured text shows exactly the plain text, within #{width} columns, whole words" do
        plain = render(width, false)
        colour = render(width, true)
        expect(colour).to include("\e[1;32m", "\e[1;33m", "\e[1;31m")
        expect(plain).not_to include("\e[")
        expect(layout.plain(colour)).to eq(plain)
        expect(longest.call(plain)).to be <= width
        expect(longest.call(colour)).to be <= width

        # Every word as the unwrapped text has it: a word cut in two would be two words here.
        parts = sections.call(plain)
        whole = sections.call(render(0, false))
        expect(parts.size).to eq(4)
        [0, 2, 3].each { |i| expect(parts[i].split).to eq(whole[i].split) }
      end

      it "at #{width} columns: breaks a line only where the next word would not fit (no line ends short)" do
        parts = sections.call(render(width, true))
        [0, 2, 3].each do |i|
          parts[i].lines.map(&:chomp).each_cons(2) do |line, after|
            next if after.match?(starts[i])

            room = width - layout.visible_width(line) - 1
            expect(layout.plain(after).split.first.length).to be > room, "#{line.inspect} / #{after.inspect}"
          end
        end
      end
    end

    it "shows the table compact at 60 and 80 columns, with every column at 120, and in detail where there is room" do
      tables = [60, 80, 120, 0].to_h { |width| [width, sections.call(render(width, false))[1].lines.map(&:chomp)] }
      expect(tables.transform_values { |lines| columns_of.call(lines.first) }).to eq(
        60 => ["#", "Status", "Can send", "Decision", "Webhook setup"],
        80 => ["#", "Scenario", "Status", "Can send", "Decision", "Webhook setup"],
        120 => ["#", "Scenario", "Status", "Quality", "Name status", "Can send", "Decision", "Webhook setup"],
        0 => ["#", "Scenario", "Status", "Quality", "Name status", "Can send", "Decision", "Webhook setup"]
      )
      expect(columns_of.call(tables[80][5]))
        .to eq(["5", "Display name in review", "PENDING", "AVAILABLE", "register", "not registered"])
      expect(columns_of.call(tables[120][5])).to eq(["5", "Display name in review", "PENDING", "GREEN",
                                                     "PENDING_REVIEW", "AVAILABLE", "register", "not registered"])
      expect(columns_of.call(tables[0][5])).to eq(["5", "Display name in review", "PENDING", "GREEN", "PENDING_REVIEW",
                                                   "AVAILABLE", "register (pending_provisioning)",
                                                   "register 100/2388001, webhook set"])
      expect(columns_of.call(tables[60][7])).to eq(["7", "-", "-", "-", "postponed"])
      # A row per number under the headers, and what was left out said under the table.
      expect(tables.values.map { |lines| lines.grep(/\A\d+ /).size }).to eq([11, 11, 11, 11])
      expect(tables[60].last).to start_with("(all columns need")
      expect(tables[60].join(" ").squeeze(" "))
        .to match(/Left out to fit 60 columns: Quality, Name status, Scenario \(all columns need \d+\)\./)
      expect(tables[80].last).to match(/\ALeft out to fit 80 columns: Quality, Name status \(all columns need \d+\)/)
      expect(tables[120].last).to start_with("11 ")
      expect(longest.call(tables[0].join("\n"))).to be > 120
    end

    it "lays out for the terminal it runs on, coloured, with the words --no-color prints for that width" do
      [60, 80, 120].each do |columns|
        terminal, status = on_terminal("demo", columns: columns)
        expect(status).to eq(0)
        expect(terminal).to include("\e[1;32mAVAILABLE\e[0m")
        shown = layout.plain(terminal)
        expect(longest.call(shown)).to be <= columns
        expect(longest.call(shown)).to be > columns - 10
        piped, err, status = wa_health("demo", "--no-color", "--width=#{columns}")
        expect([err, status]).to eq(["", 0])
        expect(steady.call(shown).split).to eq(steady.call(piped).split)
        expect(sections.call(shown)[1].lines.first).to eq(sections.call(piped)[1].lines.first)
      end
    end

    it "takes the width from --width, else COLUMNS, else the terminal, else 80 (0: never wraps)" do
      headers = ->(out) { columns_of.call(sections.call(out)[1].lines.first) }
      piped, = wa_health("demo")
      expect(longest.call(piped)).to be_between(71, 80)
      expect(headers.call(piped)).not_to include("Quality")
      narrow, = wa_health("demo", env: { "COLUMNS" => "60" })
      expect(longest.call(narrow)).to be_between(51, 60)
      wide, = wa_health("demo", "--width=120", env: { "COLUMNS" => "60" })
      expect(headers.call(wide)).to include("Quality", "Name status")
      expect(longest.call(on_terminal("demo", columns: 100).first)).to be_between(91, 100)
      unwrapped, = wa_health("demo", "--width=0")
      expect(unwrapped).to include("register (pending_provisioning)")
      expect(longest.call(unwrapped)).to be > 200
      expect_one_line_usage_error(wa_health("demo", "--width=-1"), /--width must be 0 \(never wrap\) or a number/)
      expect_one_line_usage_error(wa_health("demo", "--width=wide"), /\Awa_health demo: invalid argument: --width \(/)
    end
  end

  describe "--json" do
    it "prints a usage error of any command that has --json as JSON on standard output, not as text" do
      { %w[demo now --json] => ["demo", "unexpected argument"],
        %w[demo --json --fast] => ["demo", "invalid option: --fast"],
        %w[decide --json a.json b.json] => ["decide", "expected at most one FILE"] }.each do |args, (name, message)|
        out, err, status = wa_health(*args)
        expect([err, status]).to eq(["", 2])
        expect(JSON.parse(out)).to eq("result" => "error", "error" => { "type" => "usage", "message" => message,
                                                                        "help" => "wa_health #{name} --help" })
      end
    end
  end

  describe "check" do
    let(:fake) { WaHealth::Testing::FakeGraph.new(access_token: token).start }

    before do
      fake.add_phone_number("1001")
      fake.add_business_account("2001")
    end

    after { fake.stop }

    # Every run also checks that the token appears nowhere in what the command printed.
    define_method(:check) do |*args, env: { "WA_HEALTH_ACCESS_TOKEN" => token }|
      out, err, status = wa_health("check", "--base-url", fake.url, *args, env: env)
      expect(out + err).not_to include(token)
      [out, err, status]
    end

    it "prints the report and the decision of a healthy number and exits 0" do
      out, err, status = check("--phone-number-id", "1001", "--business-account-id", "2001")
      expect([err, status]).to eq(["", 0])
      expect(out).to include("Acme Support  +1 555-010-0001  (phone number id 1001)", "Quality rating        GREEN",
                             "Registration          not needed (provisioned)",
                             "business_id=9001&asset_id=2001&tab=phone-numbers", "Result: healthy. Nothing to do.")
    end

    it "sends the token from WA_HEALTH_ACCESS_TOKEN as the Bearer token" do
      check("--phone-number-id", "1001")
      expect(fake.requests.map { |request| request.headers["authorization"] }).to all(eq("Bearer #{token}"))
      expect(fake.requests.size).to eq(1)
    end

    it "exits 1 and says why when the number needs attention" do
      fake.add_phone_number("1002", :display_name_pending, quality_rating: "RED")
      out, _, status = check("--phone-number-id", "1002", "--width=0")
      expect(status).to eq(1)
      expect(out).to include("Result: needs attention: quality rating is RED; registration incomplete " \
                             "(platform_type NOT_APPLICABLE, throughput level NOT_APPLICABLE).",
                             "What to do: Wait until Meta approves the display name")
    end

    it "lays its text out for --width: the words of the unwrapped text, within the width but for a lone link" do
      fake.add_phone_number("1002", :display_name_pending, quality_rating: "RED")
      whole, = check("--phone-number-id", "1002", "--width=0")
      [60, 80].each do |width|
        out, _, status = check("--phone-number-id", "1002", "--width=#{width}")
        coloured, = check("--phone-number-id", "1002", "--width=#{width}", "--color")
        expect(status).to eq(1)
        expect(out.split).to eq(whole.split)
        expect(out.lines.size).to be > whole.lines.size
        expect(coloured).to include("\e[1;31mRED\e[0m")
        expect(WaHealth::CLI::Layout.plain(coloured)).to eq(out)
        lines = out.lines.map(&:chomp).grep_v(%r{\A\s*(WhatsApp Manager\s+)?https://\S+\z})
        expect(lines.map(&:length).max).to be_between(width - 10, width)
        expect(out).to match(/^  Registration +register \(pending_provisioning\):/)
      end
    end

    it "prints the report, the verdict and the advice as JSON with --json" do
      fake.add_phone_number("1003", can_send_message: "LIMITED",
                                    health_status: { "can_send_message" => "LIMITED", "entities" => [] })
      out, _, status = check("--phone-number-id", "1003", "--business-account-id", "2001", "--json")
      expect(status).to eq(1)
      json = JSON.parse(out)
      expect(json).to include("result" => "needs_attention",
                              "attention_reasons" => ["Meta reports can_send_message LIMITED"])
      expect(json["report"]).to include("id" => "1003", "business_portfolio_id" => "9001", "risky" => false)
      expect(json["report"]["decision"]).to include("register" => false, "reason" => "provisioned")
    end

    it "exits 2 with the typed error in one line, without the token even when Meta's message quotes it" do
      fake.queue_error(status: 401, code: 190, subcode: 463, message: "Error validating access token #{token}",
                       user_message: "Token #{token} has expired")
      out, err, status = check("--phone-number-id", "1001")
      expect([out, status]).to eq(["", 2])
      expect(err.lines.size).to eq(1)
      expect(err).to start_with("wa_health check: AuthorizationError: HTTP 401, code 190, subcode 463: " \
                                "Error validating access token [REDACTED]")
      expect(err).to include("reauthorize the inbox")
    end

    it "prints the error as JSON with --json, still without the token" do
      fake.queue_error(status: 400, code: 190, message: "Invalid OAuth access token #{token}.")
      out, _, status = check("--phone-number-id", "1001", "--json")
      expect(status).to eq(2)
      json = JSON.parse(out)
      expect(json["result"]).to eq("error")
      expect(json["advice"]).to include("reauthorize the inbox")
      expect(json["error"]).to include("type" => "authorization_error", "class" => "WaHealth::AuthorizationError",
                                       "code" => 190, "http_status" => 400, "fbtrace_id" => "FakeTrace",
                                       "message" => "WhatsApp API request failed: HTTP 400, code 190: " \
                                                    "Invalid OAuth access token [REDACTED]. Next step: Reauthorize " \
                                                    "the channel: the access token is missing, expired or lacks a " \
                                                    "permission.")
    end

    it "exits 2 when Meta cannot be reached, with the error as JSON with --json" do
      port = fake.port
      fake.stop
      _, err, status = wa_health("check", "--base-url", "http://127.0.0.1:#{port}", "--phone-number-id", "1001",
                                 env: { "WA_HEALTH_ACCESS_TOKEN" => token })
      expect(status).to eq(2)
      expect(err).to start_with("wa_health check: ConnectionError")
      expect(err).not_to include(token)
      out, err, status = wa_health("check", "--base-url", "http://127.0.0.1:#{port}", "--phone-number-id", "1001",
                                   "--json", env: { "WA_HEALTH_ACCESS_TOKEN" => token })
      expect([err, status]).to eq(["", 2])
      expect(JSON.parse(out)["error"]).to include("type" => "connection_error", "class" => "WaHealth::ConnectionError",
                                                  "message" => start_with("cannot connect to the WhatsApp API"))
    end

    it "reads the token only from the environment: a missing variable or a token on the command line is refused" do
      expect_one_line_usage_error(check("--phone-number-id", "1001", env: {}),
                                  /\Awa_health check: WA_HEALTH_ACCESS_TOKEN is not set \(see/)
      expect_one_line_usage_error(check("--phone-number-id", "1001", "--access-token=#{token}"),
                                  /invalid option: --access-token; the token is read from WA_HEALTH_ACCESS_TOKEN/)
      expect_one_line_usage_error(check("--phone-number-id", "1001", "--access-token", token),
                                  /invalid option: --access-token/)
      expect_one_line_usage_error(check("--phone-number-id", "1001", token), /unexpected argument/)
      expect_one_line_usage_error(check("--phone-number-id", "1001", "-t#{token}"), /invalid option: -t \(see/)
      expect(fake.requests).to be_empty
    end

    it "gives a one-line error and exit 2 for missing or bad arguments and unknown flags" do
      expect_one_line_usage_error(check,
                                  /\Awa_health check: missing --phone-number-id \(see: wa_health check --help\)\n\z/)
      expect_one_line_usage_error(check("--phone-number-id"), /missing argument: --phone-number-id/)
      expect_one_line_usage_error(check("--phone-number-id", "12/34"),
                                  /\Awa_health check: phone_number_id must be a Graph id made of digits \(see/)
      expect_one_line_usage_error(check("--phone-number-id", "1001", "--verbose"), /invalid option: --verbose/)
      expect_one_line_usage_error(check("--phone", "1001"), /invalid option: --phone \(see/)
      expect_one_line_usage_error(check("--phone=1001"), /invalid option: --phone \(see/)
      expect_one_line_usage_error(check("--phone-number-id", "1001", "--timeout", "soon"),
                                  /invalid argument: --timeout/)
      expect(fake.requests).to be_empty
    end

    it "takes every option's value after = as well as after a space" do
      values = { "--phone-number-id" => "1001", "--business-account-id" => "2001", "--api-version" => "v24.0",
                 "--base-url" => fake.url, "--timeout" => "5", "--width" => "100" }
      expect(values.keys).to match_array(value_options["check"])
      out, err, status = wa_health("check", *values.map { |name, value| "#{name}=#{value}" },
                                   env: { "WA_HEALTH_ACCESS_TOKEN" => token })
      expect([err, status]).to eq(["", 0])
      expect(out).to include("(phone number id 1001)", "business_id=9001&asset_id=2001")
      expect(fake.requests.map(&:path)).to contain_exactly("/v24.0/1001", "/v24.0/2001")
      expect_one_line_usage_error(check("--phone-number-id=1001", "--timeout=soon"),
                                  /invalid argument: --timeout \(see/)
    end

    it "prints usage errors as JSON on standard output with --json, even when --json comes after the bad option" do
      [[["--json"], "missing --phone-number-id"],
       [["--verbose", "--json"], "invalid option: --verbose"],
       [["--json", "--phone-number-id=12/34"], "phone_number_id must be a Graph id made of digits"],
       [["--phone-number-id", "1001", "--json", token],
        "unexpected argument (the token goes in WA_HEALTH_ACCESS_TOKEN)"]]
        .each do |args, message|
          out, err, status = check(*args)
          expect([err, status]).to eq(["", 2])
          expect(JSON.parse(out)).to eq("result" => "error", "error" => { "type" => "usage", "message" => message,
                                                                          "help" => "wa_health check --help" })
        end
      expect(fake.requests).to be_empty
    end

    it "exits 130 with one line and no backtrace when interrupted while it waits for Meta" do
      fake.latency = 20
      pid, out, err = spawn_wa_health("check", "--base-url", fake.url, "--phone-number-id", "1001",
                                      env: { "WA_HEALTH_ACCESS_TOKEN" => token })
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
      sleep 0.05 while fake.requests.empty? && Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      expect(fake.requests.size).to eq(1) # the request is in flight: the answer comes 20 s later
      status, seconds = interrupt(pid)
      expect(status).to eq(130)
      expect(seconds).to be < 5
      expect(out.read).to eq("")
      expect(err.read).to eq("wa_health check: interrupted\n")
    ensure
      stop(pid) if pid
    end

    it "never prints a placeholder for what Meta did not send" do
      fake.queue_response(status: 400, body: { "error" => { "message" => "Bad request", "type" => "OAuthException" } })
      _, err, status = check("--phone-number-id", "1001")
      expect(status).to eq(2)
      expect(err).to end_with("Meta refused the request without an error code (HTTP 400): check the ids, the API " \
                              "version and the token's permissions.\n")

      # No id, no status, no code verification; a BLOCKED entity without type, id or description.
      sparse = { "platform_type" => "CLOUD_API", "throughput" => { "level" => "STANDARD" }, "quality_rating" => "RED",
                 "health_status" => { "can_send_message" => "BLOCKED",
                                      "entities" => [{ "can_send_message" => "BLOCKED",
                                                       "errors" => [{ "error_code" => 141_010 }] }] } }
      fake.queue_response(body: sparse, times: 2)
      out, _, status = check("--phone-number-id", "1001", "--width=0")
      expect(status).to eq(1)
      expect(out.lines.first).to eq("Phone number\n")
      expect(out).to include("What to do: Meta: an entity is BLOCKED: error 141010. Open WhatsApp Manager " \
                             "(https://business.facebook.com/) to see why the quality rating is RED, before Meta")
      json = JSON.parse(check("--phone-number-id", "1001", "--json").first)
      expect(json.dig("report", "notes")).to eq(["a missing code verification status is normal: Meta keeps VERIFIED " \
                                                 "for only 14 days after the one-time code, and this number is " \
                                                 "provisioned on Cloud API"])
      expect(out + JSON.generate(json)).not_to match(/\?|  is |is ,|: \.|unknown/)
    end

    it "has --help" do
      out, _, status = check("--help")
      expect(status).to eq(0)
      expect(out).to include("Usage: wa_health check --phone-number-id ID", "WA_HEALTH_ACCESS_TOKEN",
                             "--business-account-id", "--api-version", "--base-url", "--json",
                             "Exit codes: 0 healthy, 1 needs attention, 2 error")
    end
  end

  describe "decide" do
    let(:not_provisioned) { { "code_verification_status" => "VERIFIED", "platform_type" => "NOT_APPLICABLE" } }

    it "prints every fact of the decision for a health JSON file, one per line" do
      Dir.mktmpdir do |dir|
        path = File.join(dir, "health.json")
        File.write(path, JSON.generate(not_provisioned))
        out, err, status = wa_health("decide", path, "--width=0")
        expect([err, status]).to eq(["", 0])
        decision = WaHealth.registration_decision(not_provisioned)
        # Whatever Decision#to_h holds (a flag added to it shows up without a change to the command).
        expect(out.lines.map { |line| line[/\A[^:]*/] }).to eq(decision.to_h.keys.map { |key| key.to_s.tr("_", " ") })
        expect(out.lines).to include("register: yes\n", "reason: pending_provisioning\n", "display name pending: no\n",
                                     "verification expired: no\n", "registration incomplete: yes\n",
                                     "not applicable: platform_type\n", "message: #{decision.message}\n")
      end
    end

    it "wraps a long fact under its name for --width" do
      health = JSON.generate(not_provisioned)
      whole, = wa_health("decide", "--width=0", stdin: health)
      out, err, status = wa_health("decide", "--width=40", stdin: health)
      expect([err, status]).to eq(["", 0])
      expect(out.split).to eq(whole.split)
      expect(out.lines.map { |line| line.chomp.length }.max).to be <= 40
      expect(out.lines.grep(/\A  \S/)).not_to be_empty # the message's lines after its first
    end

    it "reads standard input for - or no FILE, and prints JSON with --json" do
      health = { "code_verification_status" => "VERIFIED", "platform_type" => "CLOUD_API",
                 "throughput" => { "level" => "STANDARD" } }
      expected = WaHealth.registration_decision(health).to_h.transform_keys(&:to_s).merge("reason" => "provisioned")
      [%w[decide - --json], %w[decide --json]].each do |args|
        out, _, status = wa_health(*args, stdin: JSON.generate(health))
        expect(status).to eq(0)
        expect(JSON.parse(out)).to eq(expected)
      end
    end

    it "accepts `check --json` output and Report#as_json payloads" do
      report = WaHealth::Report.new({ code_verification_status: "NOT_VERIFIED" })
      out, = wa_health("decide", "--json", stdin: JSON.generate("result" => "healthy", "report" => report.as_json))
      expect(JSON.parse(out)).to include("register" => true, "reason" => "not_verified")
      out, = wa_health("decide", "--json", stdin: report.to_json)
      expect(JSON.parse(out)).to include("register" => true, "reason" => "not_verified")
    end

    it "gives a one-line error and exit 2 for unreadable input, extra arguments and unknown flags" do
      expect_one_line_usage_error(wa_health("decide", stdin: "{not json"), /the input is not valid JSON \(see/)
      expect_one_line_usage_error(wa_health("decide", stdin: "[1, 2]"), /the input must be a JSON object/)
      expect_one_line_usage_error(wa_health("decide", "/nonexistent/health.json"),
                                  %r{cannot read /nonexistent/health.json: No such file or directory})
      expect_one_line_usage_error(wa_health("decide", "a.json", "b.json"), /expected at most one FILE/)
      expect_one_line_usage_error(wa_health("decide", "--yaml"), /\Awa_health decide: invalid option: --yaml \(see/)
    end

    it "refuses an error, and an object without any health field, instead of deciding on nothing" do
      error = { "result" => "error", "error" => { "type" => "authorization_error", "message" => "expired" } }
      expect_one_line_usage_error(wa_health("decide", stdin: JSON.generate(error)),
                                  /\Awa_health decide: the input is an error \(authorization_error\), not health/)
      expect_one_line_usage_error(wa_health("decide", stdin: '{"error": {"message": "x"}}'), /is an error, not health/)
      ["{}", '{"id": "1001", "business_id": "2001"}', '{"code_verification_status": null}', '{"report": {}}']
        .each do |input|
          expect_one_line_usage_error(wa_health("decide", stdin: input), /the input has none of the health fields/)
        end
      out, err, status = wa_health("decide", "--json", stdin: "{}")
      expect([err, status]).to eq(["", 2])
      expect(JSON.parse(out)["error"]).to include("type" => "usage", "message" => start_with("the input has none"))
    end

    it "decides on what `check --json` prints, through a pipe, and refuses it when the check failed" do
      WaHealth::Testing::FakeGraph.start(access_token: token) do |fake|
        fake.add_phone_number("1002", :not_verified)
        check = [RbConfig.ruby, "-I", File.join(root, "lib"), File.join(root, "bin/wa_health"), "check",
                 "--base-url", fake.url, "--json", "--phone-number-id"]
        decide = [RbConfig.ruby, "-I", File.join(root, "lib"), File.join(root, "bin/wa_health"), "decide"]
        env = base_env.merge("WA_HEALTH_ACCESS_TOKEN" => token)
        out, err, statuses = Open3.capture3(env, "sh", "-c", "#{Shellwords.join([*check, '1002'])} | " \
                                                             "#{Shellwords.join(decide)}; echo \"$?\" >&2")
        expect(out).to start_with("register: yes\nreason: not_verified\n")
        expect([err, statuses.exitstatus]).to eq(["0\n", 0])

        out, err, = Open3.capture3(env, "sh", "-c", "#{Shellwords.join([*check, '1404'])} | " \
                                                    "#{Shellwords.join(decide)}; echo \"$?\" >&2")
        expect(out).to eq("")
        expect(err).to eq("wa_health decide: the input is an error (api_error), not health: the check that made " \
                          "it failed (see: wa_health decide --help)\n2\n")
      end
    end

    it "does not wait for a terminal: no FILE and a TTY on standard input is a missing argument" do
      output, status = on_terminal("decide")
      expect(status).to eq(2)
      expect(output.strip).to eq("wa_health decide: missing FILE, or the health JSON on standard input " \
                                 "(see: wa_health decide --help)")
    end

    it "has --help" do
      out, _, status = wa_health("decide", "--help")
      expect(status).to eq(0)
      expect(out).to include("Usage: wa_health decide [FILE|-]", "--json")
    end
  end

  describe "fake" do
    # Reads the fake's introduction (up to the check command line); returns it as lines.
    def introduction(out)
      lines = []
      until lines.last&.include?(" check ")
        raise "wa_health fake printed no check command line: #{lines.join}" unless out.wait_readable(15)

        line = out.gets or raise "wa_health fake exited early: #{lines.join}"
        lines << line
      end
      lines
    end

    it "serves the demo's numbers until Ctrl-C, printing its URL, its token and a check command line that works" do
      pid, out, err = spawn_wa_health("fake")
      lines = introduction(out)
      url = lines.join[%r{^URL +(http://127\.0\.0\.1:\d+)$}, 1]
      expect(url).not_to be_nil
      expect(lines.join).to match(/^Access token +test-token$/)
      expect(lines.grep(/^  \d{4} /).map(&:split).map { |row| [row[0], row[1..2].join(" ")] })
        .to eq(%w[1001 1002 1003 1004 1005 1009 1010].map { |phone| [phone, "WABA #{phone.to_i + 1000}"] })
      command = lines.last.strip
      expect(command).to eq("WA_HEALTH_ACCESS_TOKEN=test-token #{File.join(root, 'bin/wa_health')} check " \
                            "--base-url #{url} --phone-number-id 1001 --business-account-id 2001")

      check_out, check_err, status = Open3.capture3(base_env, "sh", "-c", command)
      expect([check_err, status.exitstatus]).to eq(["", 0])
      expect(check_out).to include("Acme Support  +1 555-010-0001  (phone number id 1001)", "Result: healthy.")
      check_out, _, status = wa_health("check", "--base-url", url, "--phone-number-id", "1005",
                                       env: { "WA_HEALTH_ACCESS_TOKEN" => "test-token" })
      expect(status).to eq(1)
      expect(check_out).to include("Display name status   PENDING_REVIEW")

      expect(interrupt(pid).first).to eq(0)
      expect(out.read).to eq("wa_health fake: stopped\n")
      expect(err.read).to eq("")
    ensure
      stop(pid) if pid
    end

    it "takes --port, --host and --latency-ms, after = as well as after a space" do
      port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
      [%W[--port=#{port} --host=localhost --latency-ms=400], %W[--port #{port} --host 127.0.0.1 --latency-ms 400]]
        .each do |args|
          expect(args.filter_map { |arg| arg[/\A--[a-z-]+/] }.uniq).to match_array(value_options["fake"])
          pid, out, = spawn_wa_health("fake", *args)
          lines = introduction(out)
          expect(lines.join).to match(%r{^URL +http://127\.0\.0\.1:#{port}$}).and match(/^Latency +400 ms$/)
          started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
          _, _, status = wa_health("check", "--base-url", "http://127.0.0.1:#{port}", "--phone-number-id", "1001",
                                   env: { "WA_HEALTH_ACCESS_TOKEN" => "test-token" })
          expect(status).to eq(0)
          expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be >= 0.4
          expect(interrupt(pid).first).to eq(0)
        ensure
          stop(pid) if pid
        end
    end

    it "listens on loopback only, and gives one-line usage errors" do
      expect_one_line_usage_error(wa_health("fake", "--host", "0.0.0.0"),
                                  /\Awa_health fake: --host must be a loopback address/)
      expect_one_line_usage_error(wa_health("fake", "--host=example.com"), /--host must be a loopback address/)
      expect_one_line_usage_error(wa_health("fake", "--port=70000"), /--port must be between 0 and 65535/)
      expect_one_line_usage_error(wa_health("fake", "--latency-ms=-1"), /--latency-ms must not be negative/)
      expect_one_line_usage_error(wa_health("fake", "--json"), /invalid option: --json/)
      expect_one_line_usage_error(wa_health("fake", "now"), /unexpected argument/)
    end
  end

  describe "exe/wa_health (the gem's executable)" do
    it "runs the same command" do
      out, _, status = wa_health("decide", "--json", stdin: '{"code_verification_status":"NOT_VERIFIED"}',
                                                     command: "exe/wa_health")
      expect(status).to eq(0)
      expect(JSON.parse(out)).to include("reason" => "not_verified")
      expect(wa_health("--version", command: "exe/wa_health")).to eq(["wa_health #{WaHealth::VERSION}\n", "", 0])
    end
  end

  describe "bin/wa_health's setup step" do
    # A copy of bin/wa_health in a scratch tree whose bin/setup and CLI only report that they ran.
    def scratch_tree(dir, built:)
      FileUtils.mkdir_p(%W[#{dir}/bin #{dir}/lib/wa_health])
      FileUtils.cp(File.join(File.expand_path("..", __dir__), "bin/wa_health"), "#{dir}/bin/wa_health")
      File.write("#{dir}/bin/setup", <<~'SH')
        #!/bin/sh
        echo setup ran
        touch "$(dirname "$0")/../lib/wa_health/wa_health.so"
      SH
      File.chmod(0o755, "#{dir}/bin/setup")
      File.write("#{dir}/lib/wa_health/cli.rb", <<~'RUBY')
        module WaHealth
          class CLI
            def run(argv)
              puts "cli ran #{argv.join(' ')}"
              0
            end
          end
        end
      RUBY
      FileUtils.touch("#{dir}/lib/wa_health/wa_health.so") if built
    end

    def run_scratch(dir)
      Open3.capture3(RbConfig.ruby, "#{dir}/bin/wa_health", "demo", "--json")
    end

    it "runs bin/setup first (its output on standard error) when the extension is missing" do
      Dir.mktmpdir do |dir|
        scratch_tree(dir, built: false)
        out, err, status = run_scratch(dir)
        expect(status.exitstatus).to eq(0)
        expect(out).to eq("cli ran demo --json\n")
        expect(err).to include("running bin/setup", "setup ran")
        expect(File).to exist("#{dir}/lib/wa_health/wa_health.so")
      end
    end

    it "goes straight to the CLI when the extension is built" do
      Dir.mktmpdir do |dir|
        scratch_tree(dir, built: true)
        out, err, status = run_scratch(dir)
        expect([out, err, status.exitstatus]).to eq(["cli ran demo --json\n", "", 0])
      end
    end
  end
end
