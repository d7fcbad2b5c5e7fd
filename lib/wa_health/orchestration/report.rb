# frozen_string_literal: true

require "json"
require "uri"

module WaHealth
  # Everything Chatwoot's "Account Health" tab draws, from the Hash WaHealth.fetch returns.
  #
  #   report = WaHealth::Report.new(health, previous: channel.health_snapshot)
  #   render json: report.as_json
  #   notify_admins if report.risk_changed?
  #
  # health (and previous) may have Symbol keys (WaHealth.fetch) or String keys (a stored or parsed JSON
  # snapshot, including an earlier as_json); nested Hashes may use either too.
  class Report
    # Chatwoot's six cards, key => label, in the order the tab shows them.
    CARDS = {
      display_phone_number: "Display phone number",
      verified_name: "Verified name",
      name_status: "Display name status",
      quality_rating: "Quality rating",
      messaging_limit_tier: "Messaging limit tier",
      account_mode: "Account mode"
    }.freeze

    # Value (upper-cased) => tone, per field; any other value, and every other field, is :neutral.
    TONES = {
      quality_rating: { "GREEN" => :success, "YELLOW" => :warning, "RED" => :danger },
      name_status: { "APPROVED" => :success, "AVAILABLE_WITHOUT_REVIEW" => :success, "PENDING_REVIEW" => :warning,
                     "REJECTED" => :danger, "DECLINED" => :danger },
      account_mode: { "LIVE" => :success, "SANDBOX" => :neutral },
      can_send_message: { "AVAILABLE" => :success, "LIMITED" => :warning, "BLOCKED" => :danger }
    }.freeze

    RISKY_QUALITY = %w[YELLOW RED].freeze
    RISKY_STATUS = %w[BANNED RESTRICTED RATE_LIMITED FLAGGED DISCONNECTED DELETED].freeze

    MANAGER_FALLBACK_URL = "https://business.facebook.com/"
    MANAGER_URL = "https://business.facebook.com/latest/whatsapp_manager/phone_numbers/"

    # Where Meta sends the number's webhooks, most specific first (webhook_configuration's keys).
    WEBHOOK_LEVELS = %w[phone_number whatsapp_business_account application].freeze

    attr_reader :health, :previous, :expected_webhook_url

    def self.tone(field, value)
      return :neutral if value.nil?

      TONES.fetch(field.to_sym, {}).fetch(value.to_s.upcase, :neutral)
    end

    # expected_webhook_url: the callback the app expects Meta to use for this number (Chatwoot's
    # "#{FRONTEND_URL}/webhooks/whatsapp/#{phone_number}"), or nil.
    def initialize(health, previous: nil, expected_webhook_url: nil)
      raise ArgumentError, "health must be a Hash" unless health.is_a?(Hash)
      unless [NilClass, Hash, Report].any? { |type| previous.is_a?(type) }
        raise ArgumentError, "previous must be a Hash, a WaHealth::Report or nil"
      end
      unless [NilClass, String].any? { |type| expected_webhook_url.is_a?(type) }
        raise ArgumentError, "expected_webhook_url must be a String or nil"
      end

      @health = health
      @previous = previous.is_a?(Report) ? previous.health : previous
      @expected_webhook_url = expected_webhook_url
    end

    # The URL Meta uses for this number's webhooks: the phone-level override, else the WABA's, else the
    # app's (webhook_configuration), or nil when health does not say.
    def webhook_url
      configuration = value(:webhook_configuration)
      return nil unless configuration.is_a?(Hash)

      WEBHOOK_LEVELS.lazy.map { |level| lookup(configuration, level) }.find { |url| url.is_a?(String) && !url.empty? }
    end

    # Whether Meta uses the expected URL; nil when either is unknown (Chatwoot offers a Register button
    # when this is false).
    def webhook_matches?
      return nil if expected_webhook_url.nil? || webhook_url.nil?

      webhook_url == expected_webhook_url
    end

    # Chatwoot's six cards, in its order: [{key:, label:, value:, tone:}, ...].
    def badges
      CARDS.map { |key, label| badge(key, label) }
    end

    # Meta's own verdict (health_status.can_send_message) as a badge in the same shape, for a seventh
    # card or a header pill: AVAILABLE success, LIMITED warning, BLOCKED danger, unknown neutral.
    def can_send_message_badge
      badge(:can_send_message, "Can send messages")
    end

    # The WhatsApp Manager page of this number's account:
    # - portfolio and WABA known: ...phone_numbers/?business_id=<portfolio>&asset_id=<waba>&tab=phone-numbers
    # - only the WABA known: the same without business_id (Meta opens the WABA in the portfolio that owns
    #   it; the WABA id is never put in business_id, the mistake Chatwoot once made)
    # - only the portfolio known: the same without asset_id (the portfolio's WhatsApp Manager)
    # - neither: https://business.facebook.com/
    # Ids that are not Graph ids (digits only) count as unknown.
    def manager_url
      query = { "business_id" => graph_id(:business_portfolio_id), "asset_id" => waba_id }.compact
      return MANAGER_FALLBACK_URL if query.empty?

      "#{MANAGER_URL}?#{URI.encode_www_form(query.merge('tab' => 'phone-numbers'))}"
    end

    # Chatwoot's "registration incomplete / Complete Registration" banner: platform_type or the
    # throughput level is NOT_APPLICABLE (the registration decision's rule).
    def registration_incomplete?
      decision.registration_incomplete?
    end

    # Facts about the number that are normal but may look alarming, in words: today, an expired
    # verification on a number provisioned on Cloud API.
    def notes
      return [] unless decision.verification_expired?

      status = value(:code_verification_status)
      ["#{status.nil? ? 'a missing code verification status' : "code verification #{status}"} is normal: Meta " \
       "keeps VERIFIED for only 14 days after the one-time code, and this number is provisioned on Cloud API"]
    end

    # quality_rating is one of RISKY_QUALITY, or status one of RISKY_STATUS.
    def risky?
      risk_reasons.any?
    end

    # What makes the number risky, in words: "quality rating is RED", "status is BANNED"; empty when it is not.
    def risk_reasons
      quality, status = risk_facts(health)
      reasons = []
      reasons << "quality rating is #{quality}" if RISKY_QUALITY.include?(quality)
      reasons << "status is #{status}" if RISKY_STATUS.include?(status)
      reasons
    end

    # Risky now, and quality_rating or status differs from `previous` (so a number that stays in the
    # same risky state warns once). With no previous snapshot, a risky number counts as changed.
    def risk_changed?
      return false unless risky?
      return true if previous.nil?

      risk_facts(health) != risk_facts(previous)
    end

    # Whether an operator should look at this number (`wa_health check` exits 1 exactly then):
    # attention_reasons is not empty.
    def needs_attention?
      attention_reasons.any?
    end

    # Short texts, one per problem: risky quality or status, registration incomplete (or otherwise
    # needed, e.g. not verified), Meta's can_send_message LIMITED or BLOCKED, display name REJECTED or
    # DECLINED. A display name merely PENDING_REVIEW on a provisioned number is not a problem.
    def attention_reasons
      reasons = risk_reasons
      reasons << registration_reason if registration_incomplete? || decision.register?
      sending = can_send_message_badge
      reasons << "Meta reports can_send_message #{sending[:value]}" if %i[warning danger].include?(sending[:tone])
      name = value(:name_status)
      reasons << "display name status is #{name}" if self.class.tone(:name_status, name) == :danger
      reasons
    end

    # WaHealth.registration_decision for this health.
    def decision
      @decision ||= WaHealth.registration_decision(health)
    end

    # The entities health_status reports as LIMITED or BLOCKED, with Meta's reasons:
    # [{entity_type:, id:, can_send_message:, error_code:, description:, possible_solution:}, ...]
    # (one entry per error of a BLOCKED entity; a LIMITED entity's additional_info joined as description).
    def health_problems
      status = value(:health_status)
      entities = status.is_a?(Hash) ? lookup(status, :entities) : nil
      return [] unless entities.is_a?(Array)

      entities.select { |entity| entity.is_a?(Hash) }.flat_map { |entity| entity_problems(entity) }
    end

    # What GET /api/v1/accounts/:account_id/inboxes/:id/health renders: every key of the health Hash,
    # unchanged in name and order, followed by the keys below. Plain JSON data only: String keys at every
    # level (as Rails' as_json gives), Symbols in values (tones, the decision reason) as Strings, so
    # `render json: report.as_json` (or `render json: report`) needs no further work and
    # JSON.parse(report.to_json) == report.as_json.
    def as_json(_options = nil)
      self.class.json_safe(health).merge(
        "badges" => self.class.json_safe(badges),
        "can_send_message_badge" => self.class.json_safe(can_send_message_badge),
        "manager_url" => manager_url,
        "decision" => self.class.json_safe(decision.to_h),
        "risky" => risky?,
        "registration_incomplete" => registration_incomplete?,
        "notes" => notes,
        "expected_webhook_url" => expected_webhook_url,
        "webhook_url" => webhook_url,
        "webhook_matches" => webhook_matches?
      )
    end

    def to_json(*args)
      as_json.to_json(*args)
    end

    def inspect
      "#<#{self.class.name} id=#{value(:id).inspect} risky=#{risky?} " \
        "registration_incomplete=#{registration_incomplete?}>"
    end
    alias to_s inspect

    class << self
      # Converts to what JSON.parse(JSON.generate(object)) would give back.
      def json_safe(object)
        case object
        when Hash then object.to_h { |key, item| [key.to_s, json_safe(item)] }
        when Array then object.map { |item| json_safe(item) }
        else json_scalar(object)
        end
      end

      # hash[key] whether hash uses Symbol or String keys.
      def lookup(hash, key)
        hash.key?(key.to_sym) ? hash[key.to_sym] : hash[key.to_s]
      end

      private

      # NaN and Infinity become nil, as Rails renders them; Symbols, Times and the rest their to_s.
      def json_scalar(object)
        case object
        when String, Integer, true, false, nil then object
        when Float then object.finite? ? object : nil
        else object.to_s
        end
      end
    end

    private

    def badge(key, label)
      item = value(key)
      { key: key, label: label, value: item, tone: self.class.tone(key, item) }
    end

    def value(key)
      lookup(health, key)
    end

    def lookup(hash, key)
      self.class.lookup(hash, key)
    end

    # [quality_rating, status], upper-cased.
    def risk_facts(snapshot)
      %i[quality_rating status].map { |key| upcase(lookup(snapshot, key)) }
    end

    def registration_reason
      fields = decision.not_applicable.map { |field| field.start_with?("throughput") ? "throughput level" : field }
      return "registration incomplete (#{fields.uniq.map { |f| "#{f} NOT_APPLICABLE" }.join(', ')})" if fields.any?

      "registration needed (#{decision.reason})"
    end

    def waba_id
      graph_id(:business_account_id) || graph_id(:business_id)
    end

    def graph_id(key)
      text = value(key)&.to_s
      text if text && Validate::GRAPH_ID.match?(text)
    end

    def upcase(item)
      item&.to_s&.upcase
    end

    def entity_problems(entity)
      state = upcase(lookup(entity, :can_send_message))
      return [] unless %w[LIMITED BLOCKED].include?(state)

      base = { entity_type: lookup(entity, :entity_type), id: lookup(entity, :id),
               can_send_message: state }
      errors = Array(lookup(entity, :errors)).select { |error| error.is_a?(Hash) }
      if errors.empty?
        return [base.merge(error_code: nil, description: additional_info(entity), possible_solution: nil)]
      end

      errors.map do |error|
        base.merge(error_code: lookup(error, :error_code),
                   description: lookup(error, :error_description),
                   possible_solution: lookup(error, :possible_solution))
      end
    end

    def additional_info(entity)
      info = Array(lookup(entity, :additional_info)).map(&:to_s).reject(&:empty?)
      info.empty? ? nil : info.join(" ")
    end
  end
end
