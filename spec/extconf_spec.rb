# frozen_string_literal: true

require "open3"
require "rbconfig"

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
