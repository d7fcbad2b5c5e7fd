# frozen_string_literal: true

require "fileutils"

# `rake bench` (full run, writes bench/RESULTS.md) and `rake bench:smoke` (the same code at a tiny
# scale, a few seconds, checks that every table row is produced; run by bin/test so the harness cannot rot).
# `--only=NAME[,NAME]` runs some sections (a Suite::SECTIONS name or a Suite::GROUPS one) and prints them
# with their targets; with `--write` (rake bench:tls) it also puts them into the generated part of RESULTS.md,
# replacing the same sections and targets and leaving the rest of that part as the last full run wrote it.
# Everything talks to FakeGraph on 127.0.0.1; nothing leaves the machine.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require_relative "suite"

module WaHealthBench
  # Runs the suite, prints the tables, checks the targets and (full run) updates RESULTS.md.
  class Report
    include Support
    include TlsTargets

    RESULTS = File.expand_path("RESULTS.md", __dir__)
    BEGIN_MARK = "<!-- rake bench: generated from here -->"
    END_MARK = "<!-- rake bench: generated up to here -->"
    # Rows every run must produce, per section: the smoke fails when one is missing.
    EXPECTED_ROWS = [4, 3, 5, 5, 2, 2, 3, 4, 6].freeze

    SMOKE_TABLES = File.expand_path("../tmp/bench-smoke.md", __dir__)

    def initialize(smoke:, only: nil, write: false)
      @smoke = smoke
      @only = only
      @write = write
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

    # Some sections (`rake bench:cluster`, `rake bench:tls`): printed with their targets; RESULTS.md left alone
    # unless --write.
    def run_only(suite, started, load_before)
      sections = suite.run(@only)
      run_line = "Run on its own (`bench/run.rb --only=#{@only.join(',')}`) #{started} (UTC), not in the full run " \
                 "of the header: #{machine.values.join('; ')}; load average before #{load_before}, after " \
                 "#{load_average}; `uptime` after: #{`uptime`.strip}."
      blocks = sections.map { |s| section_block(s, @write ? run_line : nil) }
      rows = target_rows(sections)
      puts "#{run_line}\n\n#{blocks.join}### Targets\n\n#{target_table(rows)}"
      splice(sections, blocks, rows) if @write
    end

    private

    def render(sections, started, load_before)
      kind = @smoke ? "SMOKE run (tiny scale, numbers meaningless)" : "full run"
      header = ["wa_health #{WaHealth::VERSION} benchmark, #{kind}",
                "", "Run #{started} (UTC); load average before #{load_before}, after #{load_average}.", "",
                table(%w[machine value], machine.to_a)]
      "#{header.join("\n")}\n\n#{sections.map { |s| section_block(s) }.join}### Targets\n\n" \
        "#{target_table(target_rows(sections))}"
    end

    # A section as RESULTS.md shows it, ending with a blank line; `run_line`: a note saying which run it
    # comes from, when that is not the run of the header.
    def section_block(section, run_line = nil)
      notes = [section.notes, run_line].compact.reject(&:empty?).join(" ")
      ["### #{section.title}", "", table(section.headers, section.rows), *(notes.empty? ? [] : ["", notes]), "",
       ""].join("\n")
    end

    # [name, measured, met] for every target whose section ran.
    def target_rows(sections)
      v = sections.map(&:facts).reduce({}, :merge)
      rows = FIRST_SECTIONS_FACTS.all? { |key| v.key?(key) } ? first_targets(v) : []
      rows << cluster_target(v[:cluster_share]) if v.key?(:cluster_share)
      rows << event_loop_target(v[:event_to_registered_max]) if v.key?(:event_to_registered_max)
      rows + tls_targets(v)
    end

    def target_table(rows)
      table(%w[target measured met?], rows.map { |name, value, met| [name, value, met ? "yes" : "**no**"] })
    end

    FIRST_SECTIONS_FACTS = %i[fetch_vs_floor sixteen sweep_vs_ideal growth].freeze

    def first_targets(v) # rubocop:disable Naming/MethodParameterName -- v: the facts, as in target_rows
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

    # Puts `blocks` (the sections run alone) into the generated part of RESULTS.md: each replaces the section
    # of the same number, or comes before the targets; the targets of the same numbers are replaced by `rows`.
    def splice(sections, blocks, rows)
      before, generated, after = results_parts
      parts = generated.split(/^(?=### )/)
      sections.zip(blocks).each do |section, block|
        number = section.title[/\A\S+/]
        at = parts.index { |part| part.start_with?("### #{number} ") }
        at ? parts[at] = block : parts.insert(parts.index { |part| part.start_with?("### Targets") }, block)
      end
      targets_at = parts.index { |part| part.start_with?("### Targets") }
      parts[targets_at] = "### Targets\n\n#{target_table(merged_targets(parts[targets_at], rows))}\n"
      File.write(RESULTS, "#{before}#{BEGIN_MARK}\n#{parts.join}#{END_MARK}#{after}")
      puts "", "bench: put #{sections.map(&:title).join('; ')} into #{RESULTS}"
    end

    # The rows of a rendered targets table, those of the numbers in `rows` replaced by `rows`.
    def merged_targets(rendered, rows)
      numbers = rows.map { |name, _| name[/\A\(\d+\)/] }.uniq
      kept = rendered.lines.grep(/\A\| \(/).map { |line| line.split("|")[1..3].map(&:strip) }
      kept = kept.reject { |name, _| numbers.include?(name[/\A\(\d+\)/]) }
      kept.map { |name, value, met| [name, value, met == "yes"] } + rows
    end

    def results_parts
      before, rest = File.read(RESULTS).split(BEGIN_MARK, 2)
      generated, after = rest.to_s.split(END_MARK, 2)
      raise "bench: #{RESULTS} has no generated part to put sections into" if after.nil?

      [before, generated.delete_prefix("\n"), after]
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

only = ARGV.find { |arg| arg.start_with?("--only=") }&.delete_prefix("--only=")&.split(",")&.flat_map do |name|
  WaHealthBench::Suite::GROUPS.fetch(name.to_sym) { [name.to_sym] }
end
unknown = only.to_a - WaHealthBench::Suite::SECTIONS
abort "bench: unknown section(s) #{unknown.join(', ')}; see Suite::SECTIONS and Suite::GROUPS" if unknown.any?
WaHealthBench::Report.new(smoke: ARGV.include?("--smoke"), only: only, write: ARGV.include?("--write")).run
