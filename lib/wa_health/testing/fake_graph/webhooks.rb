# frozen_string_literal: true

module WaHealth
  module Testing
    class FakeGraph
      # The app's subscriptions to WABAs, phone-level webhook overrides and business profiles, as the fake holds
      # them: set up a state without going through the API, and read what the API calls left.
      module Webhooks
        # Subscribe the app to a WABA as POST /{id}/subscribed_apps would (fields: subscribed_fields; an
        # override_callback_uri with its verify_token is a WABA-level override).
        def subscribe_app(business_account_id, fields: nil, override_callback_uri: nil, verify_token: nil)
          entry = { "subscribed_fields" => fields&.map(&:to_s), "override_callback_uri" => override_callback_uri,
                    "verify_token" => verify_token }.compact
          update_node(business_account_id) { |node| node["subscriptions"] = [entry] }
        end

        # Unsubscribe the app from a WABA, as DELETE /{id}/subscribed_apps would.
        def unsubscribe_app(business_account_id)
          update_node(business_account_id) { |node| node["subscriptions"] = [] }
        end

        # The app's subscription to a WABA ({"override_callback_uri", "verify_token", "subscribed_fields" when
        # sent}), or nil.
        def subscription(business_account_id)
          node(business_account_id)&.fetch("subscriptions")&.first
        end

        # A phone's own webhook override ({"override_callback_uri", "verify_token"}), or nil.
        def webhook_override(phone_number_id)
          node(phone_number_id)&.fetch("webhook_override", nil)
        end

        # Replace a phone's business profile (about:, address:, description:, email:, profile_picture_url:,
        # websites:, vertical:); with no fields, the profile of a number nobody filled in.
        def set_business_profile(phone_number_id, **fields)
          update_node(phone_number_id) do |node|
            node["business_profile"] = fields.empty? ? nil : stringify(fields)
          end
        end

        # A phone's business profile as stored (messaging_product is added by the answer, not stored).
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
