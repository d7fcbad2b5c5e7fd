# frozen_string_literal: true

require "mkmf"

# Writes the Makefile for one of this gem's Rust extensions (ext/<crate>/).
#
# The ecosystem's standard is rb_sys/mkmf (Debian packages the rb_sys gem from trixie on). Where that gem
# is not installed (bookworm), write a Makefile that drives cargo directly, with the targets RubyGems and
# rake-compiler use. Either way the first line of the Makefile, also printed, names the path taken
# (spec/extconf_spec.rb checks it), and CARGO_TARGET_DIR, when set, is where cargo builds.
module CargoMakefile
  module_function

  def create(crate)
    if rb_sys_loaded?
      create_with_rb_sys(crate)
    else
      header = "wa_health extconf: fallback (cargo build --release; the rb_sys gem is not installed)"
      puts header
      File.write("Makefile", "# #{header}\n#{fallback(crate, File.join(__dir__, crate))}")
    end
  end

  def rb_sys_loaded?
    require "rb_sys/mkmf"
    require "rb_sys/version"
    true
  rescue LoadError
    # rb_sys is a build tool, not one of the bundle's gems, so under `bundle exec` (rake compile) it cannot
    # be required even where it is installed: ask a Ruby outside the bundle where it is, once. (Not a
    # re-exec: rake-compiler's options to this process, such as its siteconf, must stay.)
    return false unless defined?(Bundler) && !@looked_outside_bundle

    @looked_outside_bundle = true
    find = 'print Gem::Specification.find_by_name("rb_sys").full_require_paths.first'
    lib = Bundler.with_unbundled_env { IO.popen([RbConfig.ruby, "-e", find], err: File::NULL, &:read) }
    return false if lib.empty?

    $LOAD_PATH.unshift(lib)
    rb_sys_loaded?
  end

  def create_with_rb_sys(crate)
    header = "wa_health extconf: rb_sys (rb_sys/mkmf #{RbSys::VERSION})"
    puts header
    create_rust_makefile("wa_health/#{crate}") do |r|
      r.extra_cargo_args = ["--locked"]
      # Never download a Rust toolchain during a build.
      r.auto_install_rust_toolchain = false
      # A CARGO_TARGET_DIR given to the build is the caller's to keep (a `gem install` would empty it).
      r.clean_after_install = false if ENV["CARGO_TARGET_DIR"]
    end
    # rb_sys's Makefile sets RB_SYS_CARGO_TARGET_DIR with ?=, so a line before it wins.
    target_line = ENV["CARGO_TARGET_DIR"] ? "RB_SYS_CARGO_TARGET_DIR = #{ENV['CARGO_TARGET_DIR']}\n" : ""
    File.write("Makefile", "# #{header}\n#{target_line}#{File.read('Makefile')}")
  end

  # The file cargo builds for the cdylib crate `crate` (its library name is the package name with `-` as
  # `_`): lib<name>.so on Linux and the BSDs, lib<name>.dylib on macOS, <name>.dll on Windows. Ruby's
  # SOEXT is that platform's shared-library extension; the extension Ruby loads is named with DLEXT
  # instead (.so, or .bundle on macOS).
  def cargo_library(crate, config = RbConfig::CONFIG)
    prefix = config["target_os"].match?(/mswin|mingw|cygwin/) ? "" : "lib"
    "#{prefix}#{crate.tr('-', '_')}.#{config['SOEXT']}"
  end

  def fallback(crate, crate_dir)
    target_dir = ENV.fetch("CARGO_TARGET_DIR") { File.join(Dir.pwd, "target") }
    built = File.join(target_dir, "release", cargo_library(crate))
    # Without CARGO_TARGET_DIR (a `gem install`), cargo's ~400 MB of build products live in the build
    # dir and are removed once the library is installed, so they do not stay inside the installed gem;
    # so are the built library and this Makefile, which the installed gem does not need either.
    leftovers = ENV["CARGO_TARGET_DIR"] ? "" : "rm -rf #{target_dir} $(DLLIB) Makefile"

    <<~MAKE
      CARGO ?= cargo
      DLLIB = #{crate}.#{RbConfig::CONFIG['DLEXT']}
      sitearchdir = #{RbConfig::CONFIG['sitearchdir']}
      target_prefix = /wa_health
      RUBYARCHDIR = $(DESTDIR)$(sitearchdir)$(target_prefix)

      all: $(DLLIB)

      $(DLLIB): FORCE
      \t$(CARGO) build --release --locked --manifest-path #{File.join(crate_dir, 'Cargo.toml')} --target-dir #{target_dir}
      \tcp #{built} $(DLLIB)

      # Installed by rename, so a process that has the old library loaded keeps a valid mapping.
      install: $(DLLIB)
      \tmkdir -p $(RUBYARCHDIR)
      \tcp $(DLLIB) $(RUBYARCHDIR)/$(DLLIB).new
      \tmv -f $(RUBYARCHDIR)/$(DLLIB).new $(RUBYARCHDIR)/$(DLLIB)
      \t#{leftovers.empty? ? '@true' : leftovers}

      clean:
      \trm -f $(DLLIB)
      \t#{leftovers.empty? ? '@true' : "rm -rf #{target_dir}"}

      distclean: clean
      \trm -f Makefile

      FORCE:

      .PHONY: all install clean distclean FORCE
    MAKE
  end
end
