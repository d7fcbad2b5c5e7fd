# frozen_string_literal: true

require "logger"

module WaHealth
  # Process-wide settings. Each call may override any of CONNECTION_OPTIONS for itself.
  class Configuration
    DEFAULT_API_VERSION = "v24.0"
    DEFAULT_BASE_URL = "https://graph.facebook.com"
    DEFAULT_TIMEOUT = 10.0
    DEFAULT_OPEN_TIMEOUT = 5.0
    CONNECTION_OPTIONS = %i[api_version base_url timeout open_timeout app_secret].freeze

    attr_reader(*CONNECTION_OPTIONS)
    attr_accessor :logger

    def initialize
      @api_version = ENV.fetch("WA_HEALTH_API_VERSION", DEFAULT_API_VERSION)
      @base_url = ENV.fetch("WA_HEALTH_GRAPH_URL", DEFAULT_BASE_URL)
      @timeout = DEFAULT_TIMEOUT
      @open_timeout = DEFAULT_OPEN_TIMEOUT
      @app_secret = nil
      @logger = Logger.new(nil)
      @lock = Mutex.new
      @connection = nil
    end

    CONNECTION_OPTIONS.each do |name|
      define_method(:"#{name}=") do |value|
        @lock.synchronize do
          instance_variable_set(:"@#{name}", value)
          @connection = nil
        end
      end
    end

    # The native connection for these settings, built once and shared by every thread.
    def connection
      @lock.synchronize { @connection ||= self.class.build_connection(to_options) }
    end

    # A connection for one call: the configured one, or a new one when the call overrides a setting.
    def connection_for(overrides)
      overrides = overrides.compact
      return connection if overrides.empty?

      self.class.build_connection(to_options.merge(overrides))
    end

    def self.build_connection(options)
      Native::Connection.new(
        Validate.text(options[:base_url], :base_url),
        Validate.text(options[:api_version], :api_version),
        Validate.seconds(options[:timeout], :timeout),
        Validate.seconds(options[:open_timeout], :open_timeout),
        Validate.optional_text(options[:app_secret], :app_secret)
      )
    end

    def inspect
      "#<#{self.class.name} api_version=#{api_version.inspect} base_url=#{base_url.inspect} " \
        "timeout=#{timeout.inspect} open_timeout=#{open_timeout.inspect} " \
        "app_secret=#{app_secret ? '[REDACTED]' : 'nil'}>"
    end
    alias to_s inspect

    private

    def to_options
      CONNECTION_OPTIONS.to_h { |name| [name, public_send(name)] }
    end
  end
end
