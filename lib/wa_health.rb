# frozen_string_literal: true

# WhatsApp Business phone number health and registration, for Chatwoot. The layers, each using only the
# ones above it:
#
#   lib/wa_health/*.rb           the core API: settings, argument checks, errors, and one method per Graph
#                                call or rule (the work is done by the native extension, WaHealth::Native)
#   lib/wa_health/orchestration/ what an app builds from those calls: WebhookSetup, WebhookTeardown,
#                                RegistrationLedger, Report, EventLedger
#   lib/wa_health/rack/          WebhookEndpoint, Meta's webhooks as a Rack app
#   lib/wa_health/rails/         Railtie and HealthEndpoint (require "wa_health/rails")
#   lib/wa_health/sidekiq/       SweepJob and EventJob (require "wa_health/sidekiq")
#   lib/wa_health/cli/, testing/ the `wa_health` command and the fake Graph API (require "wa_health/testing")
require_relative "wa_health/version"
require_relative "wa_health/errors"
require_relative "wa_health/extension"

WaHealth::Extension.load("wa_health")

require_relative "wa_health/redaction"
require_relative "wa_health/validate"
require_relative "wa_health/settings"
require_relative "wa_health/instrumentation"
require_relative "wa_health/fetch"
require_relative "wa_health/fetch_many"
require_relative "wa_health/decision"
require_relative "wa_health/registration"
require_relative "wa_health/webhook"

# The public API: WaHealth.config, .fetch, .fetch_many, .register, .apply_event, ...
module WaHealth
  extend Settings
  extend Instrumentation
  extend Fetch
  extend FetchMany
  extend Registration
  extend Events
end

require_relative "wa_health/orchestration/phone_number_steps"
require_relative "wa_health/orchestration/registration_ledger"
require_relative "wa_health/orchestration/webhook_setup"
require_relative "wa_health/orchestration/webhook_teardown"
require_relative "wa_health/orchestration/report"
require_relative "wa_health/orchestration/event_ledger"
require_relative "wa_health/rack/webhook_endpoint"

# The Rails and Sidekiq integrations load when those are already loaded (as in any Rails app);
# otherwise `require "wa_health/rails"` or `require "wa_health/sidekiq"` (the Railtie also loads the
# Sidekiq one at boot, for a Sidekiq loaded after wa_health).
require_relative "wa_health/rails" if defined?(Rails::Railtie) && !defined?(WaHealth::Railtie)
require_relative "wa_health/sidekiq" if defined?(Sidekiq) && !defined?(WaHealth::SweepJob)
