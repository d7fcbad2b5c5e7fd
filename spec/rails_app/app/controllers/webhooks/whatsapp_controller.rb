# frozen_string_literal: true

module Webhooks
  # Stands in for Chatwoot's Webhooks::WhatsappController (messages, template status, ...): records the raw
  # bodies the health endpoint forwards to it.
  class WhatsappController < ApplicationController
    RECEIVED = [] # rubocop:disable Style/MutableConstant -- the spec reads what arrived

    def process_payload
      RECEIVED << request.raw_post
      head :ok
    end
  end
end
