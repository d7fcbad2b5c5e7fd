# frozen_string_literal: true

class InboxMember < ApplicationRecord
  belongs_to :inbox
  belongs_to :user
end
