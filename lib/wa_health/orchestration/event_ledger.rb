# frozen_string_literal: true

require "securerandom"

module WaHealth
  # Remembers which of Meta's webhook events were acted on, so that each is acted on once however many
  # times Meta delivers it: duplicates at once (several apps subscribed, a retry racing the original),
  # retries for days after an answer other than 200, and Sidekiq running a job again. It does not depend on
  # what the app stores: WaHealth::WebhookEndpoint claims each event's event_id (WaHealth::Webhook.parse)
  # before calling the event_handler, and WaHealth::EventJob claims (channel, event) before performing.
  #
  # A claim is a record under "wa_health:event:<scope>:<id>" that is either held (a lease: whoever holds
  # it is acting now) or done. Claiming is one atomic step (SET if absent), so of two deliveries at once
  # exactly one acts:
  #
  # - absent (never seen, or forgotten): claimed, with a lease of `lease` seconds; the holder acts, then
  #   marks it done (kept `ttl` seconds) or, when acting failed, releases it so the next delivery acts;
  # - done: a duplicate, nothing to do;
  # - held by another: busy; the caller answers so that the event comes again later (the endpoint: 503,
  #   Meta retries; the job: it runs again a little later). A holder that died (SIGKILL) holds it until
  #   its lease runs out.
  #
  # How long it remembers: DEFAULT_TTL, 8 days: Meta retries for up to 7 days ("we will keep trying ...
  # for up to 7 days", webhooks overview; its endpoint page says 36 hours), plus a day. An event
  # delivered again after that is acted on again. Keys are 32 hex digits; a done record is a few dozen
  # bytes in Redis. Redis must not evict them (Sidekiq already requires maxmemory-policy noeviction).
  #
  # When the store is unavailable (Redis down or refusing), every step raises EventLedger::Unavailable
  # and nothing acts: the endpoint answers 503 and Meta delivers the event again later, since acting
  # without a record could act twice and Redis down also means no job could be enqueued. One window
  # remains: if the store fails between acting and recording "done", the lease expires and a later
  # delivery acts again (the job's own claim then keeps the job to one run when Redis is back).
  class EventLedger
    # Meta's longest retry period (7 days) and a day to spare, in seconds.
    DEFAULT_TTL = 8 * 24 * 3600
    KEY_PREFIX = "wa_health:event:"
    DONE = "done"
    # What claim answers when the event is not the caller's to act on.
    DUPLICATE = :duplicate
    BUSY = :busy

    # The store could not be read or written: nothing was acted on. Names the store's error class only (a
    # Redis URL in a message could carry a password).
    class Unavailable < Error; end

    # A claim the caller holds: the record's key and the lease's token.
    Claim = Struct.new(:key, :token)

    attr_reader :store, :ttl

    # The ledger the gem uses: WaHealth.config.event_ledger, else Redis through Sidekiq.redis when Sidekiq is
    # loaded, else this process's memory (one Puma worker's duplicates only: configure Redis for more).
    def self.current
      WaHealth.config.event_ledger || (defined?(::Sidekiq) ? redis : memory)
    end

    # A ledger on Redis: Sidekiq.redis by default, or `redis`, anything with `with { |conn| }` (a
    # ConnectionPool) or a connection (`call(*command)`: redis-rb 4+ or redis-client).
    def self.redis(redis = nil, ttl: DEFAULT_TTL)
      new(RedisStore.new(redis), ttl: ttl)
    end

    # This process's ledger in memory (one per process, shared by its threads).
    def self.memory
      MEMORY_LOCK.synchronize { @memory ||= new(MemoryStore.new) }
    end
    MEMORY_LOCK = Mutex.new
    private_constant :MEMORY_LOCK

    def initialize(store, ttl: DEFAULT_TTL)
      %i[claim complete release].each do |method|
        raise ArgumentError, "store must respond to #{method}" unless store.respond_to?(method)
      end
      raise ArgumentError, "ttl must be a positive Integer (seconds)" unless ttl.is_a?(Integer) && ttl.positive?

      @store = store
      @ttl = ttl
    end

    # A Claim the caller now holds for `lease` seconds, or DUPLICATE or BUSY. scope: what acts ("webhook",
    # "job:<channel id>"); id: the event's event_id.
    def claim(scope, id, lease:)
      key = "#{KEY_PREFIX}#{scope}:#{id}"
      token = "lease:#{SecureRandom.hex(8)}"
      case guarded { store.claim(key, token, milliseconds(lease), DONE) }
      when :claimed then Claim.new(key, token)
      when :done then DUPLICATE
      else BUSY
      end
    end

    # The claim's event was acted on: remembered for ttl seconds.
    def complete(claim)
      guarded { store.complete(claim.key, DONE, ttl) }
    end

    # Acting failed: the next delivery may claim it at once.
    def release(claim)
      guarded { store.release(claim.key, claim.token) }
    end

    # Runs the block when the event is this caller's to act on and records it done; releases the claim when
    # the block raises (anything, Sidekiq's shutdown and Timeout's included) and raises again. Returns
    # :performed, DUPLICATE or BUSY (the block not run).
    def once(scope, id, lease:)
      claim = claim(scope, id, lease: lease)
      return claim unless claim.is_a?(Claim)

      begin
        yield
      rescue Exception # rubocop:disable Lint/RescueException -- the claim is given back whatever stopped the work
        release_quietly(claim)
        raise
      end
      complete(claim)
      :performed
    end

    def inspect
      "#<#{self.class.name} #{store.class.name} ttl=#{ttl}>"
    end

    private

    def guarded
      yield
    rescue Unavailable
      raise
    rescue StandardError => e
      raise Unavailable, "the event ledger's store is unavailable (#{e.class})"
    end

    def release_quietly(claim)
      release(claim)
    rescue Unavailable
      nil # the lease runs out by itself
    end

    def milliseconds(seconds)
      unless seconds.is_a?(Numeric) && seconds.positive?
        raise ArgumentError,
              "lease must be a positive number of seconds"
      end

      (seconds * 1000).ceil
    end

    # Redis: each step is one command or one script, so it is atomic for every process on the same Redis.
    class RedisStore
      # GET, and SET with the lease only when absent, in one step; answers claimed, done or busy.
      CLAIM = <<~LUA
        local value = redis.call('GET', KEYS[1])
        if not value then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 'claimed'
        end
        if value == ARGV[3] then return 'done' end
        return 'busy'
      LUA
      # Deletes the record only while it is still this lease (not another holder's, not done).
      RELEASE = <<~LUA
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
      LUA

      def initialize(redis = nil)
        @redis = redis
      end

      def claim(key, token, lease_ms, done)
        command("EVAL", CLAIM, 1, key, token, lease_ms.to_s, done).to_sym
      end

      # Done whoever holds it now: the event was acted on.
      def complete(key, done, ttl)
        command("SET", key, done, "EX", ttl.to_s)
        true
      end

      def release(key, token)
        command("EVAL", RELEASE, 1, key, token).to_i == 1
      end

      # What the key holds (a lease token, "done") and its remaining milliseconds, for specs and operators.
      def peek(key)
        [command("GET", key), command("PTTL", key).to_i]
      end

      private

      def command(*args)
        with_connection { |conn| conn.call(*args) }
      end

      def with_connection(&)
        return ::Sidekiq.redis(&) if @redis.nil?
        return @redis.with(&) if @redis.respond_to?(:with)

        yield @redis
      end
    end

    # One process's memory, shared by its threads: for tests and a single process (duplicates that reach
    # another process are not seen).
    class MemoryStore
      # Expired records are dropped every this many claims.
      PRUNE_EVERY = 1024

      def initialize(clock: -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) })
        @clock = clock
        @records = {}
        @lock = Mutex.new
        @claims = 0
      end

      def claim(key, token, lease_ms, done)
        @lock.synchronize do
          prune if ((@claims += 1) % PRUNE_EVERY).zero?
          value = live(key)
          next :done if value == done
          next :busy if value

          @records[key] = [token, @clock.call + (lease_ms / 1000.0)]
          :claimed
        end
      end

      def complete(key, done, ttl)
        @lock.synchronize { @records[key] = [done, @clock.call + ttl] }
        true
      end

      def release(key, token)
        @lock.synchronize { live(key) == token && !@records.delete(key).nil? }
      end

      def peek(key)
        @lock.synchronize do
          value, expires = @records[key]
          value && live(key) ? [value, ((expires - @clock.call) * 1000).ceil] : [nil, -2]
        end
      end

      def size
        @lock.synchronize { @records.count { |key, _| live(key) } }
      end

      private

      def live(key)
        value, expires = @records[key]
        return nil unless value
        return value if expires > @clock.call

        @records.delete(key)
        nil
      end

      def prune
        now = @clock.call
        @records.delete_if { |_, (_, expires)| expires <= now }
      end
    end
  end
end
