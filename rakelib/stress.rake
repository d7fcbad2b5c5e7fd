# frozen_string_literal: true

desc "Long reliability runs (load, forks, interrupts, SIGINT, hostile answers); writes stress/RESULTS.md. " \
     "STRESS_SCALE=0.05 for a quick pass, STRESS_ONLY=load,forks for some parts"
task stress: :compile do
  ruby "-Ilib", File.expand_path("../stress/stress.rb", __dir__)
end
