# frozen_string_literal: true

module WaHealth
  module Testing
    class FakeGraph
      # The app's subscriptions to WABAs, phone-level webhook overrides and business profiles, as the fake holds
      # them: set up a state without going through the API, and read what the API calls left.
      module Webhooks
        # Subscribes the app to a WABA as POST /{id}/subscribed_apps would (override_callback_uri: WABA-level).
        def subscribe_app(business_account_id, fields: nil, override_callback_uri: nil, verify_token: nil)
          entry = { "subscribed_fields" => fields&.map(&:to_s), "override_callback_uri" => override_callback_uri,
                    "verify_token" => verify_token }.compact
          update_node(business_account_id) { |node| node["subscriptions"] = [entry] }
        end

        # Unsubscribes the app from a WABA, as DELETE /{id}/subscribed_apps would.
        def unsubscribe_app(business_account_id)
          update_node(business_account_id) { |node| node["subscriptions"] = [] }
        end

        # The app's subscription to a WABA (override_callback_uri, verify_token, subscribed_fields if sent), or nil.
        def subscription(business_account_id)
          node(business_account_id)&.fetch("subscriptions")&.first
        end

        # A phone's own webhook override ({"override_callback_uri", "verify_token"}), or nil.
        def webhook_override(phone_number_id)
          node(phone_number_id)&.fetch("webhook_override", nil)
        end

        # Replaces a phone's business profile (about:, email:, vertical:, ...); no fields: an unfilled profile.
        def set_business_profile(phone_number_id, **fields)
          update_node(phone_number_id) do |node|
            node["business_profile"] = fields.empty? ? nil : stringify(fields)
          end
        end

        # A phone's business profile as stored (the answer adds messaging_product).
        def business_profile(phone_number_id)
          node(phone_number_id)&.fetch("business_profile", nil)
        end

        private

        def update_node(id)
          node = node(id) or raise ArgumentError, "FakeGraph has no node #{id}"
          yield node
          @native.upsert_node(id.to_s, JSON.generate(node))
          self
        end
      end
    end
  end
end
