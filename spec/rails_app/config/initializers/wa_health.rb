# frozen_string_literal: true

Rails.application.config.to_prepare do
  # channel id -> WaHealth.fetch's arguments, or nil to skip it. Runs in the Sidekiq worker: tokens stay in
  # the database and never enter Redis.
  WaHealth.credentials_resolver = lambda do |channel_id|
    channel = Channel::Whatsapp.find_by(id: channel_id, provider: "whatsapp_cloud")
    next unless channel

    config = channel.provider_config
    { phone_number_id: config["phone_number_id"], access_token: config["api_key"],
      business_account_id: config["business_account_id"],
      pin: config["verification_pin"], # read only by WaHealth::EventJob's register_now
      pin_stale: config["verification_pin_stale"] } # set by Meta's security webhook (step 7)
  end

  # (channel id, health Hash or error) -> persist. Idempotent: Sidekiq runs a job again after a crash.
  WaHealth.health_sink = lambda do |channel_id, result|
    channel = Channel::Whatsapp.find_by(id: channel_id) or next
    case result
    when Hash
      report = WaHealth::Report.new(result, previous: channel.health_snapshot)
      Rails.logger.warn("[wa_health] channel #{channel_id} is at risk") if report.risk_changed?
      # Keeps what the snapshot remembers of Meta's events, so that one delivered late stays late (step 7).
      channel.update!(health_snapshot: WaHealth.carry_event_memory(report.as_json, channel.health_snapshot))
    when WaHealth::AuthorizationError then channel.authorization_error!
    else Rails.logger.warn("[wa_health] sweep: channel #{channel_id}: #{result.class}: #{result.message}")
    end
  end

  # (channel id, PIN or error) from WaHealth::EventJob: keep a PIN once Meta accepted it.
  WaHealth.registration_sink = lambda do |channel_id, pin_or_error|
    channel = Channel::Whatsapp.find_by(id: channel_id) or next
    if pin_or_error.is_a?(String)
      config = channel.provider_config.merge("verification_pin" => pin_or_error).except("verification_pin_stale")
      channel.update!(provider_config: config)
    else
      Rails.logger.warn("[wa_health] registration of channel #{channel_id} failed: #{pin_or_error.message}")
    end
  end
end

# One log line per call to Meta: ids, outcome and time, never a token or PIN.
ActiveSupport::Notifications.subscribe(/\.wa_health\z/) do |event|
  payload = event.payload
  Rails.logger.info("[wa_health] #{event.name} #{payload[:phone_number_id] || payload[:business_account_id]} " \
                    "status=#{payload[:http_status]} code=#{payload[:error_code]} #{event.duration.round(1)}ms")
end
