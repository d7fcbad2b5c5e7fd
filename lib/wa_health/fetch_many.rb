# frozen_string_literal: true

module WaHealth
  # Health for many phone numbers at once (a fleet sweep): WaHealth.fetch_many.
  module FetchMany
    DEFAULT_CONCURRENCY = Native::DEFAULT_CONCURRENCY
    MAX_CONCURRENCY = Native::MAX_CONCURRENCY

    # Reads the health of every request, at most `concurrency` at a time over the shared keep-alive
    # pool. `requests` is an Array of Hashes with WaHealth.fetch's keyword arguments (connection
    # options included). Returns an Array in the same order whose elements are the health Hash or
    # the WaHealth::Error of that request, returned rather than raised: one failure never fails
    # the batch.
    #
    # Every element is checked before any request is sent; a bad one raises ArgumentError naming
    # its index. The GVL is released for the whole batch and re-taken only to call the block, with
    # (done, total), at most every 0.1 s and once at the end with done == total. An exception from
    # the block, Thread#kill, Thread#raise, Timeout or Ctrl-C cancels the requests still in flight.
    def fetch_many(requests, concurrency: DEFAULT_CONCURRENCY, &progress)
      limit = FetchMany.concurrency(concurrency)
      flat = FetchMany.flatten(requests) { |options| config.graph_settings_for(options) }
      instrument("fetch_many", request_count: requests.size, concurrency: limit) do |payload|
        results = Native.fetch_many(flat, limit, progress)
        payload[:error_count] = results.count { |result| result.is_a?(Exception) }
        results
      end
    end

    def self.concurrency(value)
      return value if value.is_a?(Integer) && value.between?(1, MAX_CONCURRENCY)

      raise ArgumentError, "concurrency must be an Integer between 1 and #{MAX_CONCURRENCY}"
    end

    # [graph settings, phone_number_id, access_token, business_account_id] for each request, in one
    # flat Array (what Native.fetch_many reads). Requests with the same connection options share
    # one GraphSettings, built by the block.
    def self.flatten(requests, &)
      raise ArgumentError, "requests must be an Array of Hashes" unless requests.is_a?(Array)

      settings_by_options = {}
      requests.each_with_index.with_object([]) do |(request, index), flat|
        flat.concat(element(request, settings_by_options, &))
      rescue ArgumentError => e
        raise ArgumentError, "requests[#{index}]: #{e.message}"
      end
    end

    def self.element(request, settings_by_options)
      raise ArgumentError, "must be a Hash of WaHealth.fetch's keyword arguments" unless request.is_a?(Hash)

      phone, token, waba = Fetch.checked(*request.values_at(*Fetch::REQUEST_KEYS))
      options = request.except(*Fetch::REQUEST_KEYS)
      settings = settings_by_options.fetch(options) { settings_by_options[options] = yield(options) }
      [settings, phone, token, waba]
    end
  end
end
