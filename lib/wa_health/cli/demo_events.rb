# frozen_string_literal: true

require "json"
require "securerandom"

module WaHealth
  class CLI
    # The end of `wa_health demo`: Meta's health webhooks closing the loop for a number stuck on a display
    # name in review. A FakeGraph of its own (with an app secret, never shown) approves the name and POSTs
    # the signed phone_number_name_update to a WaHealth::WebhookEndpoint in this process; its handler
    # applies the event to the stored snapshot and, asked to register_now, does what WaHealth::EventJob
    # does on Sidekiq, inline: reads the health, registers with the stored PIN and reads it again.
    class DemoEvents
      PHONE = "1099"
      WABA = "2099"
      DISPLAY = "+1 555-010-0099"

      # What happened: the health before, register's answer then, the webhook's status, the health event
      # the endpoint handed over, the actions apply_event asked for, the health after, and the seconds from
      # the webhook to reading CONNECTED.
      Loop = Struct.new(:before, :stuck_error, :webhook_status, :event, :actions, :registered, :after, :seconds,
                        :error, keyword_init: true)

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
        fake.webhook_callback = endpoint(connection, pin, result)
        started = monotonic
        result.webhook_status = fake.approve_display_name(PHONE)
        result.seconds = monotonic - started
        result
      rescue Error => e
        result.error = e
        result
      end

      # The app's endpoint; its handler keeps the channel's snapshot as Channel::Whatsapp#apply_health_event
      # does, and performs register_now at once instead of enqueueing WaHealth::EventJob.
      def endpoint(connection, pin, result)
        snapshot = result.before
        WebhookEndpoint.new(app_secret: connection[:app_secret], verify_token: "demo-verify-token",
                            handler: lambda do |event|
                              result.event = event
                              snapshot, actions = WaHealth.apply_event(snapshot, event)
                              result.actions = actions.map { |action| action[:type].to_s }
                              perform(connection, pin, result) if result.actions.include?("register_now")
                            end)
      end

      # WaHealth::EventJob's register_now, inline.
      def perform(connection, pin, result)
        health = read(connection)
        result.registered = WaHealth.should_register?(health) && register(connection, pin).nil?
        result.after = result.registered ? read(connection) : health
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
          "error" => error_json(result.error) }
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
      end

      # "phone_number_name_update APPROVED": the field and decision of the event the endpoint handed over.
      def event_words(event)
        event ? event.values_at(:field, :decision).compact.join(" ") : "webhook"
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
