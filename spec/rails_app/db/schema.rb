# frozen_string_literal: true

# Chatwoot's tables, cut down to what the health endpoint and the webhook setup use.
ActiveRecord::Schema.define do
  create_table :accounts, force: true do |t|
    t.string :name, null: false
  end

  create_table :users, force: true do |t|
    t.string :name, null: false
    t.string :access_token, null: false, index: { unique: true }
  end

  create_table :account_users, force: true do |t|
    t.references :account, null: false
    t.references :user, null: false
    t.string :role, null: false, default: "agent"
  end

  create_table :inboxes, force: true do |t|
    t.references :account, null: false
    t.string :name, null: false
    t.references :channel, polymorphic: true, null: false
  end

  create_table :inbox_members, force: true do |t|
    t.references :inbox, null: false
    t.references :user, null: false
  end

  create_table :channel_whatsapp, force: true do |t|
    t.references :account, null: false
    t.string :phone_number, null: false
    t.string :provider, null: false, default: "default"
    t.json :provider_config, null: false, default: {}
    t.boolean :reauthorization_required, null: false, default: false
  end

  create_table :channel_api, force: true do |t|
    t.references :account, null: false
  end
end

# wa_health's own columns, added by the migration docs/chatwoot-guide.md shows.
require_relative "migrate/20261201000000_add_wa_health_to_channel_whatsapp"
ActiveRecord::Migration.suppress_messages { AddWaHealthToChannelWhatsapp.new.migrate(:up) }
