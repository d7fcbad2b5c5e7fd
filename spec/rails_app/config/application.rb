# frozen_string_literal: true

# A Chatwoot-shaped Rails 6.1 app for the integration specs: API only, SQLite (in memory, or a file under
# Puma), the models and the inboxes health endpoint Chatwoot has. Loaded by spec/rails_helper.rb, and by
# config.ru and spec/puma/seed.rb for spec/puma/cluster_spec.rb.
require "logger"
require "stringio"
require "rails"
require "active_record/railtie"
require "active_job/railtie"
require "action_controller/railtie"
require "sidekiq"
require "wa_health"
require "wa_health/rails"
require_relative "sqlite_file" if ENV["WA_HEALTH_SPEC_DATABASE"]

Rails.env = "test"

module RailsApp
  # Everything the app logs, for the specs that check no secret reaches a log line.
  LOG = StringIO.new

  class Application < Rails::Application
    config.root = File.expand_path("..", __dir__)
    config.load_defaults 6.1
    config.api_only = true
    config.eager_load = false
    config.secret_key_base = "wa_health-rails-app-only-used-in-specs"
    # A file when Puma serves the app (spec/puma/cluster_spec.rb), so the spec can read every worker's lines.
    config.logger = ActiveSupport::Logger.new(ENV.fetch("WA_HEALTH_SPEC_RAILS_LOG") { LOG })
    # Production's level. At :debug, Rails 6.1 logs SQL bind values unfiltered (provider_config with the
    # token included); Rails 7 filters them through filter_attributes, which the Railtie fills.
    config.log_level = :info
    config.hosts.clear
    config.action_dispatch.show_exceptions = false
    config.active_support.deprecation = :raise
    config.filter_parameters += [:password]

    # What Chatwoot's config/application.rb sets (docs/chatwoot-guide.md, step 1): the ENV settings are
    # literals here, and base_url points at FakeGraph in each spec.
    config.wa_health.api_version = "v24.0" # the default (WA_HEALTH_API_VERSION overrides it)
    config.wa_health.timeout = 5 # seconds for a whole request (default 10)
    config.wa_health.webhook_verify_token = "rails-app-webhook-verify-token"
    config.wa_health.event_handler = ->(event) { Channel::Whatsapp.receive_health_event(event) }
  end
end
