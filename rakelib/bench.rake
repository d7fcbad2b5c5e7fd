# frozen_string_literal: true

desc "Benchmark wa_health against Chatwoot's Ruby HTTP clients on FakeGraph; writes bench/RESULTS.md"
task bench: %i[compile bench:floor] do
  ruby File.expand_path("../bench/run.rb", __dir__)
end

namespace :bench do
  desc "Build the Rust floors the benchmark compares with (bench/floor: never part of the gem)"
  task :floor do
    require_relative "../bench/floor"
    WaHealthBench::RustFloor.build
  end

  desc "Only the Puma cluster section of rake bench (about a minute): printed, bench/RESULTS.md left alone"
  task :cluster do
    ruby File.expand_path("../bench/run.rb", __dir__), "--only=puma_cluster"
  end

  desc "Only the event loop section of rake bench (name approval to registration on Sidekiq): printed, " \
       "bench/RESULTS.md left alone"
  task :events do
    ruby File.expand_path("../bench/run.rb", __dir__), "--only=event_loop"
  end

  desc "Only the TLS sections of rake bench (8a, 8b; about 2 minutes): printed, and put into the generated " \
       "part of bench/RESULTS.md (replacing 8a, 8b and the (8) targets; the rest stays as the last full run wrote it)"
  task tls: :compile do
    ruby File.expand_path("../bench/run.rb", __dir__), "--only=tls", "--write"
  end

  desc "The benchmark at a tiny scale (a few seconds): every table row must come out (run by bin/test)"
  task smoke: :floor do
    ruby File.expand_path("../bench/run.rb", __dir__), "--smoke"
  end
end
