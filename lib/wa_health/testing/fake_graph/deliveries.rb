# frozen_string_literal: true

require "json"
require "uri"
require_relative "sender"
require_relative "account_deliveries"
require_relative "delivery_faults"

module WaHealth
  module Testing
    class FakeGraph
      # Meta's health webhooks, sent by the fake when its state changes the way Meta's would: the app's
      # callback (webhook_callback=) gets each event as Meta POSTs it, signed with the app secret
      # (X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>). Bodies take the shapes of
      # spec/fixtures/meta/webhooks, named at each method. Delivery is synchronous and happens once: a
      # method returns the callback's HTTP status (nil when no callback is set: the state still changes).
      # What Meta also does is asked for explicitly: deliver the same body again, several at once
      # (redeliver: Meta retries a body it got no 200 for, and duplicates it when several apps subscribe),
      # or out of order (time: on any method dates the event, so a later call can carry an earlier time).
      module Deliveries
        include AccountDeliveries
        include DeliveryFaults

        # One POST the fake made: the field, the exact body sent and the callback's HTTP status.
        Delivery = Struct.new(:field, :body, :status, keyword_init: true)

        DEFAULT_WEBHOOK_TIMEOUT = 5
        OBJECT = "whatsapp_business_account"

        # Where events go: an http URL on the loopback (127.0.0.0/8, [::1], localhost), or a Rack app
        # (anything responding to call, e.g. a WaHealth::WebhookEndpoint) called in this process with the
        # same signed body; nil: none.
        attr_reader :webhook_callback

        def webhook_callback=(callback)
          @webhook_callback = callback.nil? || callback.respond_to?(:call) ? callback : Sender.loopback_uri(callback)
        end

        # Seconds allowed to connect, to send and to wait for the answer, each (default 5).
        def webhook_timeout
          @webhook_timeout || DEFAULT_WEBHOOK_TIMEOUT
        end

        def webhook_timeout=(seconds)
          unless seconds.is_a?(Numeric) && seconds.positive?
            raise ArgumentError, "webhook_timeout must be a positive number"
          end

          @webhook_timeout = seconds
        end

        # The deliveries made so far, oldest first (status nil: no answer in time, or the connection failed).
        def webhook_deliveries
          @delivery_lock.synchronize { @delivery_log.dup }
        end

        # Meta approves the number's display name: name_status APPROVED, and register stops answering
        # 2388001; for a name change in review (request_display_name_change), new_name_status APPROVED and
        # the new name becomes verified_name (Meta's display names page: approval updates the name; the
        # number must then be registered again for it to take effect). Delivers a phone_number_name_update
        # APPROVED with the name as requested_verified_name (phone_number_name_update_approved.json).
        def approve_display_name(phone_number_id, business_account: nil, time: nil)
          name = nil
          update_node(phone_number_id) do |node|
            name = decide_name(node, "APPROVED")
            node["display_name_ready"] = true
          end
          deliver_name_update(phone_number_id, business_account, "APPROVED", name, nil, time: time)
        end

        # Meta rejects the display name: name_status DECLINED (new_name_status for a name change), and
        # register keeps answering 2388001. Delivers a phone_number_name_update REJECTED with reason (the
        # approval fixture's shape with Meta's rejection_reason filled in, as its reference page shows).
        def reject_display_name(phone_number_id, reason:, business_account: nil, time: nil)
          name = nil
          update_node(phone_number_id) do |node|
            name = decide_name(node, "DECLINED")
            node["display_name_ready"] = false unless node.dig("fields", "name_status") == "APPROVED"
          end
          deliver_name_update(phone_number_id, business_account, "REJECTED", name, reason.to_s, time: time)
        end

        # Meta flags the number for low quality: quality_rating RED, status FLAGGED. Delivers a
        # phone_number_quality_update FLAGGED with the number's current_limit
        # (phone_number_quality_update_flagged_tier_10k.json).
        def flag(phone_number_id, business_account: nil, time: nil)
          limit = nil
          update_node(phone_number_id) do |node|
            node["fields"].merge!("quality_rating" => "RED", "status" => "FLAGGED")
            limit = node["fields"]["whatsapp_business_manager_messaging_limit"]
          end
          value = { "display_phone_number" => display_digits(phone_number_id), "event" => "FLAGGED",
                    "current_limit" => limit }.compact
          deliver_change(waba_of(phone_number_id, business_account), "phone_number_quality_update", value, time)
        end

        # Meta restricts the WABA. Delivers an account_update ACCOUNT_RESTRICTION with restriction_info
        # (account_update_account_restriction.json): restrictions are {type:, expiration: Unix seconds}. The
        # fake keeps no restriction state: its GETs answer as before.
        def restrict_account(business_account_id, restrictions:)
          node(business_account_id) or raise ArgumentError, "FakeGraph has no node #{business_account_id}"
          info = restrictions.map do |restriction|
            { "restriction_type" => restriction.fetch(:type).to_s, "expiration" => restriction[:expiration]&.to_i }
          end
          deliver_change(business_account_id.to_s, "account_update",
                         { "event" => "ACCOUNT_RESTRICTION", "restriction_info" => info })
        end

        # Signs and POSTs body to the callback as it is: a String byte for byte (e.g. a corpus fixture's body),
        # a Hash as JSON. Returns the HTTP status, or nil when no callback is set or deliveries are held.
        def deliver_webhook(body, field: nil)
          raw = body.is_a?(String) ? body.b : JSON.generate(body)
          return nil if @delivery_lock.synchronize { @held&.push([raw, field]) }
          return nil unless webhook_callback

          secret = @app_secret or raise WaHealth::Error, "FakeGraph has no app_secret to sign webhooks with"
          status = Sender.deliver(webhook_callback, raw, secret, webhook_timeout)
        ensure
          # Also one that got no answer (status nil), which Meta would deliver again.
          record_delivery(field, raw, status) if secret
        end

        private

        def record_delivery(field, raw, status)
          @delivery_lock.synchronize { @delivery_log << Delivery.new(field: field, body: raw, status: status) }
        end

        def deliver_name_update(phone_number_id, business_account, decision, name, reason, time: nil)
          value = { "display_phone_number" => display_digits(phone_number_id), "decision" => decision,
                    "requested_verified_name" => name, "rejection_reason" => reason }
          deliver_change(waba_of(phone_number_id, business_account), "phone_number_name_update", value, time)
        end

        # The envelope of Meta's examples: entry (id, time: a Time or Unix seconds, default now; changes), object.
        def deliver_change(entry_id, field, value, time = nil)
          body = { "entry" => [{ "id" => entry_id, "time" => (time || Time.now).to_i,
                                 "changes" => [{ "value" => value, "field" => field }] }], "object" => OBJECT }
          deliver_webhook(body, field: field)
        end

        # Sets the name's review outcome on the node and returns the name under review: a name change's new
        # name (which becomes verified_name when approved), else the current one.
        def decide_name(node, status)
          fields = node["fields"]
          return decide_name_change(fields, status) if fields["new_name_status"] == "PENDING_REVIEW"

          fields["name_status"] = status
          fields["verified_name"]
        end

        def decide_name_change(fields, status)
          fields["new_name_status"] = status
          name = fields["new_display_name"] || fields["verified_name"]
          fields["verified_name"] = name if status == "APPROVED"
          name
        end

        # Meta sends the display number as digits ("15550783881" for "+1 555-078-3881").
        def display_digits(phone_number_id)
          node = node(phone_number_id) or raise ArgumentError, "FakeGraph has no node #{phone_number_id}"
          node.dig("fields", "display_phone_number").to_s.delete("^0-9")
        end

        def waba_of(phone_number_id, business_account)
          waba = business_account || node(phone_number_id)&.fetch("waba_id", nil)
          waba or raise ArgumentError, "phone #{phone_number_id} has no WABA: add it with business_account: " \
                                       "or pass business_account:"
          waba.to_s
        end
      end
    end
  end
end
