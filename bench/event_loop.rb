# frozen_string_literal: true

require_relative "../spec/sidekiq/event_loop"

module WaHealthBench
  # Measurement 7 (issue 15): how long a number stuck on its display name waits once Meta approves the name,
  # when the approval arrives as a webhook: FakeGraph's signed POST to WaHealth::WebhookEndpoint (Puma, in
  # this process), the app's handler enqueueing WaHealth::EventJob into redis-server, and a separate
  # `sidekiq` process registering the number (spec/sidekiq/event_loop.rb, as the spec runs it).
  module EventLoopBench
    # Chatwoot's polling alternative: each channel's health is read every 6 hours by a scheduler that
    # runs hourly, so an approval waits up to ~7 h (3.5 h on average) before the read that registers.
    POLL_AVERAGE = "~3.5 h (average)"
    POLL_WORST = "~7 h (worst case)"
    TARGET_SECONDS = 2.0

    def event_loop
      outcomes = run_event_loop(scale.rounds)
      registered = outcomes.map(&:registered_after)
      connected = outcomes.map(&:connected_after)
      Section.new(
        title: "7. Name approval to registration: Meta's webhook through the endpoint and a Sidekiq process",
        headers: %w[path median max],
        rows: [["webhook sent → Meta accepted the registration", ms(median(registered)), ms(registered.max)],
               ["webhook sent → the worker read the number CONNECTED", ms(median(connected)), ms(connected.max)],
               ["polling instead (Chatwoot: every 6 h per channel, hourly scheduler)", POLL_AVERAGE, POLL_WORST]],
        notes: event_loop_notes(outcomes.size),
        facts: { event_to_registered_max: registered.max }
      )
    end

    private

    # One approval per round, each of another stuck number, on one running loop (the worker is booted
    # once, as in production); the first round includes the worker's first connection to the Graph API.
    def run_event_loop(rounds)
      loop = EventLoop.start(channels: 1..rounds)
      outcomes = (1..rounds).map { |channel| loop.approve(channel) }
      bad = outcomes.reject { |o| o.webhook_status == 200 && o.registration == "accepted" && o.status == "CONNECTED" }
      return outcomes if bad.empty?

      raise "event loop: #{bad.size} round(s) did not register: #{bad.first.to_h.slice(:webhook_status, :status)}"
    ensure
      loop&.stop
    end

    def event_loop_notes(rounds)
      "#{rounds} approval(s), each of another number stuck on a pending display name (PENDING, name " \
        "PENDING_REVIEW), all on 127.0.0.1, FakeGraph answering at once. Timed from just before FakeGraph's " \
        "signed phone_number_name_update APPROVED is POSTed to WaHealth::WebhookEndpoint (served by Puma in " \
        "the benchmark's process; its handler applies the event and enqueues WaHealth::EventJob into " \
        "redis-server) to the moment the `sidekiq` process (one, 2 threads, already booted) had Meta accept " \
        "the registration with the stored PIN, and read the number CONNECTED (WaHealth.health_sink). Both " \
        "processes read CLOCK_MONOTONIC. Meta's own delay between the decision and the webhook, and the " \
        "Graph API's real round trips (a fetch, a register and a fetch), are not included."
    end

    def ms(seconds)
      format("%.1f ms", seconds * 1000)
    end
  end
end
