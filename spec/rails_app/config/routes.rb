# frozen_string_literal: true

Rails.application.routes.draw do
  namespace :api, defaults: { format: "json" } do
    namespace :v1 do
      resources :accounts, only: [] do
        scope module: :accounts do
          resources :inboxes, only: [] do
            get :health, on: :member
          end
        end
      end
    end
  end
end
