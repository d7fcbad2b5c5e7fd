# frozen_string_literal: true

module WaHealth
  # Whether a number needs POST /register, and why. Built by WaHealth.registration_decision.
  class Decision
    # reason: :not_verified, :pending_provisioning, :provisioned or :on_premise.
    # not_applicable: the health fields whose value is NOT_APPLICABLE ("platform_type", "throughput.level",
    # "throughput_level").
    attr_reader :reason, :message, :not_applicable

    def initialize(register:, reason:, message:, display_name_pending: false, verification_expired: false,
                   not_applicable: [])
      @register = register ? true : false
      @reason = reason.to_sym
      @display_name_pending = display_name_pending ? true : false
      @verification_expired = verification_expired ? true : false
      @not_applicable = not_applicable.map(&:to_s).freeze
      @message = message
      freeze
    end

    def register?
      @register
    end

    # name_status or new_name_status is PENDING_REVIEW: registering now may fail with 2388001.
    def display_name_pending?
      @display_name_pending
    end

    # Provisioned on Cloud API while code_verification_status is not VERIFIED: normal once 14 days
    # have passed since the one-time code (Meta keeps VERIFIED no longer).
    def verification_expired?
      @verification_expired
    end

    # platform_type or the throughput level is NOT_APPLICABLE (Chatwoot's "Complete Registration" banner).
    def registration_incomplete?
      not_applicable.any?
    end

    def to_h
      { register: register?, reason: reason, display_name_pending: display_name_pending?,
        verification_expired: verification_expired?, registration_incomplete: registration_incomplete?,
        not_applicable: not_applicable, message: message }
    end

    def ==(other)
      other.is_a?(Decision) && other.to_h == to_h
    end
    alias eql? ==

    def hash
      to_h.hash
    end
  end
end
