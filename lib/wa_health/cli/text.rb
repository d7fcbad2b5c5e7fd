# frozen_string_literal: true

module WaHealth
  class CLI
    # A command's text output: badges coloured by tone on a terminal, laid out (by WaHealth::CLI::Layout)
    # for `width` columns.
    class Text
      COLORS = { success: "32", warning: "33", danger: "31" }.freeze
      NONE = "-"

      attr_reader :width

      def initialize(color:, width: Float::INFINITY)
        @color = color
        @width = width
      end

      def paint(text, tone)
        code = COLORS[tone]
        @color && code ? "\e[1;#{code}m#{text}\e[0m" : text
      end

      # A cell (a String, or a [String, tone] pair) as it prints: painted by its tone.
      def cell(cell)
        text, tone = cell.is_a?(Array) ? cell : [cell, nil]
        paint(text.to_s, tone)
      end

      # rows: Arrays of cells. Columns are as wide as their widest cell shows, colour aside; a last column
      # wider than the rest of the line wraps inside its column.
      def table(headers, rows, indent: "")
        cells = [*(headers ? [headers] : []), *rows].map { |row| row.map { |text| cell(text) } }
        Layout.table(cells, indent: indent, width: @width).join("\n")
      end

      # `text` wrapped to the width: `first` starts its first line, `indent` the others.
      def wrap(text, first: "", indent: " " * Layout.visible_width(first))
        Layout.wrap(text, @width, first: first, indent: indent)
      end

      # `wa_health check`'s text: the cards, Meta's verdict, the decision, the link and the advice.
      def report(report)
        rows = [*report.badges, report.can_send_message_badge].map { |badge| [badge[:label], badge_cell(badge)] }
        rows << ["Status", Report.lookup(report.health, :status) || NONE]
        rows << ["Registration", decision_text(report.decision)]
        rows << ["WhatsApp Manager", report.manager_url]
        [title(report), table(nil, rows, indent: "  "), *result_lines(report)].join("\n")
      end

      def badge_cell(badge)
        [badge[:value].nil? ? NONE : badge[:value].to_s, badge[:tone]]
      end

      def decision_text(decision)
        "#{decision.register? ? 'register' : 'not needed'} (#{decision.reason}): #{decision.message}"
      end

      private

      def title(report)
        health = report.health
        name = [Report.lookup(health, :verified_name), Report.lookup(health, :display_phone_number)].compact
        id = Report.lookup(health, :id)
        "#{name.empty? ? 'Phone number' : name.join('  ')}#{"  (phone number id #{id})" if id}"
      end

      def result_lines(report)
        unless report.needs_attention?
          return wrap("#{paint('healthy', :success)}. #{Advice.for_report(report)}", first: "Result: ", indent: "  ")
        end

        [*wrap("#{paint('needs attention', :warning)}: #{report.attention_reasons.join('; ')}.", first: "Result: ",
                                                                                                 indent: "  "),
         *wrap(Advice.for_report(report), first: "What to do: ", indent: "  ")]
      end
    end

    # What happened and what an operator should do, in one sentence each.
    module Advice
      module_function

      # "authorization_error", "rate_limit_error", "api_error", "timeout_error", ...: the error's class.
      def error_type(error)
        error.class.name.split("::").last.gsub(/(?<=[a-z0-9])(?=[A-Z])/, "_").downcase
      end

      def error_line(error)
        user = [error.respond_to?(:user_title) && error.user_title,
                error.respond_to?(:user_message) && error.user_message].select { |text| text.is_a?(String) }
        message = error.message.delete_prefix("WhatsApp API request failed: ")
        "#{error.class.name.sub('WaHealth::', '')}: #{message}#{" (#{user.join(': ')})" if user.any?}"
      end

      def for_error(error, now: Time.now)
        case error
        when AuthorizationError
          "The token is expired or lacks a permission: reauthorize the inbox (run the embedded signup again); " \
          "retrying with this token cannot help."
        when RateLimitError then rate_limit_advice(error, now)
        when DisplayNamePendingError then "Wait until Meta approves the display name, then register again."
        when ApiError then api_error_advice(error)
        when TimeoutError, ConnectionError then "The Graph API could not be reached: check the network, then retry."
        when InvalidResponseError then "The Graph API answered something unexpected: retry later."
        else "Check the arguments (see --help)."
        end
      end

      def for_report(report)
        steps = report.health_problems.map { |problem| problem_text(problem) }
        steps << registration_advice(report.decision) if report.decision.register? || report.registration_incomplete?
        steps << risk_advice(report) if report.risky?
        steps << "Submit a new display name in WhatsApp Manager." if report.attention_reasons.any?(/display name/)
        steps.empty? ? "Nothing to do." : steps.join(" ")
      end

      # Names only what makes the number risky: the other fact may be fine, or missing.
      def risk_advice(report)
        facts = report.risk_reasons.map { |reason| "the #{reason}" }
        "Open WhatsApp Manager (#{report.manager_url}) to see why #{facts.join(' and ')}, before Meta limits " \
          "the number further."
      end

      def problem_text(problem)
        code, description, solution = %i[error_code description possible_solution].map { |key| present(problem[key]) }
        state = "#{problem[:can_send_message]}#{problem_detail(code, description)}"
        sentences = ["Meta: #{entity_name(problem)} is #{state}"]
        sentences << "Possible solution: #{solution}" if solution
        sentences.map { |sentence| sentence.end_with?(".") ? sentence : "#{sentence}." }.join(" ")
      end

      def entity_name(problem)
        name = [problem[:entity_type], problem[:id]].filter_map { |part| present(part) }.join(" ")
        name.empty? ? "an entity" : name
      end

      # ": 141010 The Business has not passed...", ": error 141010" without a description, or "" for neither.
      def problem_detail(code, description)
        return ": #{[code, description].compact.join(' ')}" if description

        code ? ": error #{code}" : ""
      end

      # The text of a value Meta sent, or nil for none or a blank one.
      def present(value)
        text = value.to_s.strip
        text unless text.empty?
      end

      def registration_advice(decision)
        if decision.display_name_pending?
          "Wait until Meta approves the display name, then complete the registration (Chatwoot's " \
            "Complete Registration button runs webhook setup, which registers)."
        else
          "Complete the registration: Chatwoot's Complete Registration button runs webhook setup " \
            "(WaHealth::WebhookSetup), which registers the number."
        end
      end

      def rate_limit_advice(error, now)
        return "Rate limited: back off before calling Meta again (Meta did not say how long)." unless error.retry_after

        "Rate limited: do not call Meta for this business again for #{error.retry_after}s " \
          "(until #{clock(now + error.retry_after)})."
      end

      def api_error_advice(error)
        if error.transient?
          "A temporary failure at Meta or a proxy: retry later with backoff; nothing is known to be wrong " \
            "with the number."
        elsif error.code
          "Meta refused the request: look up code #{error.code} in Meta's error reference."
        else
          "Meta refused the request without an error code#{" (HTTP #{error.http_status})" if error.http_status}: " \
            "check the ids, the API version and the token's permissions."
        end
      end

      def clock(time)
        time.utc.strftime("%Y-%m-%d %H:%M:%S UTC")
      end

      def error_json(error)
        data = { "class" => error.class.name, "message" => error.message }
        return data unless error.is_a?(ApiError)

        data.merge("http_status" => error.http_status, "code" => error.code, "subcode" => error.subcode,
                   "transient" => error.transient?, "authorization_error" => error.authorization_error?,
                   "retry_after" => error.retry_after, "user_title" => error.user_title,
                   "user_message" => error.user_message, "fbtrace_id" => error.fbtrace_id)
      end
    end
  end
end
