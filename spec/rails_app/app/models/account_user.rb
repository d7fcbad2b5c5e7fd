# frozen_string_literal: true

class AccountUser < ApplicationRecord
  ROLES = %w[administrator agent].freeze

  belongs_to :account
  belongs_to :user
  validates :role, inclusion: { in: ROLES }

  def administrator?
    role == "administrator"
  end
end
