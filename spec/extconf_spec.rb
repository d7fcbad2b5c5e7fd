# frozen_string_literal: true

require "open3"
require "rbconfig"
require "tmpdir"

# Which of ext/wa_health/extconf.rb's two ways built lib/wa_health/wa_health.so (the first line of the
# Makefile it wrote for rake compile names it): rb_sys/mkmf where the rb_sys gem is installed, its own
# Makefile elsewhere. CI's legs say which they expect in WA_HEALTH_EXTCONF (.ci/run: fallback on bookworm,
# .ci/trixie: rb_sys); without it, the expectation follows from whether the rb_sys gem is installed.
RSpec.describe "ext/*/extconf.rb (ext/cargo_makefile.rb)" do
  root = File.expand_path("..", __dir__)

  def rb_sys_installed?
    # Outside the bundle, as extconf.rb looks for it.
    Bundler.with_unbundled_env do
      Open3.capture2e(RbConfig.ruby, "-e", 'gem "rb_sys"').last.success?
    end
  end

  it "names the library cargo builds for a crate as cargo does on each platform (the fallback copies it)" do
    platforms = { %w[linux-gnu so] => "libwa_health.so", %w[darwin23 dylib] => "libwa_health.dylib",
                  %w[mingw32 dll] => "wa_health.dll", %w[linux-musl so] => "libwa_health.so" }
    script = <<~RUBY
      require #{File.join(root, 'ext', 'cargo_makefile').inspect}
      #{platforms.keys.inspect}.each do |os, soext|
        puts CargoMakefile.cargo_library("wa_health", "target_os" => os, "SOEXT" => soext)
      end
      puts CargoMakefile.cargo_library("wa-health")
    RUBY
    output, status = Dir.mktmpdir { |dir| Open3.capture2e(RbConfig.ruby, "-e", script, chdir: dir) }
    expect(status).to be_success, output
    expect(output.lines(chomp: true)).to eq(platforms.values + ["libwa_health.#{RbConfig::CONFIG['SOEXT']}"])
  end

  %w[wa_health wa_health_testing].each do |extension|
    it "built #{extension} the way this machine is expected to" do
      expected = ENV.fetch("WA_HEALTH_EXTCONF") { rb_sys_installed? ? "rb_sys" : "fallback" }
      makefile = File.join(root, "tmp", RUBY_PLATFORM, extension, RUBY_VERSION, "Makefile")
      expect(File).to exist(makefile), "#{makefile} is missing: run bin/setup (it runs rake compile)"
      expect(File.foreach(makefile).first).to start_with("# wa_health extconf: #{expected} ")
      expect(File).to exist(File.join(root, "lib", "wa_health", "#{extension}.#{RbConfig::CONFIG['DLEXT']}"))
    end
  end
end
