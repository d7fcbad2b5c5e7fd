# frozen_string_literal: true

class Inbox < ApplicationRecord
  belongs_to :account
  belongs_to :channel, polymorphic: true
  has_many :inbox_members, dependent: :destroy
end
