# frozen_string_literal: true

require "wa_health"

# The test support extension (the fake Graph API and the benchmark floors), kept out of the production
# one; loaded the same way as that one.
begin
  require "wa_health/#{RUBY_VERSION[/\d+\.\d+/]}/wa_health_testing"
rescue LoadError
  require "wa_health/wa_health_testing"
end

require_relative "testing/fake_graph"
