# frozen_string_literal: true

require_relative "lib/wa_health/version"

Gem::Specification.new do |spec|
  spec.name = "wa_health"
  spec.version = WaHealth::VERSION
  spec.summary = "WhatsApp Business phone number health and registration for Chatwoot, in Rust"
  spec.description = "Reads a WhatsApp Cloud API phone number's health from Meta's Graph API and decides " \
                     "and performs its registration, with the GVL released during network waits."
  spec.authors = ["wa_health developers"]
  spec.license = "MIT"
  spec.homepage = "https://github.com/chatwoot/wa_health"
  spec.required_ruby_version = ">= 3.1"
  spec.metadata["rubygems_mfa_required"] = "true"

  spec.files = Dir[
    "lib/**/*.rb", "exe/*", "ext/cargo_makefile.rb", "ext/*/extconf.rb", "{ext,crates}/*/Cargo.toml",
    "{ext,crates}/*/src/**/*.rs", "Cargo.toml", "Cargo.lock", "README.md", "docs/**/*.md",
    "docs/images/*.png", "LICENSE"
  ]
  spec.bindir = "exe"
  spec.executables = Dir["exe/*"].map { |path| File.basename(path) }
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/wa_health/extconf.rb", "ext/wa_health_testing/extconf.rb"]
end
