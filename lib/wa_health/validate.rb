# frozen_string_literal: true

require "time"

module WaHealth
  # Checks at the Ruby boundary, before anything crosses into Rust or onto the network.
  # Messages name the argument and never quote its value (it may be a secret).
  module Validate
    # The rules the extension applies, read from it (WaHealth::Native) rather than written again.
    GRAPH_ID = /\A\d{1,#{Native::MAX_GRAPH_ID_DIGITS}}\z/
    PIN = /\A\d{#{Native::PIN_DIGITS}}\z/
    SUBSCRIBED_FIELD = /\A[a-z_]{1,64}\z/
    # Longest text accepted for any argument (tokens, URLs, ...): the longest access token the extension
    # takes, far above any real value, far below what would make a request body or a header unreasonable.
    MAX_TEXT_BYTES = Native::MAX_ACCESS_TOKEN_BYTES

    module_function

    def graph_id(value, name)
      raise ArgumentError, "#{name} is missing" if blank?(value)
      raise ArgumentError, "#{name} must be a String or Integer" unless value.is_a?(String) || value.is_a?(Integer)

      text = value.is_a?(String) ? utf8(value, name) : value.to_s
      raise ArgumentError, "#{name} must be a Graph id made of digits" unless GRAPH_ID.match?(text)

      text
    end

    def blank?(value)
      value.nil? || (value.is_a?(String) && value.valid_encoding? && value.strip.empty?)
    end

    def optional_graph_id(value, name)
      return nil if blank?(value)

      graph_id(value, name)
    end

    def secret(value, name)
      raise ArgumentError, "#{name} is missing" if blank?(value)
      raise ArgumentError, "#{name} must be a String" unless value.is_a?(String)

      utf8(value, name)
    end

    def text(value, name)
      raise ArgumentError, "#{name} must be a non-blank String" unless value.is_a?(String) && !blank?(value)

      utf8(value, name)
    end

    def optional_text(value, name)
      return nil if value.nil? || value == ""

      text(value, name)
    end

    # The String as UTF-8 (what the native side reads), refusing what cannot be: invalid byte
    # sequences, binary data that is not UTF-8, and anything over MAX_TEXT_BYTES. The value is
    # never quoted (it may be a secret), and no encoding error is left as the cause.
    def utf8(value, name)
      raise ArgumentError, "#{name} is too long (over #{MAX_TEXT_BYTES} bytes)" if value.bytesize > MAX_TEXT_BYTES

      converted = to_utf8(value)
      raise ArgumentError, "#{name} must be valid UTF-8 text" unless converted&.valid_encoding?

      converted
    end

    def to_utf8(value)
      return value if value.encoding == Encoding::UTF_8
      return value.dup.force_encoding(Encoding::UTF_8) if value.encoding == Encoding::BINARY
      return nil unless value.valid_encoding?

      begin
        value.encode(Encoding::UTF_8)
      rescue EncodingError
        nil
      end
    end

    # An absolute https URL (plain http only on a loopback host), checked by the same rule the native
    # calls apply.
    def callback_url(value)
      Native.validate_callback_url(text(value, :callback_url))
    end

    # Webhook field names, e.g. %w[messages smb_message_echoes calls].
    def subscribed_fields(value)
      fields = Array(value).map { |field| field.is_a?(Symbol) ? field.to_s : field }
      unless !fields.empty? && fields.all? { |field| field.is_a?(String) && SUBSCRIBED_FIELD.match?(field) }
        raise ArgumentError, "subscribed_fields must be webhook field names such as \"messages\""
      end

      fields.uniq
    end

    # A two-step verification PIN: exactly Native::PIN_DIGITS digits, as a String or an Integer.
    def pin(value)
      text = value.is_a?(Integer) ? value.to_s : value
      return text if text.is_a?(String) && PIN.match?(text)

      raise ArgumentError, "pin must be exactly #{Native::PIN_DIGITS} digits"
    end

    # Unix seconds for each of Times, ISO-8601 Strings (as a JSON column stores them) or Integers.
    def times(values, name)
      unless values.is_a?(Array)
        raise ArgumentError,
              "#{name} must be an Array of Times, ISO-8601 Strings or Unix seconds"
      end

      values.map do |value|
        case value
        when Time then value.to_i
        when Integer then value
        when String then iso8601(value, name)
        else raise ArgumentError, "#{name} must be an Array of Times, ISO-8601 Strings or Unix seconds"
        end
      end
    end

    def iso8601(text, name)
      Time.iso8601(text).to_i
    rescue ArgumentError
      raise ArgumentError, "#{name} holds a String that is not an ISO-8601 time", cause: nil
    end

    # A timeout: a number of seconds above 0 and at most Native::MAX_TIMEOUT_SECONDS (the range the
    # extension accepts).
    def seconds(value, name)
      unless value.is_a?(Numeric) && value.real? && value.to_f.finite? && value.positive? &&
             value <= Native::MAX_TIMEOUT_SECONDS
        raise ArgumentError, "#{name} must be a number of seconds above 0 and at most #{Native::MAX_TIMEOUT_SECONDS}"
      end

      value.to_f
    end
  end
end
