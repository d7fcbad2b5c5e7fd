# frozen_string_literal: true

require "fileutils"
require "json"

# cargo-fuzz (libFuzzer) on every function that reads bytes from the network (fuzz/fuzz_targets). The
# targets panic on a finding: a crash, or a secret in any message. Seeds: the real Meta answers and
# webhook payloads in spec/fixtures/meta. Nightly flags come from the nightly toolchain where rustup has
# one, else from RUSTC_BOOTSTRAP=1 on stable. Built without a sanitizer: the code is safe Rust, and the
# findings that matter (panics, assertion failures) need none.
module Fuzz
  ROOT = File.expand_path("..", __dir__)
  FIXTURES = File.join(ROOT, "spec", "fixtures", "meta")
  # Targets that read raw bytes, and the recorded bodies that seed them.
  SEEDED = { "success_body" => "*.json", "decision" => "*.json", "webhook_body" => "webhooks/*.json" }.freeze

  module_function

  def targets
    Dir[File.join(ROOT, "fuzz", "fuzz_targets", "*.rs")].map { |path| File.basename(path, ".rs") }.sort
  end

  def command
    nightly = `rustup toolchain list 2>/dev/null`.lines.any? { |line| line.start_with?("nightly") }
    nightly ? [{}, "cargo", "+nightly", "fuzz"] : [{ "RUSTC_BOOTSTRAP" => "1" }, "cargo", "fuzz"]
  end

  def seeds(target)
    pattern = SEEDED[target] or return []
    dir = File.join(ROOT, "tmp", "fuzz-seeds", target)
    FileUtils.mkdir_p(dir)
    Dir[File.join(FIXTURES, pattern)].each do |path|
      fixture = JSON.parse(File.read(path))
      body = fixture.key?("body_text") ? fixture["body_text"] : JSON.generate(fixture["body"])
      File.write(File.join(dir, File.basename(path, ".json")), body)
    end
    [dir]
  end

  # Runs every target for `seconds`; returns the names of those that found something.
  def run(seconds)
    env, *cargo = command
    corpus_root = File.join(ROOT, "tmp", "fuzz-corpus")
    targets.reject do |target|
      corpus = File.join(corpus_root, target)
      FileUtils.mkdir_p(corpus)
      started = Time.now
      ok = system(env, *cargo, "run", "--sanitizer", "none", "--fuzz-dir", File.join(ROOT, "fuzz"), target,
                  corpus, *seeds(target), "--", "-max_total_time=#{seconds}", "-rss_limit_mb=2048",
                  "-print_final_stats=1", chdir: ROOT, out: log_for(target), err: %i[child out])
      runs = File.read(log_for(target))[/stat::number_of_executed_units:\s*(\d+)/, 1]
      puts format("fuzz %<target>-18s %<outcome>s: %<runs>s executions in %<seconds>.0f s",
                  target: target, outcome: ok ? "ok" : "FOUND A CRASH", runs: runs || "?",
                  seconds: Time.now - started)
      ok
    end
  end

  def log_for(target)
    File.join(ROOT, "tmp", "fuzz-#{target}.log")
  end
end

desc "cargo fuzz every target (FUZZ_SECONDS each, default 60); logs in tmp/fuzz-*.log"
task :fuzz do
  failed = Fuzz.run(Integer(ENV.fetch("FUZZ_SECONDS", "60")))
  abort "fuzz: findings in #{failed.join(', ')} (see tmp/fuzz-<target>.log and fuzz/artifacts)" if failed.any?
end

namespace :fuzz do
  desc "A few seconds of every fuzz target (run by bin/test)"
  task :smoke do
    failed = Fuzz.run(Integer(ENV.fetch("FUZZ_SECONDS", "3")))
    abort "fuzz smoke: findings in #{failed.join(', ')}" if failed.any?
  end
end
