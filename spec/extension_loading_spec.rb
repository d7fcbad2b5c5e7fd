# frozen_string_literal: true

require "fileutils"
require "open3"
require "rbconfig"
require "tmpdir"

# `require "wa_health"` from a copy of the gem's Ruby sources without the built libraries: what
# `gem "wa_health", path: ...` gives, since Bundler does not compile a path gem's extension.
RSpec.describe "Loading the native extension (lib/wa_health/extension.rb)" do
  root = File.expand_path("..", __dir__)
  minor = RUBY_VERSION[/\A\d+\.\d+/]

  around do |example|
    Dir.mktmpdir("wa_health-load") do |dir|
      @dir = dir
      @gem_dir = File.join(dir, "wa_health")
      Dir.chdir(root) do
        [*Dir["lib/**/*.rb"], *Dir["exe/*"], "wa_health.gemspec"].each do |file|
          FileUtils.mkdir_p(File.join(@gem_dir, File.dirname(file)))
          FileUtils.cp(file, File.join(@gem_dir, file))
        end
      end
      example.run
    end
  end

  # Runs `script` under Bundler with a Gemfile that has only `gem "wa_health", path: <the copy>`.
  def run_in_path_bundle(script)
    app = File.join(@dir, "app")
    FileUtils.mkdir_p(app)
    File.write(File.join(app, "Gemfile"), "gem \"wa_health\", path: #{@gem_dir.dump}\n")
    Bundler.with_unbundled_env do
      Open3.capture2e({ "BUNDLE_GEMFILE" => File.join(app, "Gemfile") }, "bundle", "exec", RbConfig.ruby,
                      "-e", script, chdir: app)
    end
  end

  it "raises ExtensionNotBuiltError, a LoadError that says what to run, for a path gem that was never compiled" do
    output, status = run_in_path_bundle(<<~RUBY)
      begin
        require "wa_health"
      rescue LoadError => e
        puts e.class, e.message
        exit 3
      end
    RUBY
    expect(status.exitstatus).to eq(3), output
    expect(output.lines.first.chomp).to eq("WaHealth::ExtensionNotBuiltError")
    expect(output).to include("wa_health's native extension wa_health is not built: run `bundle exec rake compile` " \
                              "in #{@gem_dir} (or install the platform gem)")
  end

  it "says so for wa_health/testing too when only that extension is missing" do
    FileUtils.mkdir_p(File.join(@gem_dir, "lib", "wa_health", minor))
    FileUtils.cp(File.join(root, "lib", "wa_health", "wa_health.so"), File.join(@gem_dir, "lib", "wa_health", minor))
    output, status = run_in_path_bundle('require "wa_health/testing"')
    expect(status.success?).to be(false)
    expect(output).to include("wa_health's native extension wa_health_testing is not built: run " \
                              "`bundle exec rake compile` in #{@gem_dir}")
    expect(output).to include("(WaHealth::ExtensionNotBuiltError)")
  end

  it "names the Ruby minors a platform gem carries when this Ruby is not one of them" do
    FileUtils.mkdir_p(File.join(@gem_dir, "lib", "wa_health", "2.9"))
    FileUtils.touch(File.join(@gem_dir, "lib", "wa_health", "2.9", "wa_health.so"))
    output, status = run_in_path_bundle('require "wa_health"')
    expect(status.success?).to be(false)
    expect(output).to include("wa_health's native extension wa_health has no build for Ruby #{minor} in this gem " \
                              "(it carries Ruby 2.9): install the gem from source")
  end

  it "passes on the loader's own error when a library is there but cannot be loaded" do
    FileUtils.mkdir_p(File.join(@gem_dir, "lib", "wa_health", minor))
    File.write(File.join(@gem_dir, "lib", "wa_health", minor, "wa_health.so"), "not an ELF file")
    output, status = run_in_path_bundle('require "wa_health"')
    expect(status.success?).to be(false)
    expect(output).not_to include("ExtensionNotBuiltError")
    expect(output).to match(/wa_health\.so.*\(LoadError\)/)
  end
end
