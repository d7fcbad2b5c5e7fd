# frozen_string_literal: true

require "logger"
require "time"
require_relative "../testing"
require_relative "demo_events"

module WaHealth
  class CLI
    # `wa_health demo`: starts WaHealth::Testing::FakeGraph on 127.0.0.1 and walks sample numbers through
    # WaHealth.fetch, WaHealth::Report, the registration decision and WaHealth::WebhookSetup, as
    # Chatwoot would. Nothing leaves the machine and no real token is used. Every call gets the fake's
    # URL as a per-call option, so WaHealth.config is never changed.
    class Demo < Command
      BANNER = <<~TEXT
        Usage: wa_health demo [options]

        Starts a fake Graph API on 127.0.0.1 (no network, no real token) and walks sample numbers through
        WaHealth.fetch, WaHealth::Report, WaHealth.registration_decision and WaHealth::WebhookSetup.
        Prints a table that fits the width (fewer columns on a narrow terminal, said under it), then for
        each number what happened and what an operator should do.
      TEXT

      EXPIRED = "Error validating access token: Session has expired on Tuesday, 18-Nov-25 04:00:00 PST. " \
                "The current time is Tuesday, 25-Nov-25 01:00:00 PST."
      TOO_MANY_CALLS = "(#80007) There have been too many calls to this WhatsApp Business account. " \
                       "Wait and try again."
      BAD_GATEWAY_PAGE = "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>" \
                         "<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>"
      PORTFOLIO = { id: "9001", name: "Acme Inc" }.freeze

      # key, title, FakeGraph preset, extra phone fields (a lambda of the phone id), and what the fake
      # answers besides (a lambda of the fake, the phone id and the WABA id).
      Scenario = Struct.new(:key, :title, :preset, :fields, :prepare, keyword_init: true)

      SCENARIOS = [
        Scenario.new(key: "healthy", title: "Provisioned and healthy", preset: :healthy),
        Scenario.new(key: "platform_not_applicable", title: "Verified, platform_type N/A",
                     preset: :platform_not_applicable),
        Scenario.new(key: "throughput_not_applicable", title: "Verified, throughput N/A",
                     preset: :throughput_not_applicable),
        Scenario.new(key: "not_verified", title: "Not verified", preset: :not_verified),
        Scenario.new(key: "display_name_pending", title: "Display name in review", preset: :display_name_pending),
        Scenario.new(key: "token_expired", title: "Token expired (190)", preset: :healthy,
                     prepare: lambda { |fake, phone, waba|
                       [phone, waba].each do |node|
                         fake.queue_error(status: 401, code: 190, subcode: 463, message: EXPIRED, node: node, times: 2)
                       end
                     }),
        Scenario.new(key: "rate_limited", title: "Rate limited (80007)", preset: :healthy,
                     prepare: lambda { |fake, phone, _waba|
                       usage = { PORTFOLIO[:id] => [{ "type" => "whatsapp_business_management", "call_count" => 100,
                                                      "total_cputime" => 12, "total_time" => 14,
                                                      "estimated_time_to_regain_access" => 5 }] }
                       fake.queue_error(status: 400, code: 80_007, message: TOO_MANY_CALLS, transient: true,
                                        node: phone, endpoint: :get, times: 2,
                                        headers: { "X-Business-Use-Case-Usage" => JSON.generate(usage),
                                                   "X-App-Usage" => '{"call_count":7,"total_cputime":2,' \
                                                                    '"total_time":3}' })
                     }),
        Scenario.new(key: "meta_503", title: "Meta answers 503 (HTML)", preset: :healthy,
                     prepare: lambda { |fake, phone, _waba|
                       fake.queue_response(status: 503, body: BAD_GATEWAY_PAGE, content_type: "text/html",
                                           node: phone, endpoint: :get, times: 2)
                     }),
        Scenario.new(key: "blocked", title: "health_status BLOCKED", preset: :healthy,
                     fields: lambda { |phone|
                       { health_status: {
                         "can_send_message" => "BLOCKED",
                         "entities" => [
                           { "entity_type" => "PHONE_NUMBER", "id" => phone, "can_send_message" => "AVAILABLE" },
                           { "entity_type" => "BUSINESS", "id" => PORTFOLIO[:id], "can_send_message" => "BLOCKED",
                             "errors" => [{ "error_code" => 141_010,
                                            "error_description" => "The Business has not passed business " \
                                                                   "verification.",
                                            "possible_solution" => "Visit business settings and start or " \
                                                                   "resolve the business verification request." }] }
                         ]
                       } }
                     }),
        # Meta keeps VERIFIED for 14 days only; live numbers read EXPIRED afterwards
        # (spec/fixtures/meta/phone_cloud_api_expired_connected_live.json).
        Scenario.new(key: "verification_expired", title: "Live, verification expired", preset: :healthy,
                     fields: ->(_phone) { { code_verification_status: "EXPIRED" } }),
        # Newest Chatwoot (#15200): a failed WABA read never fails the health read.
        Scenario.new(key: "waba_read_fails", title: "WABA read fails (190)", preset: :healthy,
                     prepare: lambda { |fake, _phone, waba|
                       fake.queue_error(status: 400, code: 190, subcode: 463, message: EXPIRED, node: waba,
                                        endpoint: :get)
                     })
      ].freeze

      # Everything the demo learnt about one number.
      Walk = Struct.new(:number, :scenario, :phone_number_id, :report, :error, :setup, :setup_error,
                        :status_after, :webhook_after, :next_registration_at, :next_registration_at_once_approved,
                        keyword_init: true)

      # Adds the scenario's number (phone id 1000 + number, WABA id 2000 + number) and what the fake
      # answers besides to the fake; returns [phone id, WABA id].
      def self.add_number(fake, scenario, number)
        phone = (1000 + number).to_s
        waba = (2000 + number).to_s
        fake.add_business_account(waba, name: "Acme WABA #{number}", owner_business_info: PORTFOLIO)
        fake.add_phone_number(phone, scenario.preset, business_account: waba,
                                                      display_phone_number: format("+1 555-010-%04d", number),
                                                      **scenario.fields&.call(phone).to_h)
        scenario.prepare&.call(fake, phone, waba)
        [phone, waba]
      end

      def run(argv)
        return @cli.say(help) if parse!(argv)
        raise UsageError, "unexpected argument" if argv.any?

        walks = self.walks
        output = @options[:json] ? json(walks) : DemoText.new(@cli, @options).render(walks)
        @cli.say(DemoEvents.new(@cli, @options).append_to(output))
      end

      def parser
        @parser ||= OptionParser.new do |opts|
          opts.banner = BANNER
          @cli.common_options(opts, @options)
        end
      end

      # Every scenario's number walked through the gem, on a fake of its own.
      def walks
        Testing::FakeGraph.start { |fake| SCENARIOS.each_with_index.map { |s, i| walk(fake, s, i + 1) } }
      end

      private

      def walk(fake, scenario, number)
        phone, waba = Demo.add_number(fake, scenario, number)
        connection = { base_url: fake.url }
        health, error = fetch(fake, phone, waba, connection)
        attempted_at = Time.now
        # Meta asked to wait: calling it again for the webhook now would contradict the advice.
        setup, setup_error = webhook_setup(fake, phone, waba, connection) unless error.is_a?(RateLimitError)
        walk = Walk.new(number: number, scenario: scenario, phone_number_id: phone, error: error,
                        report: health && Report.new(health), setup: setup, setup_error: setup_error)
        read_back(walk, fake, connection) if setup
        schedule(walk, fake, attempted_at, connection) if setup&.registration_error.is_a?(DisplayNamePendingError)
        walk
      end

      # What Meta reports once webhook setup ran: the status (after a registration) and the webhook URL.
      def read_back(walk, fake, connection)
        after = fetch(fake, walk.phone_number_id, nil, connection).first
        walk.status_after = after&.fetch(:status) if walk.setup.registered?
        walk.webhook_after = after && Report.new(after).webhook_url
      end

      def fetch(fake, phone, waba, connection)
        [WaHealth.fetch(phone_number_id: phone, business_account_id: waba, access_token: fake.access_token,
                        **connection), nil]
      rescue Error => e
        [nil, e]
      end

      def webhook_setup(fake, phone, waba, connection)
        setup = WebhookSetup.new(phone_number_id: phone, business_account_id: waba, access_token: fake.access_token,
                                 callback_url: "https://chat.example.com/webhooks/whatsapp/#{phone}",
                                 verify_token: "demo-verify-token", logger: Logger.new(nil), **connection)
        [setup.perform, nil]
      rescue WebhookSetupError => e
        [nil, e]
      end

      # What next_registration_at answers after the failed register call: while the name is in review,
      # and once Meta has approved it (the fake approves it here).
      def schedule(walk, fake, attempted_at, connection)
        error = walk.setup.registration_error
        walk.next_registration_at = WaHealth.next_registration_at(attempts: [attempted_at], last_error: error,
                                                                  health: walk.report.health)
        fake.add_phone_number(walk.phone_number_id, walk.scenario.preset, name_status: "APPROVED",
                                                                          display_name_ready: true)
        approved, = fetch(fake, walk.phone_number_id, nil, connection)
        return unless approved

        walk.next_registration_at_once_approved = WaHealth.next_registration_at(attempts: [attempted_at],
                                                                                last_error: error, health: approved)
      end

      def json(walks)
        { "numbers" => walks.map { |walk| walk_json(walk) } }
      end

      def walk_json(walk)
        story = Story.new(walk)
        { "number" => walk.number, "scenario" => walk.scenario.key, "title" => walk.scenario.title,
          "phone_number_id" => walk.phone_number_id, "result" => story.result,
          "report" => walk.report&.as_json, "error" => walk.error && Advice.error_json(walk.error),
          "webhook_setup" => setup_json(walk), "status_after" => walk.status_after,
          "webhook_url_after" => walk.webhook_after,
          "next_registration_at" => walk.next_registration_at&.utc&.iso8601,
          "next_registration_at_once_approved" => walk.next_registration_at_once_approved&.utc&.iso8601,
          "happened" => story.happened, "advice" => story.advice }
      end

      def setup_json(walk)
        return { "subscribed" => false, "error" => walk.setup_error.message } if walk.setup_error
        return { "subscribed" => false, "postponed" => true } unless walk.setup

        registration_error = walk.setup.registration_error
        { "subscribed" => true, "registered" => walk.setup.registered?,
          "registration_error" => registration_error && Advice.error_json(registration_error) }
      end
    end

    # One number's walk told in words: the table row, what happened and what to do.
    class Story
      def initialize(walk)
        @walk = walk
        @report = walk.report
      end

      def result
        return "error" if @walk.error

        @report.needs_attention? ? "needs_attention" : "healthy"
      end

      # The table's cells (Strings and [String, tone] pairs); brief: the decision without its reason and
      # the webhook setup without Meta's code, for a narrower table.
      def row(text, brief: false)
        health = @report&.health || {}
        sending = @report&.can_send_message_badge
        [@walk.number.to_s, @walk.scenario.title, Report.lookup(health, :status) || Text::NONE,
         badge_cell(text, :quality_rating), badge_cell(text, :name_status),
         sending ? text.badge_cell(sending) : Text::NONE, decision_cell(brief), setup_cell(brief)]
      end

      def happened
        read = @walk.error ? Advice.error_line(@walk.error) : read_summary
        "#{@walk.scenario.title}: #{read.delete_suffix('.')}; #{setup_summary}"
      end

      def advice
        return "#{Advice.for_error(@walk.error)} Chatwoot marks the inbox for reauthorization." if @walk.setup_error
        return Advice.for_error(@walk.error) if @walk.error || !@walk.setup

        registration_error = @walk.setup.registration_error
        return pending_advice if registration_error.is_a?(DisplayNamePendingError)
        return "Registration failed: #{Advice.for_error(registration_error)}" if registration_error
        return "Nothing more to do; the Complete Registration banner goes away on the next health read." if registered?

        Advice.for_report(@report)
      end

      private

      def registered?
        @walk.setup&.registered?
      end

      def read_summary
        return @report.attention_reasons.join(", ") if @report.needs_attention?

        health = @report.health
        ["provisioned, #{Report.lookup(health, :status)}, quality #{Report.lookup(health, :quality_rating)}, " \
         "Meta says #{@report.can_send_message_badge[:value]}", *@report.notes, waba_failure(health)].compact.join("; ")
      end

      def waba_failure(health)
        error = Report.lookup(health, :business_account_error)
        error && "the business account read failed (#{error['class'].sub('WaHealth::', '')}) but the health " \
                 "was still read"
      end

      def setup_summary
        return "webhook setup failed with the same error" if @walk.setup_error
        return "webhook setup postponed until Meta's wait is over" unless @walk.setup
        return registered_summary if registered?

        error = @walk.setup.registration_error
        return "register failed (#{in_words(error)}); #{webhook_done}" if error
        return "not registered while the health is unknown; #{webhook_done}" if @walk.error

        "nothing to register; #{webhook_done}"
      end

      def registered_summary
        "webhook setup registered it (now #{@walk.status_after}); #{webhook_done}"
      end

      # The newest protocol's two steps, and the URL Meta now reports for the number.
      def webhook_done
        "app subscribed, phone-level webhook set#{" (Meta now reports #{@walk.webhook_after})" if @walk.webhook_after}"
      end

      def pending_advice
        now = @walk.next_registration_at
        later = @walk.next_registration_at_once_approved
        "Wait for Meta to approve the display name: next_registration_at answers " \
          "#{now ? Advice.clock(now) : 'nil (no automatic retry)'} while it is in review" \
          "#{later ? ", #{Advice.clock(later)} once it is approved" : ''}."
      end

      def badge_cell(text, key)
        badge = @report&.badges&.find { |card| card[:key] == key }
        badge ? text.badge_cell(badge) : Text::NONE
      end

      def decision_cell(brief)
        return [Text::NONE, nil] unless @report

        decision = @report.decision
        reason = brief ? "" : " (#{decision.reason})"
        decision.register? ? ["register#{reason}", :warning] : ["none#{reason}", :success]
      end

      def setup_cell(brief)
        detailed, short, tone = setup_outcome
        [brief ? short : detailed, tone]
      end

      # The webhook setup's outcome in the table: [in detail, in brief, tone].
      def setup_outcome
        return ["failed: reauthorize", "reauthorize", :danger] if @walk.setup_error
        return ["postponed", "postponed", :warning] unless @walk.setup
        return ["registered, webhook set", "registered", :success] if registered?

        error = @walk.setup.registration_error
        return ["register #{code(error)}, webhook set", "not registered", :warning] if error

        ["webhook set", "webhook set", @walk.error ? :warning : :success]
      end

      # Meta's code, its title for people, and what it means, e.g. `Meta's code 100/2388001 "Cannot Create
      # Certificate": display name pending`.
      def in_words(error)
        return code(error) unless error.is_a?(ApiError)

        title = error.user_title ? " \"#{error.user_title}\"" : ""
        meaning = error.meaning && error.meaning != :other ? ": #{error.meaning.to_s.tr('_', ' ')}" : ""
        "Meta's code #{code(error)}#{title}#{meaning}"
      end

      def code(error)
        return error.class.name.sub("WaHealth::", "") unless error.is_a?(ApiError)

        [error.code, error.subcode].compact.join("/")
      end
    end

    # The demo's text output.
    class DemoText
      HEADERS = ["#", "Scenario", "Status", "Quality", "Name status", "Can send", "Decision", "Webhook setup"].freeze
      # The columns left out, first named first, while the table is too wide even with brief cells: what
      # an operator misses least at a glance (the numbered lines below tell each number's story in words).
      LEFT_OUT_FIRST = ["Quality", "Name status", "Scenario", "Decision"].freeze

      INTRO = "wa_health reads a WhatsApp Business number's health from Meta, decides whether it needs " \
              "registering (and does it without tripping Meta's limits), and sets up its webhooks, for " \
              "Chatwoot. This demo runs %<count>d sample numbers against a fake Graph API on 127.0.0.1 " \
              "(no network, no real token)."

      def initialize(cli, options)
        @text = cli.text(options)
      end

      # The table, as wide as the width allows; then, per number, what happened and what to do.
      def render(walks)
        stories = walks.map { |walk| Story.new(walk) }
        lines = [*@text.wrap(format(INTRO, count: walks.size)), "", *overview(stories), ""]
        walks.zip(stories).each do |walk, story|
          lines.concat(@text.wrap("#{story.happened}.", first: "#{walk.number.to_s.rjust(2)}. "))
          lines.concat(@text.wrap("→ #{story.advice}", first: "    ", indent: "      "))
        end
        lines.join("\n")
      end

      private

      # Every column with the decision's reason and Meta's codes where they fit; else brief cells; else
      # brief cells without the columns of LEFT_OUT_FIRST that do not fit, named under the table.
      def overview(stories)
        variants = [false, true].map do |brief|
          stories.map { |story| story.row(@text, brief: brief).map { |cell| @text.cell(cell) } }
        end
        width = @text.width
        table = Layout.fit_table(HEADERS, variants, width: width, drop: LEFT_OUT_FIRST)
        return @text.wrap("(No table in #{width} columns: the lines below tell each number's story.)") unless table
        return table.lines if table.left_out.empty?

        [*table.lines, *@text.wrap("Left out to fit #{width} columns: #{table.left_out.join(', ')} (all columns " \
                                   "need #{table.full_width}).")]
      end
    end
  end
end
