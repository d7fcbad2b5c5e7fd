# frozen_string_literal: true

# The two columns wa_health's wiring keeps per channel (jsonb on Chatwoot's PostgreSQL).
class AddWaHealthToChannelWhatsapp < ActiveRecord::Migration[6.1]
  def change
    add_column :channel_whatsapp, :health_snapshot, :jsonb      # the last WaHealth::Report#as_json
    add_column :channel_whatsapp, :registration_ledger, :jsonb  # WaHealth::RegistrationLedger#to_h
  end
end
