# frozen_string_literal: true

module WaHealth
  # What newest Chatwoot does when a WhatsApp inbox is deleted: clear the phone-level webhook override,
  # unsubscribe the app from the WABA when no other inbox uses it (unsubscribe_app: true), and
  # deregister embedded-signup numbers (deregister: true). Inbox deletion must go on whatever Meta
  # answers, so a failed step is logged and kept in the result, never raised; the other steps still run.
  #
  #   result = WaHealth::WebhookTeardown.new(phone_number_id:, business_account_id:, access_token:,
  #                                          unsubscribe_app: !other_inbox_uses_waba, deregister: embedded).perform
  #   result.errors # => {} when every step succeeded, else {step => error}
  #
  # Every input is checked when the object is built, before the first request.
  class WebhookTeardown
    include PhoneNumberSteps

    # done: the steps that succeeded, in order; errors: {step => WaHealth::Error} for those that failed.
    Result = Struct.new(:done, :errors, keyword_init: true) do
      def success?
        errors.empty?
      end
    end

    def initialize(phone_number_id: nil, business_account_id: nil, access_token: nil, unsubscribe_app: false,
                   deregister: false, logger: nil, **options)
      token = Validate.secret(access_token, :access_token)
      @phone_number_id = Validate.graph_id(phone_number_id, :phone_number_id)
      @business_account_id = Validate.optional_graph_id(business_account_id, :business_account_id)
      raise ArgumentError, "unsubscribe_app needs business_account_id" if unsubscribe_app && !@business_account_id

      @steps = [:clear_phone_webhook, (:unsubscribe_app if unsubscribe_app), (:deregister if deregister)].compact
      @logger = logger
      keep_credentials(token, options)
    end

    def perform
      result = Result.new(done: [], errors: {})
      @steps.each do |step|
        run(step)
        result.done << step
        log(:info, "#{step} done")
      rescue Error => e
        result.errors[step] = e
        log(:warn, "#{step} failed (#{e.class}: #{e.message})")
      end
      result
    end

    def inspect
      "#<#{self.class.name} phone_number_id=#{@phone_number_id} steps=#{@steps.inspect}>"
    end
    alias to_s inspect

    private

    def run(step)
      case step
      when :clear_phone_webhook then WaHealth.clear_phone_webhook(phone_number_id: @phone_number_id, **credentials)
      when :unsubscribe_app then WaHealth.unsubscribe_app(business_account_id: @business_account_id, **credentials)
      when :deregister then WaHealth.deregister(phone_number_id: @phone_number_id, **credentials)
      end
    end
  end
end
