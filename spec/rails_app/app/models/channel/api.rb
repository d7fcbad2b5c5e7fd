# frozen_string_literal: true

module Channel
  # A channel that is not WhatsApp (Chatwoot's API channel).
  class Api < ApplicationRecord
    self.table_name = "channel_api"

    belongs_to :account
    has_one :inbox, as: :channel, dependent: :destroy
  end
end
