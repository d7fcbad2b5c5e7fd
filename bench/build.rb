# frozen_string_literal: true

require "fileutils"
require "rbconfig"

module WaHealthBench
  # Measurement 5: how long a cold build takes and how big the library is.
  module Build
    ROOT = File.expand_path("..", __dir__)

    def build
      library = File.join(ROOT, "lib", "wa_health", "wa_health.so")
      cold = scale.cold_build ? cold_build : nil
      size = File.size(cold ? cold[:library] : library) / 1024.0 / 1024
      Section.new(
        title: "5. Build",
        headers: %w[measure value],
        rows: [["cold `rake compile` (extconf.rb + make, empty target dir, crates already downloaded)",
                cold ? secs(cold[:seconds]) : "not measured in the smoke run"],
               ["size of the built wa_health.so", mib(size)]],
        notes: "", facts: {}
      )
    end

    # What `rake compile` runs (extconf.rb, then make, i.e. `cargo build --release`), in a scratch
    # directory with an empty target dir, so the tree's own build and lib/ are left alone.
    def cold_build
      dir = File.join(ROOT, "bench", "tmp", "cold-build")
      FileUtils.rm_rf(dir)
      FileUtils.mkdir_p(dir)
      env = { "CARGO_TARGET_DIR" => File.join(dir, "target"), "CARGO_NET_OFFLINE" => "true" }
      took = seconds do
        extconf = File.join(ROOT, "ext", "wa_health", "extconf.rb")
        configured = system(env, RbConfig.ruby, extconf, chdir: dir, out: File::NULL)
        raise "cold build failed" unless configured && system(env, "make", chdir: dir, out: File::NULL, err: File::NULL)
      end
      library = File.join(dir, "wa_health.#{RbConfig::CONFIG['DLEXT']}")
      kept = File.join(ROOT, "bench", "tmp", File.basename(library))
      FileUtils.cp(library, kept)
      FileUtils.rm_rf(dir)
      { seconds: took, library: kept }
    end
  end
end
