# frozen_string_literal: true

module WaHealthBench
  # Measurement 8 (issue 14): the per-call cost and the sweep of sections 1 and 3, over TLS (8a here). Each part starts
  # FakeGraph instances of its own with `tls: true` (a test CA made at start; the clients trust it the way
  # each can: WaHealth's ca_file setting, HTTParty's default cert store, Net::HTTP's ca_file, libcurl's
  # cainfo). A server offers h2 and http/1.1 by ALPN, as Graph API does, or (`alpn: %w[http/1.1]`) only
  # http/1.1, for the sweep over HTTP/1.1.
  module TlsBench
    TLS_FETCH = "WaHealth.fetch"
    TLS_KEEP_ALIVE = "Net::HTTP, keep-alive"
    TLS_PLAIN_FETCH = "WaHealth.fetch, plain http (as section 1)"

    def tls_per_call
      WaHealth::Testing::FakeGraph.start(tls: true, max_recorded_requests: 1) do |fake|
        fake.add_phone_number("1001")
        on_one_cpu { |pinned| measure_tls_per_call(fake, pinned) }
      end
    end

    private

    def measure_tls_per_call(fake, pinned)
      Contenders.trust_for_httparty(fake.ca_file)
      keep_alive = Contenders::KeepAlive.new(fake.url, fake.access_token, ca_file: fake.ca_file)
      httparty = Contenders.httparty_service(fake.url, "1001", fake.access_token)
      with_tls_configuration(fake) do
        calls = { TLS_FETCH => [scale.tls_calls, -> { fetch }],
                  Suite::HTTPARTY => [scale.tls_httparty_calls, -> { httparty.fetch_health_status }],
                  TLS_KEEP_ALIVE => [scale.tls_calls, -> { keep_alive.fetch("1001") }] }
        measure_tls_calls(fake, calls, pinned)
      end
    ensure
      keep_alive&.close
    end

    def measure_tls_calls(fake, calls, pinned)
      protocols = calls.transform_values { |(_, call)| protocol_of(fake) { call.call } }
      costs = calls.transform_values { |(count, call)| -> { tls_call_cost(fake, count, call) } }
      protocols[TLS_PLAIN_FETCH] = "HTTP/1.1"
      costs[TLS_PLAIN_FETCH] = -> { plain_call_cost(fake) }
      tls_per_call_section(interleaved(scale.rounds, costs), protocols, pinned)
    end

    # WaHealth configured for the TLS fake as an app would be (base_url and ca_file set once), then put back.
    def with_tls_configuration(fake)
      WaHealth.configure do |c|
        c.base_url = fake.url
        c.ca_file = fake.ca_file
      end
      yield
    ensure
      WaHealth.configure do |c|
        c.base_url = @fake.url
        c.ca_file = nil
      end
    end

    # The HTTP version the fake saw for the block's (last) request.
    def protocol_of(fake)
      fake.clear_requests
      yield
      fake.requests.last.http_version.delete_suffix(".0").sub("HTTP/2", "h2")
    end

    # The same as WaHealth.fetch's cost, on the suite's plain-http fake (configured for the round, then the TLS
    # fake again): what TLS adds, in this run's conditions.
    def plain_call_cost(fake)
      WaHealth.configure do |c|
        c.base_url = @fake.url
        c.ca_file = nil
      end
      tls_call_cost(@fake, scale.tls_calls, -> { fetch })
    ensure
      WaHealth.configure do |c|
        c.base_url = fake.url
        c.ca_file = fake.ca_file
      end
    end

    # [wall, CPU of this thread, connections the fake accepted] per call.
    def tls_call_cost(fake, calls, call)
      fake.reset_stats
      wall, cpu = per_call_cost(calls) { calls.times { call.call } }
      [wall, cpu, fake.stats.fetch("connections").fdiv(calls)]
    end

    def tls_per_call_section(cost, protocols, pinned)
      httparty = cost.fetch(Suite::HTTPARTY).first
      rows = cost.map do |name, (t, cpu, connections)|
        [name, protocols.fetch(name), us(t), ratio(httparty / t), us(cpu), format("%.3f", connections)]
      end
      fetch = cost.fetch(TLS_FETCH)
      plain = cost.fetch(TLS_PLAIN_FETCH)
      Section.new(
        title: "8a. TLS: per-call cost, one thread, server answering at once",
        headers: ["client", "protocol", "time per call", "speed-up over HTTParty", "client CPU per call",
                  "connections opened per call"],
        rows: rows,
        notes: "#{pinned ? 'Every thread of the process on one CPU, as in section 1. ' : 'Not pinned: noisy. '}" \
               "Median of #{scale.rounds} interleaved rounds (#{scale.tls_calls} calls each; " \
               "#{scale.tls_httparty_calls} for HTTParty). FakeGraph over TLS (rustls, TLS 1.3) offering h2 and " \
               "http/1.1; protocol: what the fake saw. WaHealth.fetch: base_url and ca_file configured once, its " \
               "own keep-alive client; HTTParty: Chatwoot's service unchanged, a new connection and TLS handshake " \
               "per call (its default cert store, with the test CA added); Net::HTTP: one kept-alive connection " \
               "(ca_file). The plain-http WaHealth.fetch is section 1's, in this run's conditions: TLS (h2) " \
               "costs fetch #{ratio(fetch[0] / plain[0])} its time and #{ratio(fetch[1] / plain[1])} its CPU. " \
               "Connections opened per call: accepted by the fake during the round, over its calls.",
        facts: { tls_fetch_vs_httparty: httparty / fetch.first }
      )
    end
  end

  # Measurement 8b: the sweep of section 3 over TLS, h2 and http/1.1, against Hydra.
  module TlsSweepBench
    TLS_SWEEPS = {
      "WaHealth.fetch_many(concurrency: 64), h2 offered" => [:fetch_many, nil],
      "WaHealth.fetch_many(concurrency: 64), only http/1.1 offered" => [:fetch_many, %w[http/1.1]],
      "Typhoeus::Hydra(max_concurrency: 64), h2 offered" => [:hydra, nil],
      "Typhoeus::Hydra(max_concurrency: 64), only http/1.1 offered" => [:hydra, %w[http/1.1]],
      "WaHealth.fetch_many(concurrency: 64), plain http (as section 3)" => %i[fetch_many plain]
    }.freeze
    MOST_H2_CONNECTIONS = 4

    def tls_sweep
      ids = Array.new(scale.sweep_numbers) { |i| (100_000 + i).to_s }
      fakes = {}
      [nil, %w[http/1.1], :plain].each { |alpn| fakes[alpn] = tls_sweep_fake(ids, alpn) }
      connections = Hash.new { |h, name| h[name] = [] }
      contenders = TLS_SWEEPS.to_h do |name, (client, alpn)|
        sweep = tls_sweep_call(client, fakes.fetch(alpn), ids)
        [name, -> { tls_timed_sweep(name, fakes.fetch(alpn), sweep, ids.size, connections) }]
      end
      times = interleaved(scale.sweep_rounds, contenders)
      tls_sweep_section(times, connections, ids.size)
    ensure
      fakes&.each_value(&:stop)
    end

    private

    def tls_sweep_fake(ids, alpn)
      tls = alpn == :plain ? {} : { tls: true, alpn: alpn }
      fake = WaHealth::Testing::FakeGraph.new(**tls, max_recorded_requests: ids.size).start
      ids.each { |id| fake.add_phone_number(id) }
      fake.latency = Suite::LATENCY
      fake
    end

    def tls_sweep_call(client, fake, ids)
      case client
      when :fetch_many
        requests = ids.map do |id|
          { phone_number_id: id, access_token: @token, base_url: fake.url, ca_file: fake.tls? ? fake.ca_file : nil }
        end
        -> { WaHealth.fetch_many(requests, concurrency: Suite::SWEEP_CONCURRENCY) }
      when :hydra
        -> { Contenders.hydra_sweep(fake.url, ids, @token, Suite::SWEEP_CONCURRENCY, ca_file: fake.ca_file) }
      end
    end

    # [wall seconds, CPU seconds of the whole process (the client's threads and FakeGraph's)] of the block.
    def wall_and_process_cpu(&)
      cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
      wall = seconds(&)
      [wall, Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu]
    end

    # [wall, process CPU] seconds; records [connections accepted, connections that carried requests, protocols]
    # of the round.
    def tls_timed_sweep(name, fake, sweep, count, connections)
      fake.reset_stats
      fake.clear_requests
      took = wall_and_process_cpu { timed_sweep(name, sweep, count) }
      requests = fake.requests
      raise "#{name}: FakeGraph recorded #{requests.size} requests for #{count}" unless requests.size == count

      protocols = requests.map { |r| r.http_version.delete_suffix(".0").sub("HTTP/2", "h2") }.uniq.sort.join(", ")
      connections[name] << [fake.stats.fetch("connections"), requests.map(&:connection).uniq.size, protocols]
      took
    end

    def tls_sweep_section(time, connections, count)
      ideal = count * Suite::LATENCY / Suite::SWEEP_CONCURRENCY
      hydra = time.select { |name, _| name.start_with?("Typhoeus") }.values.map(&:first).min
      rows = time.map { |name, cost| tls_sweep_row(name, cost, connections.fetch(name), ideal, hydra) }
      rows << ["ideal: #{count} × 20 ms / 64", "-", secs(ideal), "1.00×", ratio(hydra / ideal), "-", "-", "-", "-"]
      Section.new(
        title: "8b. TLS: sweep of #{count} numbers, 20 ms server latency, 64 at a time",
        headers: ["client", "protocol", "wall time", "× ideal", "speed-up over the faster Hydra",
                  "process CPU (cores busy)", "connections opened (round 1)", "of which carried requests",
                  "opened (later rounds, most)"],
        rows: rows, notes: tls_sweep_notes, facts: tls_sweep_facts(time, connections, ideal, hydra)
      )
    end

    # connections: [accepted, carried requests, protocols] of each round.
    def tls_sweep_row(name, (time, cpu), (first, *later), ideal, hydra)
      [name, first[2], secs(time), ratio(time / ideal), ratio(hydra / time), format("%.2f", cpu / time), first[0],
       first[1], later.empty? ? "-" : later.map(&:first).max]
    end

    def tls_sweep_notes
      "Median of #{scale.sweep_rounds} interleaved rounds, not pinned (as section 3). Two TLS fakes: one offering " \
        "h2 and http/1.1 by ALPN (as Graph API does), one offering only http/1.1; protocol: what the fake saw. " \
        "fetch_many: base_url and ca_file in every request (one client per batch's settings, its keep-alive " \
        "pool kept between batches: round 1 is the cold one). Hydra: a new Hydra per round (libcurl's " \
        "connection cache is per multi handle), cainfo for the CA; it sends Chatwoot's request and parses its 11 " \
        "fields. Process CPU: CPU time of the whole process (client and FakeGraph threads) over wall time. " \
        "The plain-http fetch_many is section 3's sweep in this run's conditions. Connections: accepted by the " \
        "fake (TCP, before the TLS handshake) during the round; \"carried requests\": how many distinct ones the " \
        "fake's request log shows."
    end

    def tls_sweep_facts(time, connections, ideal, hydra)
      h2, http1 = TLS_SWEEPS.keys.first(2).map { |name| time.fetch(name).first }
      { tls_h2_vs_ideal: h2 / ideal, tls_http1_vs_ideal: http1 / ideal,
        tls_h2_vs_hydra: hydra / h2, tls_http1_vs_hydra: hydra / http1,
        tls_h2_connections: connections.fetch(TLS_SWEEPS.keys.first).map(&:first).max,
        tls_h2_carried: connections.fetch(TLS_SWEEPS.keys.first).first[1] }
    end
  end

  # The targets of measurement 8, checked by the report (bench/run.rb).
  module TlsTargets
    def tls_targets(facts)
      rows = []
      if facts.key?(:tls_fetch_vs_httparty)
        rows << ["(8) TLS: fetch ≥ 10× faster than HTTParty", ratio(facts[:tls_fetch_vs_httparty]),
                 facts[:tls_fetch_vs_httparty] >= 10]
      end
      facts.key?(:tls_h2_vs_ideal) ? rows + tls_sweep_targets(facts) : rows
    end

    def tls_sweep_targets(facts)
      connections = facts[:tls_h2_connections]
      most = TlsSweepBench::MOST_H2_CONNECTIONS
      [["(8) TLS sweep over h2 ≤ 1.25× ideal", ratio(facts[:tls_h2_vs_ideal]), facts[:tls_h2_vs_ideal] <= 1.25],
       ["(8) TLS sweep over http/1.1 ≤ 1.25× ideal", ratio(facts[:tls_http1_vs_ideal]),
        facts[:tls_http1_vs_ideal] <= 1.25],
       ["(8) TLS sweep over h2 faster than Hydra", "#{ratio(facts[:tls_h2_vs_hydra])} Hydra's speed",
        facts[:tls_h2_vs_hydra] > 1],
       ["(8) TLS sweep over http/1.1 faster than Hydra", "#{ratio(facts[:tls_http1_vs_hydra])} Hydra's speed",
        facts[:tls_http1_vs_hydra] > 1],
       ["(8) TLS sweep over h2 opens ≤ #{most} connections (most in a round)",
        "#{connections} (#{facts[:tls_h2_carried]} carried requests)", connections <= most]]
    end
  end
end
