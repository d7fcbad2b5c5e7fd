# frozen_string_literal: true

module Channel
  # Chatwoot's Channel::Whatsapp: provider "whatsapp_cloud" (Meta's Cloud API) or "default" (360dialog),
  # provider_config holding api_key (the Meta access token), phone_number_id, business_account_id,
  # webhook_verify_token, verification_pin and source.
  class Whatsapp < ApplicationRecord
    self.table_name = "channel_whatsapp"

    belongs_to :account
    has_one :inbox, as: :channel, dependent: :destroy

    # Chatwoot's Whatsapp::WebhookSetupService#perform on wa_health: registers the number when Meta has
    # not finished provisioning it, stores the PIN only after Meta accepted it (also when the webhook
    # step then fails), and flags the channel for reauthorization when the webhook cannot be set.
    def setup_webhooks
      config = provider_config
      result = WaHealth::WebhookSetup.new(
        phone_number_id: config["phone_number_id"], business_account_id: config["business_account_id"],
        access_token: config["api_key"], callback_url: "#{frontend_url}/webhooks/whatsapp/#{phone_number}",
        verify_token: config["webhook_verify_token"], pin: config["verification_pin"], logger: Rails.logger
      ).perform
      store_pin(result.pin)
      result
    rescue WaHealth::WebhookSetupError => e
      store_pin(e.result&.pin)
      update!(reauthorization_required: true)
      raise
    end

    # WaHealth.event_handler (README "Meta's health webhooks"): every Cloud API channel of the event's WABA
    # applies it to its snapshot; network work goes to WaHealth::EventJob.
    def self.receive_health_event(event)
      where(provider: "whatsapp_cloud").where("provider_config ->> 'business_account_id' = ?", event[:waba_id])
                                       .find_each { |channel| channel.apply_health_event(event) }
    end

    def apply_health_event(event)
      snapshot, actions = WaHealth.apply_event(health_snapshot, event)
      update!(health_snapshot: snapshot) unless snapshot.equal?(health_snapshot)
      actions.each do |action|
        case action[:type]
        when :reauthorize then update!(reauthorization_required: true)
        when :notify_risk then Rails.logger.warn("[wa_health] channel #{id}: #{action[:message]}")
        end
      end
      WaHealth::EventJob.enqueue(id, actions)
    end

    private

    def store_pin(pin)
      update!(provider_config: provider_config.merge("verification_pin" => pin)) if pin
    end

    def frontend_url
      ENV.fetch("FRONTEND_URL", "https://chat.example.com")
    end
  end
end
