# frozen_string_literal: true

module WaHealth
  module Testing
    class FakeGraph
      # What Meta's deliveries do besides arriving once and in order (part of Deliveries): the same body
      # again, several at once, and bodies held back then sent newest first.
      module DeliveryFaults
        # Delivers a body already delivered (default: the last one) again, byte for byte, `times` times, one
        # after the other or all at once (concurrently: true, one thread each), as Meta does when it retries
        # or duplicates. Returns the HTTP statuses, in the order the deliveries were started.
        def redeliver(delivery = webhook_deliveries.last, times: 1, concurrently: false)
          raise ArgumentError, "no delivery to deliver again" unless delivery

          send_again = -> { deliver_webhook(delivery.body, field: delivery.field) }
          return Array.new(times) { send_again.call } unless concurrently

          gate = Queue.new
          threads = Array.new(times) { Thread.new { gate.pop && send_again.call } }
          times.times { gate << true }
          threads.map(&:value)
        end

        # Keeps every delivery from now on instead of sending it (the methods above return nil), until
        # release_webhooks: to deliver events late or out of order.
        def hold_webhooks
          @delivery_lock.synchronize { @held ||= [] }
          self
        end

        # Sends the deliveries kept since hold_webhooks, in the order they were made (order: :made) or the
        # newest first (order: :reverse), each `times` times (all at once with concurrently: true), and stops
        # keeping; returns their HTTP statuses in sending order.
        def release_webhooks(order: :reverse, times: 1, concurrently: false)
          raise ArgumentError, "order must be :made or :reverse" unless %i[made reverse].include?(order)

          held = @delivery_lock.synchronize { @held.tap { @held = nil } } || []
          held = held.reverse if order == :reverse
          held.flat_map do |raw, field|
            redeliver(Deliveries::Delivery.new(field: field, body: raw), times: times, concurrently: concurrently)
          end
        end
      end
    end
  end
end
