# frozen_string_literal: true

# Meta's health webhooks: WaHealth::Webhook (verify, parse, challenge) and WaHealth.apply_event.
module WaHealth
  # Meta's health webhooks (phone_number_name_update, phone_number_quality_update, account_update,
  # account_review_update, business_capability_update, account_alerts, security): the signature check,
  # the subscription challenge and parsing. The work is done in Rust (crates/wa_health_core/src/webhook/).
  #
  #   WaHealth::Webhook.verify!(request.raw_post, request.headers[WaHealth::Webhook::SIGNATURE_HEADER],
  #                             app_secret: secret)
  #   WaHealth::Webhook.parse(request.raw_post) # => [event, ...]
  #
  # An event is a frozen Hash with Symbol keys, one per change of the body, in body order:
  #
  #   field                    Meta's field, e.g. "phone_number_name_update"
  #   kind                     :name_update, :quality_update, :account_update, :account_review,
  #                            :capability_update, :account_alert, :security, or :unknown for any other
  #                            field (e.g. "messages")
  #   event_id                 the change's identity: 32 hex digits, the same for every delivery of it
  #                            (WaHealth::EventLedger remembers it)
  #   waba_id                  the WABA the event concerns: value.waba_info.waba_id when present (partner
  #                            account_update events), else the entry's id
  #   entry_id                 the entry's id as sent (for partner events: the partner's business portfolio)
  #   time                     the entry's time, Unix seconds (Integer; a fraction rounded down), or nil
  #   phone_number             value.phone_number (account_update, older shapes only)
  #   display_phone_number     value.display_phone_number (name and quality updates)
  #   event                    value.event, e.g. "FLAGGED", "DISABLED_UPDATE", "PARTNER_REMOVED"
  #   decision                 value.decision, e.g. "APPROVED", "REJECTED", "DEFERRED", "PENDING"
  #   requested_verified_name, rejection_reason
  #   limits                   {current_limit:, old_limit:, max_daily_conversations_per_business:,
  #                            max_phone_numbers_per_waba:} as Meta sent them (tier Strings or Integers), or nil
  #   ban_info                 {waba_ban_state:, waba_ban_date:} or nil
  #   restriction_info         [{restriction_type:, expiration: Integer or nil}, ...]
  #   violation_info           {violation_type:} or nil
  #   disconnection_info       {reason:, initiated_by:} or nil
  #   entity_type, entity_id   what an account_alerts alert is about (BUSINESS, WABA, PHONE_NUMBER and its id)
  #   alert_info               {alert_severity:, alert_status:, alert_type:, alert_description:} or nil
  #                            (Meta nests them under alert_info or sends them in value: both are read)
  #   requester                value.requester (security: who asked for a PIN reset)
  #   value                    Meta's value object as it came (String keys)
  #
  # A change without a `field` is skipped (Meta's own example for PARTNER_APP_UNINSTALLED has it inside
  # `value`), a missing `object` is fine, and nothing in `value` can fail the other changes.
  module Webhook
    SIGNATURE_HEADER = "X-Hub-Signature-256"
    # The header as Rack puts it in the env: "HTTP_X_HUB_SIGNATURE_256".
    RACK_SIGNATURE_HEADER = "HTTP_#{SIGNATURE_HEADER.upcase.tr('-', '_')}".freeze
    MAX_BODY_BYTES = Native::WEBHOOK_MAX_BODY_BYTES
    CHALLENGE_PARAMS = %w[hub.mode hub.verify_token hub.challenge].freeze

    module_function

    # true when signature_header is Meta's HMAC-SHA256 of raw_body (the exact bytes received) under
    # app_secret; raises WebhookSignatureError when it is missing, malformed or wrong.
    def verify!(raw_body, signature_header, app_secret:)
      secret = Validate.secret(app_secret, :app_secret)
      body = raw_body_string(raw_body)
      unless signature_header.nil? || signature_header.is_a?(String)
        raise ArgumentError, "signature_header must be a String or nil"
      end

      header = signature_header&.b
      raise WebhookSignatureError, "webhook signature malformed: not ASCII" if header && !header.ascii_only?

      Native.webhook_verify(body, header&.force_encoding(Encoding::UTF_8), secret)
    end

    # The events of a body (see above); raises WebhookPayloadError for one that is not Meta's envelope.
    # Verify the signature first.
    def parse(raw_body)
      Native.webhook_parse(raw_body_string(raw_body)).map { |event| Ractor.make_shareable(event) }.freeze
    end

    # The subscription check Meta makes with a GET: the hub.challenge String to answer with when
    # hub.mode is "subscribe" and hub.verify_token equals verify_token (compared in constant time),
    # else nil. params: the query parameters (a Hash with String or Symbol keys, or Rails' params).
    def challenge(params, verify_token:)
      token = Validate.secret(verify_token, :verify_token)
      params = params.to_unsafe_h if params.respond_to?(:to_unsafe_h)
      raise ArgumentError, "params must be a Hash" unless params.is_a?(Hash)

      mode, given, challenge = CHALLENGE_PARAMS.map { |name| param_text(params, name) }
      Native.webhook_challenge(mode, given, challenge, token)
    end

    def raw_body_string(raw_body)
      raise ArgumentError, "raw_body must be a String" unless raw_body.is_a?(String)

      raw_body
    end

    def param_text(params, name)
      value = params.fetch(name) { params[name.to_sym] }
      value.is_a?(String) && value.valid_encoding? && value.bytesize <= Validate::MAX_TEXT_BYTES ? value : nil
    end
    private_class_method :raw_body_string, :param_text
  end

  # WaHealth.apply_event (extended into WaHealth).
  module Events
    # Applies a health event (from WaHealth::Webhook.parse) to a number's snapshot: the Hash WaHealth.fetch
    # returns, or one stored from it (Symbol or String keys), or nil when nothing is known yet. Returns
    # [updated_snapshot, actions]:
    #
    # - updated_snapshot: a new Hash with the snapshot's key style, or the snapshot itself when the event
    #   changes nothing (another number or WABA, not a health field, older than the last event of its
    #   field, already applied, or a name or quality event older than read_at). It remembers
    #   last_event_at (Unix seconds) and applied_events.
    # - actions: frozen Hashes {type:, reason:, message:, meta:, event_id:}; type is :register_now,
    #   :notify_risk, :notify, :mark_pin_stale, :reauthorize or :refresh; meta holds Meta's facts (event,
    #   decision, rejection_reason, ban_info, alert_info, ...); event_id is the event's.
    #
    # read_at: when the snapshot's health was read from Meta (a Time or Unix seconds; default: the
    # snapshot's read_at member, if any). A name or quality event from more than 5 minutes before it
    # changes nothing: the read already shows it.
    #
    # The rules are in crates/wa_health_core/src/webhook/rules.rs; docs/webhooks.md has the table.
    def apply_event(snapshot, event, read_at: nil)
      raise ArgumentError, "snapshot must be a Hash or nil" unless snapshot.nil? || snapshot.is_a?(Hash)
      raise ArgumentError, "event must be a Hash from WaHealth::Webhook.parse" unless event.is_a?(Hash)

      outcome = Native.apply_event(snapshot, event, unix_seconds(read_at))
      [merge_changes(snapshot, outcome[:changes]), Ractor.make_shareable(outcome[:actions])]
    end

    # The members of a snapshot that remember the events applied to it (last_event_at, applied_events).
    EVENT_MEMORY = [Native::WEBHOOK_LAST_EVENT_AT, Native::WEBHOOK_APPLIED_EVENTS].freeze

    # `fresh` (a new health read, e.g. Report#as_json, about to replace a stored snapshot) with the event
    # memory of `previous` (the stored snapshot), in fresh's key style, so that an event delivered late
    # after the read is still recognised as older than the last one of its field. Returns fresh itself
    # when previous remembers nothing.
    def carry_event_memory(fresh, previous)
      raise ArgumentError, "fresh must be a Hash" unless fresh.is_a?(Hash)
      raise ArgumentError, "previous must be a Hash or nil" unless previous.nil? || previous.is_a?(Hash)

      memory = EVENT_MEMORY.to_h { |key| [key, member(previous, key)] }.compact
      memory.empty? ? fresh : merge_changes(fresh, memory)
    end

    private

    def member(hash, key)
      hash && (hash[key] || hash[key.to_sym])
    end

    def unix_seconds(time)
      return time.to_i if time.is_a?(Time) || time.is_a?(Integer)
      raise ArgumentError, "read_at must be a Time, Unix seconds (Integer) or nil" unless time.nil?
    end

    # changes has String keys; they take the snapshot's style (Symbols for nil or mixed keys).
    def merge_changes(snapshot, changes)
      return snapshot if changes.empty?
      return snapshot.merge(changes) if snapshot&.any? && snapshot.each_key.none?(Symbol)

      (snapshot || {}).merge(changes.transform_keys(&:to_sym))
    end
  end
end
