# frozen_string_literal: true

require "fileutils"
require "rbconfig"

module WaHealthBench
  # The Rust floors the benchmark compares wa_health with (bench/floor/src/lib.rs): a Ruby extension of
  # its own, with its own Cargo workspace and lock, built only by `rake bench:floor` (which `rake bench`
  # and its smoke run first), never by the gem. `load` defines RustFloor.fetch and RustFloor.sweep.
  module RustFloor
    CRATE_DIR = File.expand_path("floor", __dir__)
    CRATE_NAME = "wa_health_bench_floor"
    LIBRARY = File.expand_path("tmp/floor/#{CRATE_NAME}.#{RbConfig::CONFIG['DLEXT']}", __dir__)

    module_function

    # cargo build --release in a target dir of its own under CARGO_TARGET_DIR (its lock is not the gem's,
    # so sharing the gem's would rebuild common crates back and forth), then the library where `load`
    # finds it.
    def build
      target_dir = File.join(ENV.fetch("CARGO_TARGET_DIR") { File.expand_path("../target", __dir__) }, "bench-floor")
      manifest = File.join(CRATE_DIR, "Cargo.toml")
      system("cargo", "build", "--release", "--locked", "--quiet", "--manifest-path", manifest,
             "--target-dir", target_dir, exception: true)
      FileUtils.mkdir_p(File.dirname(LIBRARY))
      FileUtils.cp(File.join(target_dir, "release", "lib#{CRATE_NAME}.#{RbConfig::CONFIG['SOEXT']}"), LIBRARY)
    end

    def load
      raise LoadError, "#{LIBRARY} is missing: run `rake bench:floor`" unless File.exist?(LIBRARY)

      require LIBRARY
    end
  end
end
