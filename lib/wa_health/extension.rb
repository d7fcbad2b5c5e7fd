# frozen_string_literal: true

module WaHealth
  # Loads one of the gem's two native extensions: wa_health/<ruby major.minor>/<name> in the platform gem
  # (one library per Ruby minor it carries), wa_health/<name> when built from source.
  module Extension
    ROOT = File.expand_path("../..", __dir__)

    module_function

    # `require`, not `require_relative`: RubyGems may install an extension it built outside lib/ (its
    # extension dir), which is on the load path but not beside this file.
    def load(name)
      minor = RUBY_VERSION[/\A\d+\.\d+/]
      try_require("wa_health/#{minor}/#{name}") || try_require("wa_health/#{name}") ||
        raise(ExtensionNotBuiltError, not_built_message(name, minor))
    end

    # false when the feature is not on the load path; a library that is there but fails to load (wrong
    # Ruby, missing symbol) raises its own LoadError.
    def try_require(feature)
      require feature
      true
    rescue LoadError => e
      raise unless e.path == feature

      false
    end

    def not_built_message(name, minor)
      libraries = Dir[File.join(ROOT, "lib", "wa_health", "*", "#{name}.*")]
      carried = libraries.map { |path| File.basename(File.dirname(path)) }
      unless carried.empty?
        return "wa_health's native extension #{name} has no build for Ruby #{minor} in this gem (it carries " \
               "Ruby #{carried.sort.join(', ')}): install the gem from source (`gem install wa_health --platform ruby`)"
      end

      "wa_health's native extension #{name} is not built: run `bundle exec rake compile` in #{ROOT} " \
        "(or install the platform gem)"
    end
  end
end
