# frozen_string_literal: true

require "mkmf"

# The ecosystem's standard is rb_sys/mkmf. Where that gem is not installed (it is not packaged by
# Debian), write a Makefile that drives cargo directly, with the targets RubyGems and rake-compiler use.
begin
  require "rb_sys/mkmf"
  create_rust_makefile("wa_health/wa_health")
rescue LoadError
  crate_dir = File.expand_path(__dir__)
  target_dir = ENV.fetch("CARGO_TARGET_DIR") { File.join(Dir.pwd, "target") }
  dlext = RbConfig::CONFIG["DLEXT"]
  built = File.join(target_dir, "release", "libwa_health.so")
  # Without CARGO_TARGET_DIR (a `gem install`), cargo's ~400 MB of build products live in the build
  # dir and are removed once the library is installed, so they do not stay inside the installed gem.
  private_target = ENV["CARGO_TARGET_DIR"] ? "" : target_dir
  remove_private_target = private_target.empty? ? "@true" : "rm -rf #{private_target}"

  File.write("Makefile", <<~MAKE)
    CARGO ?= cargo
    DLLIB = wa_health.#{dlext}
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
    \t#{remove_private_target}

    clean:
    \trm -f $(DLLIB)
    \t#{remove_private_target}

    distclean: clean
    \trm -f Makefile

    FORCE:

    .PHONY: all install clean distclean FORCE
  MAKE
end
