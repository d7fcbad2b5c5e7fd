# frozen_string_literal: true

module Channel
  # Chatwoot's Channel::Whatsapp: provider "whatsapp_cloud" (Meta's Cloud API) or "default" (360dialog),
  # provider_config holding api_key (the Meta access token), phone_number_id, business_account_id,
  # webhook_verify_token, verification_pin and source.
  class Whatsapp < ApplicationRecord
    include Reauthorizable

    self.table_name = "channel_whatsapp"

    belongs_to :account
    has_one :inbox, as: :channel, dependent: :destroy
    before_destroy :teardown_webhooks

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
      store_pin(e.result&.pin) # registered, then the webhook failed: keep the PIN Meta now expects
      prompt_reauthorization!
      raise
    end

    # Chatwoot's Whatsapp::WebhookTeardownService on wa_health, when the inbox is deleted: clear the
    # phone-level override; unsubscribe the app only when no other channel uses the WABA and the setup
    # was embedded signup (a manual setup's Meta app is the customer's own); deregister embedded-signup
    # numbers. Errors are logged by the gem and never stop the deletion.
    def teardown_webhooks
      config = provider_config
      return unless provider == "whatsapp_cloud" && config["phone_number_id"].present? && config["api_key"].present?

      embedded = config["source"] == "embedded_signup"
      WaHealth::WebhookTeardown.new(
        phone_number_id: config["phone_number_id"], business_account_id: config["business_account_id"],
        access_token: config["api_key"], unsubscribe_app: embedded && last_channel_of_waba?,
        deregister: embedded, logger: Rails.logger
      ).perform
    end

    # WaHealth.event_handler (docs/chatwoot-guide.md, step 7): every Cloud API channel of the WABA the event
    # concerns (for partner events the customer's, from waba_info) applies it to its snapshot; network work
    # goes to WaHealth::EventJob. WaHealth::WebhookEndpoint calls this once per event (its event ledger
    # skips Meta's duplicates and retries), and again only when it raised or ran out of time.
    def self.receive_health_event(event)
      where(provider: "whatsapp_cloud").where("provider_config ->> 'business_account_id' = ?", event[:waba_id])
                                       .find_each { |channel| channel.apply_health_event(event) }
    end

    def apply_health_event(event)
      snapshot, actions = WaHealth.apply_event(health_snapshot, event)
      update!(health_snapshot: snapshot) unless snapshot.equal?(health_snapshot)
      actions.each do |action|
        case action[:type]
        when :reauthorize then prompt_reauthorization!
        when :mark_pin_stale then mark_pin_stale!(action)
        when :notify_risk then Rails.logger.warn("[wa_health] channel #{id}: #{action[:message]}")
        when :notify then Rails.logger.info("[wa_health] channel #{id}: #{action[:message]}")
        end
      end
      WaHealth::EventJob.enqueue(id, actions)
    end

    # Meta's security webhook: the PIN kept here may no longer be the number's (the resolver says so to
    # WaHealth::EventJob, which then does not register with it); a PIN Meta accepts again clears it.
    def mark_pin_stale!(action)
      update!(provider_config: provider_config.merge("verification_pin_stale" => action[:reason].to_s))
      Rails.logger.warn("[wa_health] channel #{id}: #{action[:message]}")
    end

    private

    def last_channel_of_waba?
      waba = provider_config["business_account_id"]
      others = self.class.where.not(id: id)
      waba.present? && others.none? { |other| other.provider_config["business_account_id"] == waba }
    end

    def store_pin(pin)
      update!(provider_config: provider_config.merge("verification_pin" => pin)) if pin
    end

    def frontend_url
      ENV.fetch("FRONTEND_URL", "https://chat.example.com")
    end
  end
end
