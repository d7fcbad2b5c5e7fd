# frozen_string_literal: true

# `rake native gem`: pkg/wa_health-VERSION-<platform>.gem (x86_64-linux here), the platform gem. It installs
# without Rust or a compiler: both extensions, one build per Ruby minor at lib/wa_health/<minor>/<name>.so
# (where WaHealth::Extension looks first), and no Rust sources. It is rake-compiler's native gem, set up
# the way rake-compiler's own multi-Ruby cross build sets it up (a lib_dir per minor), with:
#
# - this Ruby's minor, from the build `rake compile` already made (tmp/<platform>/<name>/<version>/);
# - every other minor whose two libraries are in $WA_HEALTH_NATIVE_DIR/<minor>/ (default pkg/native/),
#   built by the same Ruby sources under another Ruby: .ci/trixie puts trixie's (Ruby 3.3) there.
#
# required_ruby_version spans the minors it carries (rake-compiler's ">= first", "< last.succ"); a Ruby
# between two carried minors gets WaHealth::ExtensionNotBuiltError naming them.
platform = RUBY_PLATFORM # rake-compiler's name for this machine's build (x86_64-linux-gnu on Debian)
import_dir = ENV.fetch("WA_HEALTH_NATIVE_DIR") { File.expand_path("../pkg/native", __dir__) }
host_minor = RUBY_VERSION[/\A\d+\.\d+/]
imported = Dir[File.join(import_dir, "*")].map { |dir| File.basename(dir) }.select do |minor|
  minor.match?(/\A\d+\.\d+\z/) && minor != host_minor &&
    EXTENSION_TASKS.all? { |ext| File.file?(File.join(import_dir, minor, "#{ext.name}.so")) }
end.sort

# glibc Linux as plain <cpu>-linux (what RubyGems before 3.4, as on bookworm, calls it; newer ones match it
# to <cpu>-linux-gnu), so every leg names the gem alike.
gem_platform = Gem::Platform.new(RUBY_PLATFORM)
gem_platform = Gem::Platform.new([gem_platform.cpu, gem_platform.os, nil]) if gem_platform.version == "gnu"

platform_gem = lambda do |spec|
  spec.platform = gem_platform
  spec.files.reject! { |file| file.start_with?("ext/", "crates/") || File.basename(file).start_with?("Cargo.") }
end

EXTENSION_TASKS.each_with_index do |ext, index|
  lib_dir = ext.lib_dir
  builds = [[RUBY_VERSION, host_minor, "#{ext.tmp_dir}/#{platform}/#{ext.name}/#{RUBY_VERSION}/#{ext.name}.so"]]
  builds += imported.map { |minor| ["#{minor}.0", minor, File.join(import_dir, minor, "#{ext.name}.so")] }
  builds.each do |version, minor, source|
    ext.lib_dir = "#{lib_dir}/#{minor}"
    # Private in rake-compiler 1.2 (1.2.1 on bookworm, 1.2.5 on trixie, the same method): the cross build's
    # way in, which records the version for required_ruby_version and stages lib_dir/<name>.so.
    ext.send(:define_native_tasks, platform, version, index.zero? ? platform_gem : nil)
    staged = "#{ext.tmp_dir}/#{platform}/stage/#{ext.lib_dir}/#{ext.name}.so"
    task "copy:#{ext.name}:#{platform}:#{version}" unless version == RUBY_VERSION
    file staged => source do
      mkdir_p File.dirname(staged)
      cp source, staged
    end
  ensure
    ext.lib_dir = lib_dir
  end
end

# Gem::PackageTask makes the package dir with a `directory` task, which is never redone once it exists (a
# minor added since would be missing from it): the platform gem is always packed afresh.
task "native" do
  rm_rf FileList["pkg/#{GEMSPEC.name}-#{GEMSPEC.version}-*"]
end
