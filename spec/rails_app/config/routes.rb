# frozen_string_literal: true

Rails.application.routes.draw do
  # Meta's app-level callback (docs/chatwoot-guide.md, step 7): health fields go to WaHealth.event_handler,
  # every other field on to Chatwoot's own controller.
  match "webhooks/whatsapp", via: %i[get post], to: WaHealth::WebhookEndpoint.new(
    forward: ->(env) { Webhooks::WhatsappController.action(:process_payload).call(env) }
  )

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
