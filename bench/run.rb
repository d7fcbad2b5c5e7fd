# frozen_string_literal: true

require "fileutils"

# `rake bench` (full run, writes bench/RESULTS.md) and `rake bench:smoke` (the same code at a tiny
# scale, a few seconds, checks that every table row is produced; run by bin/test so the harness cannot rot).
# Everything talks to FakeGraph on 127.0.0.1; nothing leaves the machine.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require_relative "suite"

module WaHealthBench
  # Runs the suite, prints the tables, checks the targets and (full run) updates RESULTS.md.
  class Report
    include Support

    RESULTS = File.expand_path("RESULTS.md", __dir__)
    BEGIN_MARK = "<!-- rake bench: generated from here -->"
    END_MARK = "<!-- rake bench: generated up to here -->"
    # Rows every run must produce, per section: the smoke fails when one is missing.
    EXPECTED_ROWS = [4, 3, 5, 5, 2, 2, 3].freeze

    SMOKE_TABLES = File.expand_path("../tmp/bench-smoke.md", __dir__)

    def initialize(smoke:, only: nil)
      @smoke = smoke
      @only = only
    end

    def run
      started = now
      load_before = load_average
      suite = Suite.new(@smoke ? Suite::SMOKE : Suite::FULL, smoke: @smoke)
      return run_only(suite, started, load_before) if @only

      sections = suite.run
      text = render(sections, started, load_before)
      if @smoke
        # The smoke's numbers mean nothing: its tables go to a file, its output is one line.
        FileUtils.mkdir_p(File.dirname(SMOKE_TABLES))
        File.write(SMOKE_TABLES, text)
        check_rows(sections)
        puts "bench smoke: every table row came out (#{sections.size} sections; tables in #{SMOKE_TABLES})"
      else
        puts text
        check_rows(sections)
        write(text)
      end
    end

    # One section (`rake bench:cluster`): printed, RESULTS.md left alone.
    def run_only(suite, started, load_before)
      section = suite.run([@only]).first
      puts "Run #{started} (UTC); load average before #{load_before}, after #{load_average}.", "",
           "### #{section.title}", "", table(section.headers, section.rows), "", section.notes
    end

    private

    def render(sections, started, load_before)
      kind = @smoke ? "SMOKE run (tiny scale, numbers meaningless)" : "full run"
      header = ["wa_health #{WaHealth::VERSION} benchmark, #{kind}",
                "", "Run #{started} (UTC); load average before #{load_before}, after #{load_average}.", "",
                table(%w[machine value], machine.to_a)]
      body = sections.flat_map do |s|
        ["", "### #{s.title}", "", table(s.headers, s.rows), *(s.notes.empty? ? [] : ["", s.notes])]
      end
      (header + body + ["", "### Targets", "", targets(sections)]).join("\n")
    end

    def targets(sections)
      v = sections.map(&:facts).reduce(:merge)
      rows = target_rows(v) << cluster_target(v[:cluster_share]) << event_loop_target(v[:event_to_registered_max])
      table(%w[target measured met?], rows.map { |name, value, met| [name, value, met ? "yes" : "**no**"] })
    end

    def target_rows(v) # rubocop:disable Naming/MethodParameterName -- v: the facts, as in targets
      [
        ["(1) fetch ≤ 1.5× the Rust floor", ratio(v[:fetch_vs_floor]), v[:fetch_vs_floor] <= 1.5],
        ["(1) fetch ≥ 3× faster than HTTParty", ratio(v[:fetch_vs_httparty]), v[:fetch_vs_httparty] >= 3],
        ["(2) 16 threads ≥ 12× one thread", ratio(v[:sixteen]), v[:sixteen] >= 12],
        ["(3) fetch_many ≤ 1.2× ideal", ratio(v[:sweep_vs_ideal]), v[:sweep_vs_ideal] <= 1.2],
        ["(3) fetch_many at least as fast as Hydra", "#{ratio(v[:sweep_vs_hydra])} Hydra's speed",
         v[:sweep_vs_hydra] >= 1],
        ["(4) RSS growth < 10 MB after 100,000 calls", mib(v[:growth]), v[:growth] < 10],
        ["(4, not a target) the second half of the fetch_many batches grows RSS < 10 MB", mib(v[:batches_growth]),
         v[:batches_growth] < 10]
      ]
    end

    def cluster_target(share)
      ["(6) Puma cluster ≥ 60% of what 10 threads allow at 20 ms (500 req/s)", format("%.0f%%", 100 * share),
       share >= 0.6]
    end

    def event_loop_target(slowest)
      ["(7) name-approval webhook → registered < 2 s (slowest round)", format("%.1f ms", slowest * 1000),
       slowest < EventLoopBench::TARGET_SECONDS]
    end

    def check_rows(sections)
      counts = sections.map { |s| s.rows.size }
      return if counts == EXPECTED_ROWS && sections.all? { |s| s.rows.flatten.none?(&:nil?) }

      abort "bench: expected #{EXPECTED_ROWS} rows per section, got #{counts}"
    end

    # Replaces the generated part of RESULTS.md and keeps the hand-written analysis around it.
    def write(text)
      current = File.exist?(RESULTS) ? File.read(RESULTS) : "# Benchmark results\n\n#{BEGIN_MARK}\n#{END_MARK}\n"
      before, rest = current.split(BEGIN_MARK, 2)
      after = rest.to_s.split(END_MARK, 2)[1].to_s
      File.write(RESULTS, "#{before}#{BEGIN_MARK}\n#{text}\n#{END_MARK}#{after}")
      puts "", "bench: wrote #{RESULTS}"
    end
  end
end

only = ARGV.find { |arg| arg.start_with?("--only=") }&.delete_prefix("--only=")&.to_sym
WaHealthBench::Report.new(smoke: ARGV.include?("--smoke"), only: only).run
