# frozen_string_literal: true

require "open3"
require "rbconfig"
require "wa_health/sidekiq"

# The shorthands for WaHealth.config's settings (lib/wa_health/settings.rb): each is defined once, exists
# whatever else is loaded, and keeps its value in WaHealth.config.
RSpec.describe WaHealth::Settings do
  it "defines WaHealth.<name> and WaHealth.<name>= for every callable setting, kept in WaHealth.config" do
    WaHealth::Configuration::CALLBACKS.each do |name|
      callable = ->(*) {}
      WaHealth.public_send(:"#{name}=", callable)
      expect([WaHealth.public_send(name), WaHealth.config.public_send(name)]).to eq([callable, callable])
      WaHealth.config.public_send(:"#{name}=", nil)
      expect(WaHealth.public_send(name)).to be_nil
      expect { WaHealth.public_send(:"#{name}=", "Channel") }
        .to raise_error(ArgumentError, "#{name} must respond to call")
    end
  end

  it "defines WaHealth::SweepJob.<name> and <name>= for every sweep_* setting, kept in WaHealth.config" do
    WaHealth::Configuration::SWEEP_DEFAULTS.each do |setting, default|
      name = setting.to_s.delete_prefix("sweep_")
      expect(WaHealth::SweepJob.public_send(name)).to eq(default.is_a?(Proc) ? default.call : default)
      WaHealth::SweepJob.public_send(:"#{name}=", 7)
      expect(WaHealth.config.public_send(setting)).to eq(7)
      WaHealth.config.public_send(:"#{setting}=", 3)
      expect(WaHealth::SweepJob.public_send(name)).to eq(3)
    end
  end

  it "defaults sweep_concurrency to fetch_many's own default, which the extension defines" do
    expect(WaHealth::Configuration.new.sweep_concurrency).to eq(WaHealth::Native::DEFAULT_CONCURRENCY)
    expect(WaHealth::Native::DEFAULT_CONCURRENCY).to eq(16)
  end

  it "has the WaHealth shorthands with `require \"wa_health\"` alone, and the same ones once Sidekiq is loaded" do
    lib = File.expand_path("../lib", __dir__)
    shorthands = "WaHealth.singleton_methods.sort & %i[#{WaHealth::Configuration::CALLBACKS.join(' ')}]"
    script = <<~RUBY
      require "wa_health"
      before = [defined?(::Sidekiq), #{shorthands}]
      WaHealth.credentials_resolver = ->(id) { id }
      require "wa_health/sidekiq"
      p [before, #{shorthands}, WaHealth.config.credentials_resolver.call(7)]
    RUBY
    out, err, status = Open3.capture3(RbConfig.ruby, "-w", "-I", lib, "-e", script)
    expect(status).to be_success, err
    expect(out).to eq("#{[[nil, WaHealth::Configuration::CALLBACKS.sort], WaHealth::Configuration::CALLBACKS.sort, 7]
                           .inspect}\n")
  end
end
