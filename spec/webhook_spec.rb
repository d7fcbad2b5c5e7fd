# frozen_string_literal: true

require "json"
require "openssl"

# WaHealth::Webhook against the real payloads of spec/fixtures/meta/webhooks (each file names its source).
RSpec.describe WaHealth::Webhook do
  fixtures_dir = File.expand_path("fixtures/meta/webhooks", __dir__)
  secret = "test-app-secret-#{'x' * 8}"

  # Every corpus file => what parse makes of its body: [kind, event or decision] per event, or the error.
  expected = {
    # PARTIAL: the App Dashboard's sample, {field, value} without the envelope (its adaptation note).
    "account_alerts_flat_dashboard_sample.json" => WaHealth::WebhookPayloadError,
    "account_alerts_increased_capabilities_deferred.json" => [[:account_alert, nil]],
    "account_review_update_approved.json" => [[:account_review, "APPROVED"]],
    "account_update_account_deleted.json" => [[:account_update, "ACCOUNT_DELETED"]],
    "account_update_account_offboarded.json" => [[:account_update, "ACCOUNT_OFFBOARDED"]],
    "account_update_account_reconnected.json" => [[:account_update, "ACCOUNT_RECONNECTED"]],
    "account_update_account_restriction.json" => [[:account_update, "ACCOUNT_RESTRICTION"]],
    "account_update_account_restriction_with_placeholders.json" => [[:account_update, "ACCOUNT_RESTRICTION"]],
    "account_update_account_violation_adult.json" => [[:account_update, "ACCOUNT_VIOLATION"]],
    "account_update_account_violation_with_phone_number.json" => [[:account_update, "ACCOUNT_VIOLATION"]],
    "account_update_ad_account_linked.json" => [[:account_update, "AD_ACCOUNT_LINKED"]],
    "account_update_auth_intl_price_eligibility.json" => [[:account_update, "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE"]],
    "account_update_disabled_update_reinstate.json" => [[:account_update, "DISABLED_UPDATE"]],
    "account_update_disabled_update_schedule_for_disable.json" => [[:account_update, "DISABLED_UPDATE"]],
    "account_update_mm_lite_terms_signed.json" => [[:account_update, "MM_LITE_TERMS_SIGNED"]],
    "account_update_partner_added.json" => [[:account_update, "PARTNER_ADDED"]],
    "account_update_partner_app_installed.json" => [[:account_update, "PARTNER_APP_INSTALLED"]],
    "account_update_partner_app_uninstalled.json" => [[:account_update, "PARTNER_APP_UNINSTALLED"]],
    "account_update_partner_app_uninstalled_no_time.json" => [[:account_update, "PARTNER_APP_UNINSTALLED"]],
    # Meta's own example puts `field` inside value: the change is skipped (SOURCES.md, item 28).
    "account_update_partner_app_uninstalled_malformed.json" => [],
    "account_update_partner_client_certification_approved.json" =>
      [[:account_update, "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE"]],
    "account_update_partner_removed.json" => [[:account_update, "PARTNER_REMOVED"]],
    "account_update_partner_removed_disconnection_info.json" => [[:account_update, "PARTNER_REMOVED"]],
    "account_update_partner_removed_user_disconnected_no_time.json" => [[:account_update, "PARTNER_REMOVED"]],
    "account_update_partner_removed_with_phone_number.json" => [[:account_update, "PARTNER_REMOVED"]],
    "account_update_primary_location_country.json" =>
      [[:account_update, "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE"]],
    "account_update_verified_account.json" => [[:account_update, "VERIFIED_ACCOUNT"]],
    "account_update_volume_pricing_tier.json" => [[:account_update, "VOLUME_BASED_PRICING_TIER_UPDATE"]],
    "business_capability_update_limits.json" => [[:capability_update, nil]],
    # PARTIAL recordings without the envelope (see their adaptation notes): not a body Meta POSTs.
    "messages_status_failed_131031_account_locked.json" => WaHealth::WebhookPayloadError,
    "phone_number_quality_update_onboarding_partial.json" => WaHealth::WebhookPayloadError,
    "phone_number_name_update_approved.json" => [[:name_update, "APPROVED"]],
    "phone_number_quality_update_flagged_tier_10k.json" => [[:quality_update, "FLAGGED"]],
    "phone_number_quality_update_throughput_upgrade.json" => [[:quality_update, "THROUGHPUT_UPGRADE"]],
    # PARTIAL, as the flat account_alerts sample.
    "security_pin_changed_dashboard_sample.json" => WaHealth::WebhookPayloadError,
    "security_pin_reset_request.json" => [[:security, "PIN_RESET_REQUEST"]]
  }

  define_method(:fixture) { |name| JSON.parse(File.read(File.join(fixtures_dir, name))) }
  define_method(:body_of) { |name| JSON.generate(fixture(name)["body"]) }
  define_method(:events_of) { |name| described_class.parse(body_of(name)) }
  define_method(:sign) { |body, key = secret| "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', key, body)}" }

  it "has an expectation for every file of the corpus" do
    expect(expected.keys).to match_array(Dir.children(fixtures_dir).grep(/\.json\z/))
  end

  describe ".parse" do
    expected.each do |name, outcome|
      if outcome.is_a?(Class)
        it "raises #{outcome} for #{name}" do
          expect { events_of(name) }.to raise_error(outcome)
        end
      else
        it "parses #{name} into #{outcome.size} event(s)" do
          events = events_of(name)
          expect(events.map { |e| [e[:kind], e[:event] || e[:decision]] }).to eq(outcome)
          body = fixture(name)["body"]
          events.each do |event|
            expect(event).to be_frozen
            expect(event[:value]).to be_frozen
            entry = body["entry"].first
            value = entry["changes"].first["value"]
            # The WABA the event concerns: waba_info's when there is one (partner events), else the entry's.
            expect([event[:waba_id], event[:entry_id], event[:time]])
              .to eq([value.dig("waba_info", "waba_id") || entry["id"], entry["id"], entry["time"]])
            expect(event[:value]).to eq(value)
            expect(event[:event_id]).to match(/\A\h{32}\z/)
          end
        end
      end
    end

    it "reads a name decision's members (phone_number_name_update_approved.json)" do
      event = events_of("phone_number_name_update_approved.json").first
      expect(event).to include(field: "phone_number_name_update", display_phone_number: "15550783881",
                               requested_verified_name: "Lucky Shrub", rejection_reason: nil, time: 1_739_321_024)
    end

    it "reads limits, bans, restrictions, violations and disconnections as Symbol-keyed Hashes" do
      expect(events_of("business_capability_update_limits.json").first[:limits])
        .to eq(current_limit: nil, old_limit: nil, max_daily_conversations_per_business: 2000,
               max_phone_numbers_per_waba: 25)
      expect(events_of("phone_number_quality_update_flagged_tier_10k.json").first[:limits])
        .to include(current_limit: "TIER_10K")
      expect(events_of("account_update_disabled_update_schedule_for_disable.json").first[:ban_info])
        .to eq(waba_ban_state: "SCHEDULE_FOR_DISABLE", waba_ban_date: "January 31, 2021")
      expect(events_of("account_update_account_restriction_with_placeholders.json").first[:restriction_info])
        .to eq(%w[RESTRICTED_ADD_PHONE_NUMBER_ACTION RESTRICTED_BIZ_INITIATED_MESSAGING
                  RESTRICTED_CUSTOMER_INITIATED_MESSAGING].map { |type| { restriction_type: type, expiration: nil } })
      expect(events_of("account_update_account_violation_with_phone_number.json").first)
        .to include(phone_number: "16505551111", violation_info: { violation_type: "ALCOHOL" })
      expect(events_of("account_update_partner_removed_disconnection_info.json").first[:disconnection_info])
        .to eq(reason: "PRIMARY_INACTIVITY", initiated_by: "SYSTEM")
    end

    it "routes partner account_update events to the customer's WABA in waba_info, not the partner's portfolio" do
      { "account_update_partner_removed.json" => "980198427658004",
        "account_update_partner_app_uninstalled.json" => "184943124712545",
        "account_update_partner_removed_user_disconnected_no_time.json" => "1996192277686385" }.each do |name, waba|
        event = events_of(name).first
        expect(event[:waba_id]).to eq(waba)
        expect(event[:entry_id]).not_to eq(waba)
      end
    end

    it "reads account_alerts in Meta's nested shape and the dashboard's flat one, and security events" do
      nested = events_of("account_alerts_increased_capabilities_deferred.json").first
      expect(nested).to include(kind: :account_alert, entity_type: "BUSINESS", entity_id: "506914307656634",
                                alert_info: include(alert_severity: "WARNING", alert_status: "ACTIVE",
                                                    alert_type: "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED"))
      change = fixture("account_alerts_flat_dashboard_sample.json")["body"]
      flat = described_class.parse(JSON.generate("entry" => [{ "id" => "1", "time" => 1, "changes" => [change] }]))
      expect(flat.first).to include(kind: :account_alert, entity_type: "WABA", entity_id: "123456",
                                    alert_info: include(alert_severity: "INFORMATIONAL", alert_type: "OBA_APPROVED"))
      security = events_of("security_pin_reset_request.json").first
      expect(security).to include(kind: :security, event: "PIN_RESET_REQUEST", requester: "61555822107539",
                                  display_phone_number: "15550783881")
    end

    it "gives every change its identity, the same on every delivery, and times it can order by" do
      body = fixture("phone_number_name_update_approved.json")["body"]
      first = described_class.parse(JSON.generate(body)).first[:event_id]
      expect(described_class.parse(JSON.pretty_generate(body)).first[:event_id]).to eq(first)
      times = [1_739_321_024.9, 2**64, nil, "1739321024"].map do |time|
        entry = body["entry"].first.merge("time" => time)
        event = described_class.parse(JSON.generate(body.merge("entry" => [entry]))).first
        [event[:time], event[:event_id]]
      end
      expect(times.map(&:first)).to eq([1_739_321_024, nil, nil, 1_739_321_024])
      expect(times.map(&:last).uniq.size).to eq(4)
    end

    it "parses the ONBOARDING change once it is inside Meta's envelope" do
      change = fixture("phone_number_quality_update_onboarding_partial.json")["body"]
      body = JSON.generate("object" => "whatsapp_business_account",
                           "entry" => [{ "id" => "1", "time" => 1, "changes" => [change] }])
      event = described_class.parse(body).first
      expect(event[:event]).to eq("ONBOARDING")
      expect(event[:limits]).to include(old_limit: "TIER_NOT_SET", max_daily_conversations_per_business: "TIER_250")
    end

    it "returns other fields as kind :unknown without failing the health ones" do
      body = JSON.generate("entry" => [{ "id" => "1", "time" => 2, "changes" => [
                             { "field" => "messages", "value" => { "statuses" => [] } },
                             fixture("phone_number_name_update_approved.json")["body"]["entry"][0]["changes"][0]
                           ] }])
      expect(described_class.parse(body).map { |e| e[:kind] }).to eq(%i[unknown name_update])
    end

    it "raises WebhookPayloadError, never quoting the body, for what is not an envelope" do
      ["not json", "[]", '{"entry":{}}', "#{'[' * 65}#{']' * 65}", " " * (described_class::MAX_BODY_BYTES + 1),
       "\xff\xfe".b, '{"entry":["s3cr3t"]}'].each do |body|
        expect { described_class.parse(body) }.to raise_error(WaHealth::WebhookPayloadError) { |e|
          expect(e.message).not_to include("s3cr3t")
        }
      end
      expect { described_class.parse(nil) }.to raise_error(ArgumentError)
    end
  end

  describe ".verify!" do
    let(:body) { body_of("phone_number_name_update_approved.json") }

    it "accepts Meta's signature over the raw bytes" do
      expect(described_class.verify!(body, sign(body), app_secret: secret)).to be(true)
      expect(described_class.verify!(body.b, sign(body).upcase.sub("SHA256=", "sha256="), app_secret: secret))
        .to be(true)
    end

    it "raises WebhookSignatureError for a missing, malformed or wrong signature, quoting no secret" do
      good = sign(body)
      flipped = good.dup.tap { |s| s[-1] = s[-1] == "0" ? "1" : "0" }
      cases = { nil => /missing/, "" => /missing/, "sha1=abc" => /malformed/, "sha256=é" => /malformed/,
                good.delete_prefix("sha256=") => /malformed/, flipped => /does not match/,
                sign(body, "other-secret") => /does not match/ }
      cases.each do |header, message|
        expect { described_class.verify!(body, header, app_secret: secret) }
          .to raise_error(WaHealth::WebhookSignatureError, message) { |e|
            expect(e.message).not_to include(secret)
            expect(e.message).not_to include(good.delete_prefix("sha256="))
          }
      end
      expect { described_class.verify!("#{body} ", good, app_secret: secret) }
        .to raise_error(WaHealth::WebhookSignatureError)
    end

    it "refuses a missing app secret or body with ArgumentError" do
      expect { described_class.verify!(body, sign(body), app_secret: nil) }.to raise_error(ArgumentError, /app_secret/)
      expect { described_class.verify!(body, sign(body), app_secret: "") }.to raise_error(ArgumentError, /app_secret/)
      expect { described_class.verify!(nil, sign(body), app_secret: secret) }.to raise_error(ArgumentError)
    end
  end

  describe ".challenge" do
    let(:params) { { "hub.mode" => "subscribe", "hub.verify_token" => "verify-me", "hub.challenge" => "1158201444" } }

    it "answers the challenge when the mode is subscribe and the token matches" do
      expect(described_class.challenge(params, verify_token: "verify-me")).to eq("1158201444")
      expect(described_class.challenge(params.transform_keys(&:to_sym), verify_token: "verify-me")).to eq("1158201444")
    end

    it "answers nil for a wrong token, mode or challenge" do
      expect(described_class.challenge(params, verify_token: "verify-you")).to be_nil
      expect(described_class.challenge(params.merge("hub.mode" => "unsubscribe"), verify_token: "verify-me")).to be_nil
      expect(described_class.challenge(params.except("hub.verify_token"), verify_token: "verify-me")).to be_nil
      script = params.merge("hub.challenge" => "<script>")
      expect(described_class.challenge(script, verify_token: "verify-me")).to be_nil
      expect(described_class.challenge(params.merge("hub.verify_token" => ["verify-me"]), verify_token: "verify-me"))
        .to be_nil
    end

    it "refuses a blank verify token with ArgumentError that does not quote it" do
      expect { described_class.challenge(params, verify_token: " ") }.to raise_error(ArgumentError, /verify_token/)
      expect { described_class.challenge("hub.mode=subscribe", verify_token: "verify-me") }
        .to raise_error(ArgumentError, /params/)
    end
  end
end
