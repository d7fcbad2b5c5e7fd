# frozen_string_literal: true

require_relative "../wa_health"

# The test support extension (the fake Graph API), kept out of the production one.
WaHealth::Extension.load("wa_health_testing")

require_relative "testing/fake_graph"
