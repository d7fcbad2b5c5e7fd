# frozen_string_literal: true

require "logger"
require "uri"

module WaHealth
  # Every setting of the gem, process-wide (WaHealth.config; the Railtie fills it from config.wa_health).
  # Each call may override any of CONNECTION_OPTIONS for itself.
  class Configuration
    DEFAULT_API_VERSION = "v24.0"
    DEFAULT_BASE_URL = "https://graph.facebook.com"
    DEFAULT_TIMEOUT = 10.0
    DEFAULT_OPEN_TIMEOUT = 5.0
    # ca_file: a PEM file of CA certificates trusted besides the system's (a TLS-inspecting proxy's CA,
    # a test CA); read when the settings are built.
    # proxy: an http(s) proxy URL (credentials in its userinfo), false for none, or nil (the default)
    # for the environment's (see proxy_for).
    CONNECTION_OPTIONS = %i[api_version base_url timeout open_timeout app_secret ca_file proxy].freeze

    # WaHealth::SweepJob's settings and their defaults:
    # - sweep_concurrency: fetch_many's concurrency within one job (default: fetch_many's own, read from the
    #   extension when a Configuration is built, because sidekiq.rb loads this file before the extension);
    # - sweep_default_retry_delay: seconds to wait when a RateLimitError has no retry_after;
    # - sweep_max_retry_delay: upper bound of that wait in seconds, or nil for none (Meta's estimate
    #   comes in whole minutes, so a test suite sets a few seconds here);
    # - sweep_retry_jitter: up to this fraction of the wait is added at random, so re-enqueued batches
    #   do not all return at the same second;
    # - sweep_max_rate_limit_retries: how many times a channel is re-enqueued for rate limits in one sweep.
    SWEEP_DEFAULTS = {
      sweep_concurrency: -> { Native::DEFAULT_CONCURRENCY }, sweep_default_retry_delay: 60,
      sweep_max_retry_delay: nil, sweep_retry_jitter: 0.1,
      sweep_max_rate_limit_retries: 5
    }.freeze

    # The app's callables (each must respond to call, or be nil for none; WaHealth.<name> is a shorthand):
    # - credentials_resolver: channel id -> WaHealth.fetch keyword arguments (phone_number_id:,
    #   access_token:, business_account_id:), or nil for a channel that is gone or not a Cloud API channel
    #   (it is skipped). Called inside the Sidekiq worker, so tokens stay in the database and never enter
    #   Redis.
    # - health_sink: (channel id, result) -> persists the result: the health Hash WaHealth.fetch returns, or
    #   the error (a WaHealth::Error, or ArgumentError for credentials the resolver gave incomplete). Called
    #   once per channel and sweep in the normal course; Sidekiq runs a job again after a crash or a raise,
    #   so make it idempotent (an upsert).
    # - event_handler: event Hash (WaHealth::Webhook.parse) -> anything; called by WaHealth::WebhookEndpoint
    #   in the request, once per health event (again only after it raised or ran out of time), so it must
    #   not make network calls (apply the event, persist, enqueue jobs).
    # - registration_sink: (channel id, PIN String or error) -> persists; called by WaHealth::EventJob with
    #   the PIN after Meta accepted a registration (store it: Meta now expects it), or with the
    #   WaHealth::Error of a failed one (record the attempt).
    CALLBACKS = %i[credentials_resolver health_sink event_handler registration_sink].freeze

    # Meta's webhooks, besides event_handler:
    # - event_ledger: the WaHealth::EventLedger that WebhookEndpoint and EventJob claim each event in, so
    #   each is acted on once; nil (the default): Redis through Sidekiq.redis when Sidekiq is loaded, else
    #   this process's memory (EventLedger.current);
    # - webhook_handler_timeout: seconds one POST may spend in the event_handler, all its events together
    #   (default 5); the event running then is interrupted and released, the rest wait for Meta's retry.
    WEBHOOK_HANDLER_TIMEOUT = 5

    # Every setting, each with a reader and a writer. Besides the above: logger; instrumenter, which
    # receives an event for every network call (see Instrumentation): anything that responds to
    # `instrument(name, payload) { |payload| ... }` the way ActiveSupport::Notifications does, or nil (the
    # default) to instrument nothing; and webhook_verify_token, the token Meta's subscription GET must carry
    # (hub.verify_token; WaHealth::WebhookEndpoint checks it, and the signature with app_secret).
    SETTINGS = [*CONNECTION_OPTIONS, :logger, :instrumenter, :webhook_verify_token, *CALLBACKS,
                :event_ledger, :webhook_handler_timeout, *SWEEP_DEFAULTS.keys].freeze

    attr_reader(*CONNECTION_OPTIONS, :instrumenter, :webhook_verify_token, *CALLBACKS, :event_ledger,
                :webhook_handler_timeout)
    attr_accessor :logger, *SWEEP_DEFAULTS.keys

    def initialize
      @api_version = ENV.fetch("WA_HEALTH_API_VERSION", DEFAULT_API_VERSION)
      @base_url = ENV.fetch("WA_HEALTH_GRAPH_URL", DEFAULT_BASE_URL)
      @timeout = DEFAULT_TIMEOUT
      @open_timeout = DEFAULT_OPEN_TIMEOUT
      @app_secret = nil
      @ca_file = nil
      @proxy = nil
      @logger = Logger.new(nil)
      @instrumenter = nil
      @webhook_verify_token = nil
      @event_ledger = nil
      @webhook_handler_timeout = WEBHOOK_HANDLER_TIMEOUT
      CALLBACKS.each { |name| instance_variable_set(:"@#{name}", nil) }
      SWEEP_DEFAULTS.each { |name, value| instance_variable_set(:"@#{name}", value.is_a?(Proc) ? value.call : value) }
      @lock = Mutex.new
      @graph_settings = nil
    end

    CONNECTION_OPTIONS.each do |name|
      define_method(:"#{name}=") do |value|
        @lock.synchronize do
          instance_variable_set(:"@#{name}", value)
          @graph_settings = nil
        end
      end
    end

    def instrumenter=(instrumenter)
      unless instrumenter.nil? || instrumenter.respond_to?(:instrument)
        raise ArgumentError, "instrumenter must respond to instrument(name, payload) { }"
      end

      @instrumenter = instrumenter
    end

    def webhook_verify_token=(token)
      @webhook_verify_token = token.nil? ? nil : Validate.secret(token, :webhook_verify_token)
    end

    def event_ledger=(ledger)
      unless ledger.nil? || %i[claim complete release].all? { |method| ledger.respond_to?(method) }
        raise ArgumentError, "event_ledger must be a WaHealth::EventLedger (or respond to claim, complete, release)"
      end

      @event_ledger = ledger
    end

    def webhook_handler_timeout=(seconds)
      @webhook_handler_timeout = Validate.seconds(seconds, :webhook_handler_timeout)
    end

    CALLBACKS.each do |name|
      define_method(:"#{name}=") do |callable|
        raise ArgumentError, "#{name} must respond to call" unless callable.nil? || callable.respond_to?(:call)

        instance_variable_set(:"@#{name}", callable)
      end
    end

    # The setting's value, for what cannot work without it (a job needs the resolver and the sink);
    # raises WaHealth::Error naming the setting when it is not set.
    def required(name)
      value = public_send(name)
      raise Error, "WaHealth.config.#{name} is not set" if value.nil?

      value
    end

    # The native settings for talking to the Graph API, built once and shared by every thread.
    def graph_settings
      @lock.synchronize { @graph_settings ||= self.class.build_graph_settings(to_options) }
    end

    # Graph settings for one call: the configured ones, or new ones when the call overrides a setting.
    # Raises ArgumentError for a key that is not one of CONNECTION_OPTIONS, or a bad value.
    def graph_settings_for(overrides)
      unknown = overrides.keys - CONNECTION_OPTIONS
      if unknown.any?
        raise ArgumentError, "unknown keyword#{'s' if unknown.size > 1}: #{unknown.map(&:inspect).join(', ')}"
      end

      overrides = overrides.compact
      return graph_settings if overrides.empty?

      self.class.build_graph_settings(to_options.merge(overrides))
    end

    def self.build_graph_settings(options)
      base_url = Validate.text(options[:base_url], :base_url)
      Native::GraphSettings.new(
        base_url,
        Validate.text(options[:api_version], :api_version),
        Validate.seconds(options[:timeout], :timeout),
        Validate.seconds(options[:open_timeout], :open_timeout),
        Validate.optional_text(options[:app_secret], :app_secret),
        Validate.optional_text(path_text(options[:ca_file]), :ca_file),
        proxy_for(base_url, options[:proxy])
      )
    end

    # The proxy for base_url: the proxy setting when given (false: none); otherwise the environment's,
    # as Net::HTTP finds it for the same host and port (it builds an http:// URI whatever use_ssl says,
    # so it reads http_proxy), with https_proxy first for an https base_url. no_proxy and loopback
    # hosts get none; a plain-http base_url (loopback only) never gets one from the environment.
    def self.proxy_for(base_url, proxy, env = ENV)
      return nil if proxy == false
      return Validate.text(proxy.to_s, :proxy) unless proxy.nil?

      uri = URI.parse(base_url.to_s)
      env_proxy(uri, env) if uri.is_a?(URI::HTTPS) && uri.host
    rescue URI::Error
      nil
    end

    def self.env_proxy(uri, env)
      [URI::HTTPS, URI::HTTP].each do |kind|
        found = kind.build(host: uri.host, port: uri.port).find_proxy(env)
        return found.to_s if found
      end
      nil
    end
    private_class_method :env_proxy

    def self.path_text(path)
      path.respond_to?(:to_path) ? path.to_path : path
    end

    def inspect
      "#<#{self.class.name} api_version=#{api_version.inspect} base_url=#{without_userinfo(base_url).inspect} " \
        "timeout=#{timeout.inspect} open_timeout=#{open_timeout.inspect} ca_file=#{ca_file.inspect} " \
        "proxy=#{(proxy ? without_userinfo(proxy.to_s) : proxy).inspect} " \
        "app_secret=#{app_secret ? '[REDACTED]' : 'nil'} " \
        "webhook_verify_token=#{webhook_verify_token ? '[REDACTED]' : 'nil'}>"
    end
    alias to_s inspect

    private

    # A base URL as it may be shown: any user:password@ part replaced (such a URL is refused anyway).
    def without_userinfo(url)
      url.is_a?(String) ? url.sub(%r{\A([a-z][a-z0-9+.-]*://)[^/@]*@}i, '\1[REDACTED]@') : url
    end

    def to_options
      CONNECTION_OPTIONS.to_h { |name| [name, public_send(name)] }
    end
  end
end
