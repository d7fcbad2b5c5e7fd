# frozen_string_literal: true

require "wa_health"
require_relative "testing/fake_graph"
