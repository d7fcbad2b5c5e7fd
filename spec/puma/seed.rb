# frozen_string_literal: true

# Run by PumaCluster before Puma starts: boots the spec Rails app on the SQLite file named by
# WA_HEALTH_SPEC_DATABASE, loads the schema, and creates one account, administrator and WhatsApp inbox
# per line of the JSON array on standard input ({"phone_number_id", "display_phone_number"}); prints the
# ids and the users' Chatwoot API tokens as a JSON array. The Meta token comes from
# WA_HEALTH_SPEC_META_TOKEN.
require "json"
require "securerandom"
require_relative "../rails_app/config/application"

RailsApp::Application.initialize!
# Several processes share the file: in WAL mode the workers' readers never wait for a writer.
ActiveRecord::Base.connection.execute("PRAGMA journal_mode=WAL")
ActiveRecord::Migration.suppress_messages { load File.expand_path("../rails_app/db/schema.rb", __dir__) }

token = ENV.fetch("WA_HEALTH_SPEC_META_TOKEN")
numbers = JSON.parse($stdin.read)
inboxes = ActiveRecord::Base.transaction do
  numbers.each_with_index.map do |number, i|
    account = Account.create!(name: "Account #{i}")
    user = User.create!(name: "Admin #{i}", access_token: "chatwoot-user-#{SecureRandom.hex(12)}")
    AccountUser.create!(account: account, user: user, role: "administrator")
    channel = Channel::Whatsapp.create!(
      account: account, phone_number: number["display_phone_number"], provider: "whatsapp_cloud",
      provider_config: { "api_key" => token, "phone_number_id" => number["phone_number_id"],
                         "business_account_id" => number["business_account_id"] }
    )
    inbox = Inbox.create!(account: account, name: "WhatsApp #{i}", channel: channel)
    number.merge("account_id" => account.id, "inbox_id" => inbox.id, "user_token" => user.access_token)
  end
end
puts JSON.generate(inboxes)
