# frozen_string_literal: true

module WaHealth
  # Values that every native call made on this fiber redacts from its errors, besides the secrets the
  # call itself was given. WebhookSetup gives its register call the PIN and its webhook calls the verify
  # token; the other calls of the same run (the health read, subscribe_app) never see them, yet Meta's
  # answer to any of them could quote one back. Within `also_redacting`, such an error is built without
  # it (in plain, percent-encoded and any letter case form), so it reaches no message, cause,
  # instrumentation payload (ActiveSupport's :exception and :exception_object included), Marshal or
  # YAML dump.
  module Redaction
    module_function

    # Runs the block with `values` (nil and blank ones ignored) added to this fiber's set.
    def also_redacting(*values)
      previous = Thread.current[key]
      added = values.flatten.compact.map(&:to_s).reject(&:empty?)
      Thread.current[key] = (Array(previous) + added).uniq.freeze
      Thread.current[REMEMBERED]&.concat(added)
      yield
    ensure
      Thread.current[key] = previous
    end

    # Runs the block, adding to `seen` every value also_redacting is given within it, also once its own
    # block has ended: WaHealth::WebhookEndpoint logs an event_handler's error after the handler's
    # also_redacting blocks have ended, and still redacts what they named (a PIN the handler handled).
    def remembering(seen)
      outer = Thread.current[REMEMBERED]
      Thread.current[REMEMBERED] = seen
      yield
    ensure
      outer&.concat(seen)
      Thread.current[REMEMBERED] = outer
    end

    # The fiber-local key of what remembering collects.
    REMEMBERED = :__wa_health_redaction_remembered

    def current
      Thread.current[key] || []
    end

    # The fiber-local key (Thread#[]) the native calls read: one name, defined by the extension.
    def key
      Native::ALSO_REDACT_KEY
    end
  end
end
