# frozen_string_literal: true

require "mkmf"

# Writes the Makefile for one of this gem's Rust extensions (ext/<crate>/).
#
# The ecosystem's standard is rb_sys/mkmf. Where that gem is not installed (Debian bookworm does
# not package it), write a Makefile that drives cargo directly, with the targets RubyGems and
# rake-compiler use.
module CargoMakefile
  module_function

  def create(crate)
    require "rb_sys/mkmf"
    create_rust_makefile("wa_health/#{crate}")
  rescue LoadError
    File.write("Makefile", fallback(crate, File.join(__dir__, crate)))
  end

  def fallback(crate, crate_dir)
    target_dir = ENV.fetch("CARGO_TARGET_DIR") { File.join(Dir.pwd, "target") }
    built = File.join(target_dir, "release", "lib#{crate}.so")
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
