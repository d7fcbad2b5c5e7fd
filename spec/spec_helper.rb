# frozen_string_literal: true

require "wa_health"
require "wa_health/testing"

# Every example that talks to Meta talks to this: a real HTTP server on 127.0.0.1.
module FakeGraphContext
  def self.included(base)
    base.let(:fake) { WaHealth::Testing::FakeGraph.new.start }
    base.let(:token) { fake.access_token }
    base.after { fake.stop }
  end

  def connection_options
    { base_url: fake.url }
  end
end

# Wall time of a block, for the specs that bound how long something may take.
module Timing
  def elapsed
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    yield
    Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  end
end

RSpec.configure do |config|
  config.include Timing
  config.disable_monkey_patching!
  config.order = :random
  Kernel.srand config.seed
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  # A ledger of its own for each example, in memory: the specs of the Redis one start redis-server.
  config.before do
    WaHealth.reset_config!
    WaHealth.config.event_ledger = WaHealth::EventLedger.new(WaHealth::EventLedger::MemoryStore.new)
  end
end
