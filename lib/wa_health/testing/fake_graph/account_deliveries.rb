# frozen_string_literal: true

module WaHealth
  module Testing
    class FakeGraph
      # Meta's webhooks about the business rather than a number's name or quality (part of Deliveries, which
      # sends them): the partner removed or its app uninstalled (sent to the partner, naming the customer's
      # WABA in waba_info), account alerts, and two-step verification PIN events; and a name change
      # submitted, which Deliveries#approve_display_name then approves.
      module AccountDeliveries
        # The business submits a new display name for a number (WhatsApp Manager or the API): new_display_name
        # and new_name_status PENDING_REVIEW (phone_new_name_status_pending_review.json's fields), the current
        # name unchanged. Meta sends no webhook for the submission.
        def request_display_name_change(phone_number_id, name)
          update_node(phone_number_id) do |node|
            node["fields"].merge!("new_display_name" => name.to_s, "new_name_status" => "PENDING_REVIEW")
          end
        end

        # The business removes the partner (the app's business) from its WABA. Delivers an account_update
        # PARTNER_REMOVED as Meta sends it to the partner: the entry's id is the partner's business portfolio
        # and the customer's WABA is in value.waba_info (account_update_partner_removed.json;
        # disconnection_info as in account_update_partner_removed_disconnection_info.json when reason: is
        # given). The fake's nodes are left as they are.
        def remove_partner(business_account_id, partner_business_id:, reason: nil, initiated_by: nil, time: nil)
          value = { "event" => "PARTNER_REMOVED", "waba_info" => waba_info(business_account_id) }
          if reason
            value["disconnection_info"] =
              { "reason" => reason.to_s, "initiated_by" => initiated_by&.to_s }.compact
          end
          deliver_change(partner_business_id.to_s, "account_update", value, time)
        end

        # The business uninstalls the partner's app: an account_update PARTNER_APP_UNINSTALLED to the partner,
        # waba_info with partner_app_id (account_update_partner_app_uninstalled.json).
        def uninstall_partner_app(business_account_id, partner_business_id:, partner_app_id:, time: nil)
          info = waba_info(business_account_id).merge("partner_app_id" => partner_app_id.to_s)
          deliver_change(partner_business_id.to_s, "account_update",
                         { "event" => "PARTNER_APP_UNINSTALLED", "waba_info" => info }, time)
        end

        # Meta raises an alert about the business, the WABA or a number. Delivers an account_alerts change in
        # the shape of Meta's reference (account_alerts_increased_capabilities_deferred.json): entity_type
        # and entity_id, and alert_info with severity (CRITICAL, WARNING, INFORMATIONAL), status (ACTIVE,
        # NONE), type and description. The fake's nodes are left as they are.
        def alert(business_account_id, type:, severity: "WARNING", status: "ACTIVE", description: nil,
                  entity_type: "BUSINESS", entity_id: nil, time: nil)
          node(business_account_id) or raise ArgumentError, "FakeGraph has no node #{business_account_id}"
          info = { "alert_severity" => severity.to_s, "alert_status" => status.to_s, "alert_type" => type.to_s,
                   "alert_description" => description&.to_s }.compact
          value = { "entity_type" => entity_type.to_s, "entity_id" => (entity_id || business_account_id).to_s,
                    "alert_info" => info }
          deliver_change(business_account_id.to_s, "account_alerts", value, time)
        end

        # Someone changes the number's two-step verification PIN in WhatsApp Manager: registering with the old
        # PIN now answers 133005. Delivers a security PIN_CHANGED (security_pin_changed_dashboard_sample.json
        # in Meta's envelope).
        def change_pin(phone_number_id, pin:, business_account: nil, time: nil)
          update_node(phone_number_id) { |node| node["pin"] = pin.to_s }
          deliver_security(phone_number_id, business_account, "PIN_CHANGED", nil, time)
        end

        # Someone asks to turn two-step verification off (WhatsApp Manager's reset email): nothing changes yet.
        # Delivers a security PIN_RESET_REQUEST with the requester (security_pin_reset_request.json).
        def request_pin_reset(phone_number_id, requester:, business_account: nil, time: nil)
          node(phone_number_id) or raise ArgumentError, "FakeGraph has no node #{phone_number_id}"
          deliver_security(phone_number_id, business_account, "PIN_RESET_REQUEST", requester, time)
        end

        # The reset is completed: two-step verification is off, so a registration sets whatever PIN it is
        # given. Delivers a security PIN_REQUEST_SUCCESS (Meta's security reference names the event).
        def complete_pin_reset(phone_number_id, business_account: nil, time: nil)
          update_node(phone_number_id) { |node| node["pin"] = nil }
          deliver_security(phone_number_id, business_account, "PIN_REQUEST_SUCCESS", nil, time)
        end

        private

        def deliver_security(phone_number_id, business_account, event, requester, time)
          value = { "display_phone_number" => display_digits(phone_number_id), "event" => event,
                    "requester" => requester&.to_s }.compact
          deliver_change(waba_of(phone_number_id, business_account), "security", value, time)
        end

        # waba_info of partner events: the customer's WABA and its owner (the WABA node's owner_business_info).
        def waba_info(business_account_id)
          waba = node(business_account_id) or raise ArgumentError, "FakeGraph has no node #{business_account_id}"
          { "waba_id" => business_account_id.to_s,
            "owner_business_id" => waba.dig("fields", "owner_business_info", "id") }.compact
        end
      end
    end
  end
end
