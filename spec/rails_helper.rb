# frozen_string_literal: true

# Loads the Chatwoot-shaped app in spec/rails_app. Only spec/rails/*_spec.rb require this, so the rest of
# the suite runs without Rails; examples in spec/rails get the :rails metadata and the hooks below.
require "spec_helper"
require_relative "rails_app/config/application"
require "rack/test"

RailsApp::Application.initialize! unless RailsApp::Application.initialized?

ActiveRecord::Migration.suppress_messages { load File.expand_path("rails_app/db/schema.rb", __dir__) }

module RailsAppHelpers
  include Rack::Test::Methods

  TABLES = %w[inbox_members inboxes account_users users accounts channel_whatsapp channel_api].freeze

  def app
    Rails.application
  end

  def rails_log
    RailsApp::LOG.string
  end

  def create_account(name = "Acme")
    Account.create!(name: name)
  end

  def create_user(account, role:, name: role)
    user = User.create!(name: name, access_token: "chatwoot-user-#{SecureRandom.hex(8)}")
    AccountUser.create!(account: account, user: user, role: role)
    user
  end

  def create_whatsapp_inbox(account, provider: "whatsapp_cloud", **provider_config)
    channel = Channel::Whatsapp.create!(account: account, phone_number: "+15550100001", provider: provider,
                                        provider_config: provider_config.transform_keys(&:to_s))
    Inbox.create!(account: account, name: "WhatsApp", channel: channel)
  end

  def create_api_inbox(account)
    Inbox.create!(account: account, name: "API", channel: Channel::Api.create!(account: account))
  end
end

RSpec.configure do |config|
  config.define_derived_metadata(file_path: %r{/spec/rails/}) { |metadata| metadata[:rails] = true }
  config.include RailsAppHelpers, :rails

  # After spec_helper's WaHealth.reset_config!: the app's settings back, as its boot left them.
  config.before(:each, :rails) do
    WaHealth::Railtie.apply(Rails.application.config.wa_health)
    # In production the ledger is Sidekiq's Redis; these specs run no redis-server.
    WaHealth.config.event_ledger = WaHealth::EventLedger.new(WaHealth::EventLedger::MemoryStore.new)
    Rails.application.reloader.prepare! # config/initializers/wa_health.rb's to_prepare: resolver and sinks
    RailsAppHelpers::TABLES.each { |table| ActiveRecord::Base.connection.execute("DELETE FROM #{table}") }
    RailsApp::LOG.truncate(0)
    RailsApp::LOG.rewind
  end
end
