# frozen_string_literal: true

desc "Benchmark wa_health against Chatwoot's Ruby HTTP clients on FakeGraph; writes bench/RESULTS.md"
task bench: :compile do
  ruby File.expand_path("../bench/run.rb", __dir__)
end

namespace :bench do
  desc "The benchmark at a tiny scale (about 2 s): every table row must come out (run by bin/test)"
  task :smoke do
    ruby File.expand_path("../bench/run.rb", __dir__), "--smoke"
  end
end
