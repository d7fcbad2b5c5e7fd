# frozen_string_literal: true

require "timeout"

# An event_handler that blocks until released, for the specs of WebhookEndpoint's handler cap: entered
# tells when a call is inside, release lets one call out.
class BlockingHandler
  def initialize
    @inside = Queue.new
    @released = Queue.new
  end

  def call(_event)
    @inside << true
    @released.pop
  end

  # Waits (at most timeout seconds) until a call is inside.
  def entered(timeout: 30)
    Timeout.timeout(timeout) { @inside.pop }
  end

  def release(count = 1)
    count.times { @released << true }
  end
end
