# frozen_string_literal: true

# access_token: the user's Chatwoot API token (the api_access_token header), not a Meta token.
class User < ApplicationRecord
  has_many :account_users, dependent: :destroy
  has_many :inbox_members, dependent: :destroy
end
