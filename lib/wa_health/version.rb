# frozen_string_literal: true

module WaHealth
  VERSION = "0.1.0"
end
