# frozen_string_literal: true

require "etc"
require "rbconfig"
require "time"

module WaHealthBench
  # One measurement's part of the report; `facts` are the numbers the targets are checked against.
  Section = Struct.new(:title, :headers, :rows, :notes, :facts, keyword_init: true)

  # Clocks, memory, the machine's description and table rendering.
  module Support
    module_function

    def monotonic
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    def seconds
      started = monotonic
      yield
      monotonic - started
    end

    # Runs every contender (name => lambda returning its seconds) once per round, rotating the order
    # so each sees the same machine, and returns each one's median.
    def interleaved(rounds, contenders)
      times = contenders.keys.to_h { |name| [name, []] }
      rounds.times do |round|
        contenders.to_a.rotate(round).each { |name, measure| times[name] << measure.call }
      end
      times.transform_values { |t| t.first.is_a?(Array) ? t.transpose.map { |c| median(c) } : median(t) }
    end

    # [wall seconds, CPU seconds of this thread] per call, over `calls` calls made by the block.
    def per_call_cost(calls, &)
      cpu = Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID)
      wall = seconds(&)
      [wall / calls, (Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID) - cpu) / calls]
    end

    # Every thread of the process (client and FakeGraph) on CPU 0 for the block, when taskset
    # (util-linux) can do it; the block gets whether it did.
    def on_one_cpu
      pid = Process.pid.to_s
      mask = `taskset -p #{pid} 2>/dev/null`[/:\s*(\h+)\s*\z/, 1]
      pinned = !mask.nil? && system("taskset", "-a", "-p", "1", pid, out: File::NULL, err: File::NULL)
      yield pinned
    ensure
      system("taskset", "-a", "-p", mask, pid, out: File::NULL, err: File::NULL) if pinned
    end

    def median(values)
      sorted = values.sort
      middle = sorted.size / 2
      sorted.size.odd? ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0
    end

    # Resident set size of this process, in MiB, after a full GC (so garbage not yet collected is
    # not counted as growth).
    def rss_mib
      GC.start
      File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i / 1024.0
    end

    def load_average
      File.read("/proc/loadavg").split.first(3).join(" ")
    rescue SystemCallError
      "?"
    end

    def machine
      cpu = File.read("/proc/cpuinfo")[/^model name\s*:\s*(.+)$/, 1] || RbConfig::CONFIG["host_cpu"]
      memory = File.read("/proc/meminfo")[/^MemTotal:\s+(\d+)/, 1].to_i / 1024 / 1024.0
      os = File.read("/etc/os-release")[/^PRETTY_NAME="?([^"\n]+)/, 1]
      rustc = `rustc --version 2>/dev/null`.strip
      {
        "CPU" => "#{cpu.strip}, #{Etc.nprocessors} cores", "Memory" => format("%.1f GiB", memory),
        "OS" => "#{os}, Linux #{Etc.uname[:release]}", "Ruby" => RUBY_DESCRIPTION,
        "Rust" => rustc.empty? ? "?" : rustc
      }
    rescue SystemCallError
      { "Ruby" => RUBY_DESCRIPTION }
    end

    def now
      Time.now.utc.iso8601
    end

    # A GitHub-flavoured Markdown table.
    def table(headers, rows)
      widths = headers.each_index.map { |i| ([headers[i]] + rows.map { |r| r[i].to_s }).map(&:length).max }
      line = ->(cells) { "| #{cells.each_with_index.map { |c, i| c.to_s.ljust(widths[i]) }.join(' | ')} |" }
      [line.call(headers), "|#{widths.map { |w| '-' * (w + 2) }.join('|')}|", *rows.map(&line)].join("\n")
    end

    def us(value)
      format("%.1f µs", value * 1e6)
    end

    def ratio(value)
      format("%.2f×", value)
    end

    def secs(value)
      format("%.3f s", value)
    end

    def mib(value)
      format("%.1f MiB", value)
    end
  end
end
