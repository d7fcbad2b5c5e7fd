# frozen_string_literal: true

module Api
  module V1
    module Accounts
      # Chatwoot's account-scoped base: the api_access_token header authenticates, the user must belong to
      # the account, unknown records are 404 and authorization failures 401.
      class BaseController < ApplicationController
        class NotAuthorized < StandardError; end

        before_action :authenticate_user!
        before_action :current_account

        rescue_from ActiveRecord::RecordNotFound do
          render json: { error: "Resource could not be found" }, status: :not_found
        end
        rescue_from NotAuthorized do
          render json: { error: "You are not authorized to do this action" }, status: :unauthorized
        end

        private

        attr_reader :current_user

        def authenticate_user!
          token = request.headers["HTTP_API_ACCESS_TOKEN"] # the api_access_token header
          @current_user = token.present? ? User.find_by(access_token: token) : nil
          return if @current_user

          render json: { error: "You need to sign in or sign up before continuing." }, status: :unauthorized
        end

        def current_account
          @current_account ||= Account.find(params[:account_id])
          @account_user ||= @current_account.account_users.find_by(user: current_user)
          raise NotAuthorized unless @account_user

          @current_account
        end

        # Pundit's InboxPolicy#show?: administrators see every inbox, agents the ones they are members of.
        def authorize_inbox!(inbox)
          return if @account_user.administrator? || inbox.inbox_members.exists?(user: current_user)

          raise NotAuthorized
        end
      end
    end
  end
end
