# frozen_string_literal: true

require_relative "helpers"
require_relative "hostile_cases"

# Odd, broken and hostile answers, sent raw by FakeGraph. Each gives a typed error or a
# well-defined value: never a crash, a hang, a panic, a leaked token, or a poisoned connection.
RSpec.describe "Hostile and odd responses" do
  include FakeGraphContext
  include ReliabilityHelpers

  before { fake.add_phone_number("1001") }

  def fetch
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url, timeout: 5)
  end

  def outcome
    fetch
  rescue WaHealth::Error => e
    e
  end

  it "covers at least 30 cases" do
    expect(HostileResponses::CASES.size + 5).to be >= 30 # the redirect examples below add five
  end

  HostileResponses::CASES.each do |name, (response, expectation)|
    it "handles #{name}" do
      fake.queue_response(**response)
      result = outcome
      if expectation.is_a?(Hash)
        expect(result).to be_a(Hash)
        expect(result).to include(expectation)
      else
        klass, pattern = expectation
        expect(result.class).to eq(klass)
        expect(result.message).to match(pattern)
        expect(result.message).not_to include(token)
      end
      expect(fetch[:verified_name]).to eq("Acme Support") # the next request is unaffected
    end
  end

  [301, 302, 303, 307, 308].each do |status|
    it "does not follow a #{status} redirect to another host, so the token stays home" do
      elsewhere = WaHealth::Testing::FakeGraph.new(access_token: token).start
      elsewhere.add_phone_number("1001")
      fake.queue_response(status: status, headers: { "Location" => "#{elsewhere.url}/v24.0/1001?fields=id" })
      result = outcome
      expect(result.class).to eq(WaHealth::ApiError)
      expect(result.message).to match(/HTTP #{status}/)
      expect(elsewhere.requests).to be_empty
      expect(fake.requests.size).to eq(1)
    ensure
      elsewhere&.stop
    end
  end
end
