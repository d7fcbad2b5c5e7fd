# frozen_string_literal: true

require_relative "../spec/puma/cluster"
require_relative "../spec/puma/health_load"

module WaHealthBench
  # Measurement 6: the inboxes health endpoint of the spec Rails app on a real Puma cluster (2 workers × 5
  # threads, preload_app!, as spec/puma/cluster_spec.rb runs it), against what its 10 threads allow when
  # every request waits on Meta: 10 / latency. A GVL held during the wait would cap it at 2 / latency (one
  # request per worker at a time), 20% of that.
  module Cluster
    CLIENTS = 20
    SERVER_THREADS = PumaCluster::WORKERS * PumaCluster::THREADS
    CLOCK_TICKS = 100.0 # USER_HZ, what /proc/<pid>/stat counts CPU time in

    def puma_cluster
      cluster = PumaCluster.start(@fake)
      load = HealthLoad.new(cluster, concurrency: CLIENTS)
      runs = [[Suite::LATENCY, scale.cluster_requests], [Suite::LATENCY * 10, scale.cluster_requests / 6]]
      rows = runs.map { |latency, count| cluster_row(cluster, load, latency, count) }
      cluster_section(rows)
    ensure
      @fake.latency = 0
      cluster&.stop
    end

    private

    def cluster_row(cluster, load, latency, count)
      @fake.latency = latency
      load.run(count: [CLIENTS * 2, count].min, deadline: 60) # warm-up: connections, Rails' first requests
      cpu = workers_cpu(cluster)
      result, = load.run(count: count, deadline: 120)
      cpu = workers_cpu(cluster) - cpu
      check_cluster_run(result)
      ideal = SERVER_THREADS / latency
      ["#{(latency * 1000).round} ms", count, format("%.1f", result.rate), format("%.0f", ideal),
       format("%.0f%%", 100 * result.rate / ideal), format("%.1f ms", 1000 * cpu / result.answered)]
    end

    def check_cluster_run(result)
      ok = result.finished && result.wrong.empty? && result.lost.zero? && result.failures.empty?
      verdict = ok ? "pass" : "FAIL"
      puts "bench: Puma cluster #{result.answered}/#{result.requested} answered right: #{verdict}" if @smoke
      return if ok

      raise "Puma cluster run failed: #{result.to_h.except(:answered_by).inspect[0, 2000]}"
    end

    def workers_cpu(cluster)
      cluster.worker_pids.sum do |pid|
        File.read("/proc/#{pid}/stat").sub(/\A.*\) /m, "").split.values_at(11, 12).sum(&:to_i) / CLOCK_TICKS
      end
    end

    def cluster_section(rows)
      share = rows.first[4].to_f / 100
      Section.new(
        title: "6. Puma cluster: the health endpoint on 2 workers × 5 threads, Meta answering after a delay",
        headers: ["Meta latency", "requests", "requests per second", "10 threads allow", "share",
                  "worker CPU per request"],
        rows: rows,
        notes: "The spec Rails app (spec/rails_app) under Puma #{puma_version} in cluster mode, preload_app!, " \
               "the gem used in the master before it forks; #{CLIENTS} Ruby threads with Net::HTTP keep-alive " \
               "connections in the benchmark's process, FakeGraph there too; every answer checked. Each request " \
               "authenticates, reads the account, user and inbox, fetches the health (phone number and WABA, " \
               "concurrently), renders the report and writes it to the channel (SQLite file, shared by the " \
               "workers). \"10 threads allow\": 10 / latency; a GVL held during the wait would cap the cluster " \
               "at 2 / latency (20%). Worker CPU per request: the two workers' CPU time (/proc) over the answers.",
        facts: { cluster_share: share }
      )
    end

    def puma_version
      Gem.loaded_specs["puma"]&.version || "?"
    end
  end
end
