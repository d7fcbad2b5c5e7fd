# frozen_string_literal: true

require "fileutils"
require "open3"
require "rbconfig"
require "rubygems/package"
require "tmpdir"

# The platform gem (`rake native gem`, rakelib/native.rake), built from the libraries bin/setup's
# `rake compile` already built (a few seconds), then installed into an empty GEM_HOME by a Ruby that has
# no Rust: no cargo or rustc on PATH, no CARGO_HOME or RUSTUP_HOME. It must load both extensions and run
# `wa_health demo` from there. WA_HEALTH_PLATFORM_GEM_MINORS lists more Ruby minors the gem must carry
# (.ci/run's last step: "3.1 3.3", the second built by .ci/trixie into pkg/native/3.3).
RSpec.describe "The platform gem (rake native gem)" do
  root = File.expand_path("..", __dir__)
  minor = RUBY_VERSION[/\A\d+\.\d+/]
  minors = [minor, *ENV.fetch("WA_HEALTH_PLATFORM_GEM_MINORS", "").split].uniq
  install_limit = 10

  before(:context) do
    FileUtils.rm_f(Dir[File.join(root, "pkg", "wa_health-*.gem")])
    @build_output, status = Open3.capture2e("bundle", "exec", "rake", "native", "gem", chdir: root)
    raise "rake native gem failed:\n#{@build_output}" unless status.success?

    @gem = Dir[File.join(root, "pkg", "wa_health-#{WaHealth::VERSION}-*.gem")].first
    @home = Dir.mktmpdir("wa_health-gem-home")
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    @install_output, @install_status = without_rust("gem", "install", "--local", "--no-document", @gem)
    @install_seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  end

  after(:context) { FileUtils.remove_entry(@home) if @home }

  # PATH without any directory holding cargo or rustc, and no Rust or Bundler environment.
  def rust_free_env
    path = ENV.fetch("PATH").split(File::PATH_SEPARATOR).reject do |dir|
      %w[cargo rustc].any? { |tool| File.executable?(File.join(dir, tool)) }
    end
    { "PATH" => path.join(File::PATH_SEPARATOR), "GEM_HOME" => @home, "GEM_PATH" => @home,
      "CARGO_HOME" => nil, "RUSTUP_HOME" => nil, "CARGO_TARGET_DIR" => nil, "RUBYOPT" => nil, "RUBYLIB" => nil }
  end

  def without_rust(*command)
    Bundler.with_unbundled_env { Open3.capture2e(rust_free_env, *command, chdir: @home) }
  end

  def installed_dir
    File.join(@home, "gems", File.basename(@gem, ".gem"))
  end

  it "is named for this platform and carries #{minors.join(' and ')} for both extensions, and no Rust sources" do
    expect(File.basename(@gem)).to match(/\Awa_health-#{Regexp.escape(WaHealth::VERSION)}-x86_64-linux\.gem\z/)
    spec = Gem::Package.new(@gem).spec
    expect(spec.platform.to_s).to eq("x86_64-linux")
    expect(spec.extensions).to eq([])
    minors.each do |carried|
      expect(spec.files).to include("lib/wa_health/#{carried}/wa_health.so",
                                    "lib/wa_health/#{carried}/wa_health_testing.so")
    end
    expect(spec.files.grep(%r{\A(ext|crates)/|(\A|/)Cargo\.})).to eq([])
    libraries = spec.files.grep(/\.so\z/)
    expect(libraries).to all(match(%r{\Alib/wa_health/\d+\.\d+/wa_health(_testing)?\.so\z}))
    carried = libraries.map { |file| file[%r{/(\d+\.\d+)/}, 1] }.uniq.sort_by { |m| Gem::Version.new(m) }
    expect(spec.required_ruby_version).to eq(Gem::Requirement.new(">= #{carried.first}", "< #{carried.last.succ}.dev"))
  end

  it "installs from the file alone, with no Rust toolchain, in a few seconds, building nothing" do
    expect(without_rust("sh", "-c", "command -v cargo || command -v rustc").last.success?).to be(false)
    expect(@install_status.success?).to be(true), @install_output
    expect(@install_output).not_to match(/Building native extensions/)
    expect(@install_seconds).to be < install_limit
    expect(Dir[File.join(@home, "extensions", "**", "*.so")]).to eq([])
    expect(Dir.children(installed_dir)).to contain_exactly("LICENSE", "README.md", "docs", "exe", "lib")
  end

  it "loads both extensions from the installed gem" do
    output, status = without_rust(RbConfig.ruby, "-e", <<~RUBY)
      require "wa_health"
      require "wa_health/testing"
      puts $LOADED_FEATURES.grep(/wa_health.*\\.so\\z/)
    RUBY
    expect(status.success?).to be(true), output
    expect(output.lines.map(&:chomp)).to contain_exactly(
      File.join(installed_dir, "lib", "wa_health", minor, "wa_health.so"),
      File.join(installed_dir, "lib", "wa_health", minor, "wa_health_testing.so")
    )
  end

  it "runs `wa_health demo` from the installed gem" do
    output, status = without_rust(File.join(@home, "bin", "wa_health"), "demo", "--no-color", "--width=0")
    expect(status.success?).to be(true), output
    expect(output).to include("This demo runs 11 sample numbers against a fake Graph API on 127.0.0.1")
    expect(output).to include("Provisioned and healthy")
  end
end
