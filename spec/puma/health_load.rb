# frozen_string_literal: true

require "json"
require "net/http"

# Concurrent GETs of the inboxes health endpoint against a PumaCluster: `concurrency` Ruby threads, each
# with its own Net::HTTP keep-alive connection, `count` requests in all, round robin over the cluster's
# inboxes. Every answer is checked (status 200 and the inbox's own display_phone_number).
#
# A request that gets no answer at all (the connection closed or reset before a status line, as when Puma
# closes an idle keep-alive connection during a restart, or a worker is killed) is recorded as a failure and
# sent once more on a new connection, as Net::HTTP and proxies do for an idempotent GET; `lost` counts the
# requests that got no correct answer even then. Bounded by `count` and by `deadline` (seconds).
class HealthLoad
  NO_ANSWER = [EOFError, Errno::ECONNRESET, Errno::EPIPE, Errno::ECONNREFUSED, Errno::ECONNABORTED].freeze

  # failures: one Hash per request that got no answer on its first try (thread, the pid of the worker its
  # connection was bound to, nil for a connection not answered on yet, the error's class, whether it was
  # the retry, the monotonic time). answered_by: worker pid => answers.
  Result = Struct.new(:requested, :answered, :lost, :wrong, :failures, :answered_by, :seconds, :finished,
                      keyword_init: true) do
    def rate
      answered / seconds
    end
  end

  attr_reader :bound

  def initialize(cluster, concurrency:)
    @cluster = cluster
    @concurrency = concurrency
    # Per thread: the pid of the worker that answered last on its connection (nil: not answered yet).
    @bound = Array.new(concurrency)
  end

  # Yields once, from the calling thread, when `at` requests have been answered (to restart or kill
  # something mid-run); the block's value is returned with the result.
  def run(count:, deadline:, at: nil, &during)
    @state = { next: 0, answered: 0, lost: 0, wrong: [], failures: [], answered_by: Hash.new(0) }
    @mutex = Mutex.new
    started = now
    @stop_at = started + deadline
    threads = Array.new(@concurrency) { |i| Thread.new { work(i, count) } }
    value = at ? wait_for(at, count, &during) : nil
    threads.each(&:join)
    [result(count, now - started), value]
  ensure
    threads&.each(&:kill)
  end

  private

  def wait_for(answered, count)
    sleep 0.005 until @mutex.synchronize { @state[:answered] + @state[:lost] } >= [answered, count].min ||
                      now > @stop_at
    yield
  end

  def result(count, seconds)
    @mutex.synchronize do
      Result.new(requested: count, answered: @state[:answered], lost: @state[:lost], wrong: @state[:wrong],
                 failures: @state[:failures], answered_by: @state[:answered_by], seconds: seconds,
                 finished: @state[:answered] + @state[:lost] + @state[:wrong].size == count)
    end
  end

  def work(index, count)
    http = connect
    loop do
      n = @mutex.synchronize { @state[:next] < count && now < @stop_at ? (@state[:next] += 1) : nil }
      break unless n

      http = request(index, http, @cluster.inboxes[n % @cluster.inboxes.size])
    end
  ensure
    http&.finish if http&.started?
  end

  # Returns the connection to use next (a new one after a failure).
  def request(index, http, inbox, retried: false)
    http.start unless http.started?
    response = http.request(Net::HTTP::Get.new(inbox.path, "api_access_token" => inbox.user_token))
    check(index, inbox, response)
    http
  rescue *NO_ANSWER, Net::ReadTimeout, Net::OpenTimeout, IOError => e
    record_failure(index, e, retried)
    http.finish if http.started?
    fresh = connect
    @bound[index] = nil
    !retried && no_answer?(e) ? request(index, fresh, inbox, retried: true) : fresh
  end

  def check(index, inbox, response)
    pid = response["x-worker-pid"].to_i
    # Puma closes a keep-alive connection when it is at capacity; Net::HTTP then opens a new one, to any worker.
    @bound[index] = response["connection"].to_s.casecmp?("close") ? nil : pid
    body = JSON.parse(response.body) if response["content-type"].to_s.include?("json")
    ok = response.code == "200" && body.is_a?(Hash) && body["display_phone_number"] == inbox.display_phone_number
    @mutex.synchronize do
      if ok
        @state[:answered] += 1
        @state[:answered_by][pid] += 1
      else
        @state[:wrong] << "#{inbox.path}: HTTP #{response.code} #{response.body.to_s[0, 300]}"
      end
    end
  end

  def record_failure(index, error, retried)
    @mutex.synchronize do
      @state[:failures] << { thread: index, worker: @bound[index], error: error.class.name, retry: retried,
                             at: now }
      @state[:lost] += 1 if retried || !no_answer?(error)
    end
  end

  # Not started: the first request opens it, so a refused connection counts against that request.
  def no_answer?(error)
    NO_ANSWER.any? { |klass| error.is_a?(klass) }
  end

  def connect
    http = Net::HTTP.new("127.0.0.1", @cluster.port)
    http.max_retries = 0
    http.open_timeout = 5
    http.read_timeout = 20
    http.keep_alive_timeout = 30
    http
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
