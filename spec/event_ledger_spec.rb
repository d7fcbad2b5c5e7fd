# frozen_string_literal: true

require "sidekiq"
require_relative "sidekiq/redis_server"

# WaHealth::EventLedger: each event claimed once, across threads and processes sharing a Redis, for at least
# Meta's 7 days of retries; nothing acts when the store is down.
RSpec.describe WaHealth::EventLedger do
  event_id = "0123456789abcdef0123456789abcdef"

  # Claims the same event from `count` threads released together; the :performed, :duplicate and :busy
  # answers, and how many times the block ran.
  def race(ledger, count, hold: 0.2)
    runs = Queue.new
    gate = Queue.new
    threads = Array.new(count) do
      Thread.new do
        gate.pop
        ledger.once("webhook", "0123456789abcdef0123456789abcdef", lease: 30) do
          runs << 1
          sleep hold # still acting when the others try
        end
      end
    end
    count.times { gate << true }
    [threads.map(&:value), runs.size]
  end

  shared_examples "an event ledger" do
    it "acts once on an event delivered many times at once, and never again after" do
      answers, runs = race(ledger, 12)
      expect(runs).to eq(1)
      expect(answers.tally).to eq(performed: 1, busy: 11)
      expect(ledger.once("webhook", event_id, lease: 30) { raise "must not run" }).to eq(:duplicate)
      # Another scope (a job for a channel) is a claim of its own.
      expect(ledger.once("job:1", event_id, lease: 30) { :ran }).to eq(:performed)
    end

    it "gives the claim back when acting raises (anything), so the next delivery acts" do
      expect { ledger.once("webhook", event_id, lease: 30) { raise Interrupt } }.to raise_error(Interrupt)
      expect { ledger.once("webhook", event_id, lease: 30) { raise "db down" } }.to raise_error("db down")
      ran = false
      expect(ledger.once("webhook", event_id, lease: 30) { ran = true }).to eq(:performed)
      expect(ran).to be(true)
    end

    it "leaves a claim held by another holder alone" do
      claim = ledger.claim("webhook", event_id, lease: 30)
      expect(claim).to be_a(described_class::Claim)
      expect(ledger.claim("webhook", event_id, lease: 30)).to eq(:busy)
      stranger = described_class::Claim.new(claim.key, "lease:not-mine")
      expect(ledger.release(stranger)).to be(false)
      expect(ledger.claim("webhook", event_id, lease: 30)).to eq(:busy)
      expect(ledger.release(claim)).to be(true)
      expect(ledger.claim("webhook", event_id, lease: 30)).to be_a(described_class::Claim)
    end

    it "remembers a done event for 8 days (Meta retries for up to 7)" do
      ledger.once("webhook", event_id, lease: 30) { nil }
      value, milliseconds = ledger.store.peek("wa_health:event:webhook:#{event_id}")
      expect(value).to eq("done")
      expect(milliseconds).to be > 7 * 24 * 3600 * 1000
      expect(milliseconds).to be <= described_class::DEFAULT_TTL * 1000
    end
  end

  describe "in memory" do
    let(:now) { [1_000.0] }
    let(:ledger) { described_class.new(described_class::MemoryStore.new(clock: -> { now.first })) }

    include_examples "an event ledger"

    it "frees a claim whose holder died once its lease runs out, and forgets done events after the ttl" do
      ledger.claim("webhook", event_id, lease: 15)
      now[0] += 14
      expect(ledger.claim("webhook", event_id, lease: 15)).to eq(:busy)
      now[0] += 2
      claim = ledger.claim("webhook", event_id, lease: 15)
      ledger.complete(claim)
      now[0] += 7 * 24 * 3600
      expect(ledger.claim("webhook", event_id, lease: 15)).to eq(:duplicate)
      now[0] += 24 * 3600
      expect(ledger.claim("webhook", event_id, lease: 15)).to be_a(described_class::Claim)
    end

    it "drops expired records as it goes, so a long-running process does not grow" do
      store = ledger.store
      (described_class::MemoryStore::PRUNE_EVERY * 2).times do |i|
        ledger.once("webhook", format("%032x", i), lease: 1) { nil }
        now[0] += 1_000 # each done record outlives only a few hundred claims
      end
      expect(store.size).to be < described_class::MemoryStore::PRUNE_EVERY
    end
  end

  describe "on Redis (redis-server, through a Sidekiq connection pool)" do
    before(:context) do
      @server = RedisServer.start
      Redis.silence_deprecations = true if defined?(Redis)
      @pool = Sidekiq::RedisConnection.create(url: @server.url, size: 12)
    end

    after(:context) do
      @pool&.shutdown(&:close)
      @server&.stop
    end

    before { @pool.with { |conn| conn.call("FLUSHALL") } }

    let(:ledger) { described_class.redis(@pool) }

    include_examples "an event ledger"

    it "acts once when two processes race for the same event" do
      readers = Array.new(2) do
        reader, writer = IO.pipe
        pid = fork do
          reader.close
          Sidekiq::RedisConnection.create(url: @server.url, size: 1).then do |pool|
            answer = described_class.redis(pool).once("webhook", event_id, lease: 30) { sleep 0.3 }
            writer.write(answer.to_s)
          end
          exit!(0)
        end
        writer.close
        [reader, pid]
      end
      answers = readers.map do |reader, pid|
        Process.wait(pid)
        reader.read.tap { reader.close }
      end
      expect(answers.sort).to eq(%w[busy performed])
    end

    it "holds a claim for its lease only: a holder killed mid-event blocks the event no longer than that" do
      ledger.claim("webhook", event_id, lease: 0.2)
      expect(ledger.claim("webhook", event_id, lease: 0.2)).to eq(:busy)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
      claimed = nil
      until claimed.is_a?(described_class::Claim) || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        sleep 0.05
        claimed = ledger.claim("webhook", event_id, lease: 30)
      end
      expect(claimed).to be_a(described_class::Claim)
    end

    it "raises Unavailable, naming no URL or password, when Redis is down, so nothing acts" do
      down = RedisServer.start
      url = down.url.sub("redis://", "redis://:s3cret-redis-password@")
      pool = Sidekiq::RedisConnection.create(url: url, size: 1)
      down.stop
      ran = false
      expect { described_class.redis(pool).once("webhook", event_id, lease: 30) { ran = true } }
        .to raise_error(described_class::Unavailable) { |e|
          expect(e.message).not_to include("s3cret")
          expect(e.message).not_to include("127.0.0.1")
        }
      expect(ran).to be(false)
    ensure
      pool&.shutdown(&:close)
    end
  end

  it "is the configured one, else Redis through Sidekiq.redis when Sidekiq is loaded" do
    configured = described_class.new(described_class::MemoryStore.new)
    WaHealth.config.event_ledger = configured
    expect(described_class.current).to equal(configured)
    WaHealth.config.event_ledger = nil
    expect(described_class.current.store).to be_a(described_class::RedisStore)
    expect { WaHealth.config.event_ledger = Object.new }.to raise_error(ArgumentError, /event_ledger/)
    expect { described_class.new(Object.new) }.to raise_error(ArgumentError, /store/)
    expect { described_class.new(described_class::MemoryStore.new, ttl: 0) }.to raise_error(ArgumentError, /ttl/)
  end
end
