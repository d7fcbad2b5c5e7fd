# frozen_string_literal: true

# Registers numbers left in "Pending" (Meta had not provisioned the display name when Chatwoot registered)
# again, without tripping Meta's 10 registrations per 72 hours (config/schedule.yml: hourly).
class Channels::Whatsapp::RegistrationRetryJob < ApplicationJob
  queue_as :scheduled_jobs

  def perform
    Channel::Whatsapp.where(provider: "whatsapp_cloud").find_each do |channel|
      snapshot = channel.health_snapshot
      retry_registration(channel) if snapshot.nil? || WaHealth.should_register?(snapshot)
    end
  end

  private

  def retry_registration(channel)
    config = channel.provider_config
    credentials = { phone_number_id: config["phone_number_id"], access_token: config["api_key"] }
    ledger = WaHealth::RegistrationLedger.load(channel.registration_ledger)
    due = ledger.next_registration_at(health: WaHealth.fetch(**credentials))
    return unless due && due <= Time.current

    pin = config["verification_pin"] || WaHealth.generate_pin
    begin
      WaHealth.register(**credentials, pin: pin)
      ledger.record_attempt
      channel.provider_config = config.merge("verification_pin" => pin) # Meta accepted it: keep it
    rescue WaHealth::Error => e
      ledger.record_attempt(error: e) # failed attempts count toward Meta's limit too
    end
    channel.update!(registration_ledger: ledger.to_h)
  rescue WaHealth::Error, ArgumentError => e # the health read failed, or the channel is incomplete
    Rails.logger.warn("[wa_health] registration retry: channel #{channel.id}: #{e.class}: #{e.message}")
  end
end
