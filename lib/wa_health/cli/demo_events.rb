# frozen_string_literal: true

require "json"
require "securerandom"

module WaHealth
  class CLI
    # The end of `wa_health demo`: Meta's health webhooks closing the loop for a number stuck on a display
    # name in review. A FakeGraph of its own (with an app secret, never shown) approves the name and POSTs
    # the signed phone_number_name_update to a WaHealth::WebhookEndpoint in this process; its handler
    # applies the event to the stored snapshot and, asked to register_now, does what WaHealth::EventJob
    # does on Sidekiq, inline: reads the health, registers with the stored PIN and reads it again. Then Meta
    # behaves as Meta does: the approval again, three at once; a name change approved and an older
    # rejection delivered after it; an account alert; the PIN changed in WhatsApp Manager; the partner
    # removed, sent to the partner's portfolio with the customer's WABA in waba_info.
    class DemoEvents
      PHONE = "1099"
      WABA = "2099"
      DISPLAY = "+1 555-010-0099"
      # The app's business (the partner), whose portfolio partner events name as their entry.
      PARTNER = "9099"
      NEW_NAME = "Acme Support 99"

      # What happened: the health before, register's answer then, the webhook's status, the health event
      # the endpoint handed over, the actions apply_event asked for, the health after, the seconds from
      # the webhook to reading CONNECTED, and what Meta delivered next (Steps).
      Loop = Struct.new(:before, :stuck_error, :webhook_status, :event, :actions, :registered, :after, :seconds,
                        :steps, :error, keyword_init: true)
      # One more thing Meta does: its deliveries' HTTP statuses and what the handler got (Handled), in order.
      Step = Struct.new(:label, :statuses, :handled, keyword_init: true)
      Handled = Struct.new(:event, :actions, :registered, keyword_init: true)

      def initialize(cli, options)
        @cli = cli
        @options = options
      end

      # The demo's output (its text, or the Hash it prints as JSON) with this section added: the loop
      # `run` walks, or the one given.
      def append_to(output, result = run)
        return JSON.pretty_generate(output.merge("event_loop" => as_json(result))) if output.is_a?(Hash)

        "#{output}\n\n#{render(result)}"
      end

      def run
        secret = SecureRandom.hex(16)
        @cli.secret!(secret)
        Testing::FakeGraph.start(app_secret: secret) do |fake|
          add_number(fake)
          connection = { access_token: fake.access_token, app_secret: secret, base_url: fake.url }
          walk(fake, connection, Loop.new)
        end
      end

      private

      def add_number(fake)
        fake.add_business_account(WABA, name: "Acme WABA 99", owner_business_info: Demo::PORTFOLIO)
        fake.add_phone_number(PHONE, :display_name_pending, business_account: WABA, display_phone_number: DISPLAY)
      end

      def walk(fake, connection, result)
        pin = WaHealth.generate_pin # the channel's stored PIN
        result.before = read(connection)
        result.stuck_error = register(connection, pin)
        @snapshot = result.before
        @handled = []
        fake.webhook_callback = endpoint(connection, pin, result)
        started = monotonic
        result.webhook_status = fake.approve_display_name(PHONE)
        result.seconds = monotonic - started
        result.steps = more_events(fake)
        result
      rescue Error => e
        result.error = e
        result
      end

      # The app's endpoint, with an event ledger of its own (in memory: one process); its handler keeps the
      # channel's snapshot as Channel::Whatsapp#apply_health_event does, and performs register_now at once
      # instead of enqueueing WaHealth::EventJob.
      def endpoint(connection, pin, result)
        WebhookEndpoint.new(app_secret: connection[:app_secret], verify_token: "demo-verify-token",
                            ledger: EventLedger.new(EventLedger::MemoryStore.new),
                            handler: ->(event) { handle(event, connection, pin, result) })
      end

      # Applies an event of this channel's WABA, records it, and performs register_now; the first event is
      # the approval the loop above reports on.
      def handle(event, connection, pin, result)
        actions = event[:waba_id] == WABA ? apply(event) : []
        handled = Handled.new(event: event, actions: actions)
        @handled << handled
        register_now = actions.find { |action| action[:type] == :register_now }
        handled.registered = perform(connection, pin, register_now) if register_now
        record_first(result, handled) if @handled.size == 1
      end

      def record_first(result, handled)
        result.event = handled.event
        result.actions = handled.actions.map { |action| action[:type].to_s }
        result.registered = handled.registered
        result.after = @snapshot unless handled.registered.nil?
      end

      def apply(event)
        @snapshot, actions = WaHealth.apply_event(@snapshot, event)
        actions
      end

      # WaHealth::EventJob's register_now, inline: a stuck number when should_register? says so, a registered
      # one after an approved name change. The health read afterwards becomes the snapshot, as the app's
      # health_sink stores it (keeping the snapshot's event memory).
      def perform(connection, pin, register_now)
        health = read(connection)
        change = register_now[:reason] == :name_change
        registered = (change || WaHealth.should_register?(health)) && register(connection, pin).nil?
        @snapshot = WaHealth.carry_event_memory(registered ? read(connection) : health, @snapshot)
        registered
      end

      # What Meta does after the approval, each delivered to the same endpoint.
      def more_events(fake)
        approval = fake.webhook_deliveries.first
        [step("the approval again, 3 at once") { fake.redeliver(approval, times: 3, concurrently: true) },
         step("a name change approved, an older rejection after it") { name_change(fake) },
         step("account_alerts: a limit increase deferred") do
           [fake.alert(WABA, type: "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", description: "Limits cannot " \
                                                                                               "be increased yet")]
         end,
         step("security: the PIN changed in WhatsApp Manager") do
           [fake.change_pin(PHONE, pin: WaHealth.generate_pin)]
         end,
         step("the partner removed (entry: the partner's portfolio #{PARTNER})") do
           [fake.remove_partner(WABA, partner_business_id: PARTNER)]
         end]
      end

      # The business renames the number; Meta first rejects, then approves the name again submitted, and
      # delivers the approval before the older rejection.
      def name_change(fake)
        fake.request_display_name_change(PHONE, NEW_NAME)
        fake.hold_webhooks
        fake.reject_display_name(PHONE, reason: "NAME_FORMAT_UNACCEPTABLE", time: Time.now.to_i - 60)
        fake.request_display_name_change(PHONE, NEW_NAME)
        fake.approve_display_name(PHONE)
        fake.release_webhooks(order: :reverse)
      end

      def step(label)
        first = @handled.size
        statuses = yield
        Step.new(label: label, statuses: statuses, handled: @handled[first..])
      end

      def read(connection)
        WaHealth.fetch(phone_number_id: PHONE, **connection)
      end

      # nil when Meta accepted the PIN, else the error.
      def register(connection, pin)
        WaHealth.register(phone_number_id: PHONE, pin: pin, **connection)
        nil
      rescue ApiError => e
        e
      end

      def monotonic
        Process.clock_gettime(Process::CLOCK_MONOTONIC)
      end

      def as_json(result)
        { "phone_number_id" => PHONE, "display_phone_number" => DISPLAY,
          "before" => result.before&.slice(:status, :name_status)&.transform_keys(&:to_s),
          "register_before" => error_json(result.stuck_error),
          "webhook" => { "field" => result.event&.fetch(:field), "decision" => result.event&.fetch(:decision),
                         "http_status" => result.webhook_status },
          "actions" => result.actions, "registered" => result.registered == true,
          "status_after" => status_after(result),
          "event_to_connected_ms" => connected?(result) ? (result.seconds * 1000).round(1) : nil,
          "meta_delivers" => steps_json(result.steps), "error" => error_json(result.error) }
      end

      def steps_json(steps)
        (steps || []).map { |step| step_json(step) }
      end

      def step_json(step)
        { "step" => step.label, "http_statuses" => step.statuses,
          "handled" => step.handled.map do |handled|
            { "field" => handled.event[:field], "event" => event_name(handled.event),
              "actions" => handled.actions.map { |action| "#{action[:type]}:#{action[:reason]}" },
              "registered" => handled.registered == true }
          end }
      end

      def error_json(error)
        error && Advice.error_json(error)
      end

      def status_after(result)
        result.after&.fetch(:status, nil)
      end

      # The section's text: one paragraph per step, each wrapped to the width with a hanging indent.
      def render(result)
        text = @cli.text(@options)
        Layout.flow(paragraphs(result, text), text.width).join("\n")
      end

      def paragraphs(result, text)
        lines = ["Meta's health webhooks: the number stuck on its display name, event-driven"]
        return lines << "  failed: #{Advice.error_line(result.error)}" if result.error

        lines << before_line(result)
        lines << "  Meta approves the name: a signed #{event_words(result.event)} reaches " \
                 "WaHealth::WebhookEndpoint → #{result.webhook_status}; " \
                 "apply_event asks #{result.actions&.join(', ') || 'nothing'}"
        lines << after_line(result, text)
        lines << "  Polling instead: Chatwoot reads each number every 6 h (waits up to ~7 h)."
        lines << "  Then Meta, as it does (each event handed to the handler once):"
        lines + (result.steps || []).map { |step| step_paragraph(step) }
      end

      # "  <what Meta did> → <statuses>: <event>: <actions>; <event>: <actions>."
      def step_paragraph(step)
        handled = step.handled.map { |each| "#{event_name(each.event)}: #{handled_words(each)}" }
        handled = ["not handed over again (the event ledger has it)"] if handled.empty?
        "  #{step.label} → #{step.statuses.join(' ')}: #{handled.join('; ')}."
      end

      def handled_words(handled)
        return "not this channel's WABA" if handled.event[:waba_id] != WABA
        return "nothing (older than the last of its field)" if handled.actions.empty?

        words = handled.actions.map { |action| "#{action[:type]} (#{action[:reason]})" }.join(", ")
        handled.registered ? "#{words}, registered again" : words
      end

      def event_name(event)
        event[:event] || event[:decision] || event.dig(:alert_info, :alert_type)
      end

      # "phone_number_name_update APPROVED": the field and decision (or event) of an event handed over.
      def event_words(event)
        event ? [event[:field], event_name(event)].compact.join(" ") : "webhook"
      end

      def before_line(result)
        before = result.before
        error = result.stuck_error
        answer = error ? "#{[error.code, error.subcode].compact.join('/')} \"#{error.user_title}\"" : "ok"
        "  #{PHONE} (#{DISPLAY.tr(' ', Layout::GLUE)}): #{before[:status]}, name #{before[:name_status]}; " \
          "register answered #{answer}"
      end

      def after_line(result, text)
        return "  not registered: the number reads #{status_after(result) || 'unknown'}" unless connected?(result)

        "  registered with the stored PIN → #{text.paint('CONNECTED', :success)}, " \
          "#{format('%.1f', result.seconds * 1000)}#{Layout::GLUE}ms after the event " \
          "(inline in this process; through Sidekiq: bench/RESULTS.md, section 7)"
      end

      def connected?(result)
        result.registered && status_after(result) == "CONNECTED"
      end
    end
  end
end
