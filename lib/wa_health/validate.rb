# frozen_string_literal: true

module WaHealth
  # Checks at the Ruby boundary, before anything crosses into Rust or onto the network.
  # Messages name the argument and never quote its value (it may be a secret).
  module Validate
    GRAPH_ID = /\A\d{1,32}\z/

    module_function

    def graph_id(value, name)
      raise ArgumentError, "#{name} is missing" if blank?(value)
      raise ArgumentError, "#{name} must be a String or Integer" unless value.is_a?(String) || value.is_a?(Integer)

      text = value.to_s
      raise ArgumentError, "#{name} must be a Graph id made of digits" unless GRAPH_ID.match?(text)

      text
    end

    def blank?(value)
      value.nil? || (value.is_a?(String) && value.strip.empty?)
    end

    def optional_graph_id(value, name)
      return nil if blank?(value)

      graph_id(value, name)
    end

    def secret(value, name)
      raise ArgumentError, "#{name} is missing" if blank?(value)
      raise ArgumentError, "#{name} must be a String" unless value.is_a?(String)

      value
    end

    def text(value, name)
      raise ArgumentError, "#{name} must be a non-blank String" unless value.is_a?(String) && !value.strip.empty?

      value
    end

    def optional_text(value, name)
      return nil if value.nil? || value == ""

      text(value, name)
    end

    def seconds(value, name)
      unless value.is_a?(Numeric) && value.real? && value.to_f.finite? && value.positive?
        raise ArgumentError, "#{name} must be a positive number of seconds"
      end

      value.to_f
    end
  end
end
