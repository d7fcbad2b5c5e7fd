# frozen_string_literal: true

# Newest Chatwoot (#15200, #15550): the WABA and business-profile reads run beside the phone read, and
# only the phone read can fail the call; the others' errors land in the result, without any secret.
RSpec.describe "WaHealth.fetch's optional reads" do
  include FakeGraphContext

  before do
    fake.add_phone_number("1001")
    fake.add_business_account("2001")
  end

  def fetch(**options)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url, **options)
  end

  it "returns the phone's health when the WABA read fails, with the error as data" do
    fake.queue_error(code: 190, subcode: 463, status: 400, node: "2001",
                     message: "Error validating access token: Session has expired #{token}")
    health = fetch(business_account_id: "2001")
    expect(health).to include(id: "1001", status: "CONNECTED", business_account_id: "2001",
                              business_account_name: nil, business_portfolio_id: nil)
    expect(health[:business_account_error]).to include("class" => "WaHealth::AuthorizationError", "code" => 190)
    expect(health[:business_account_error]["message"]).to include("Session has expired")
    expect(health.to_s).not_to include(token)
  end

  it "returns the phone's health when the WABA read times out" do
    fake.queue_response(status: 200, body: { "id" => "2001" }, node: "2001", delay: 2)
    health = fetch(business_account_id: "2001", timeout: 0.5)
    expect(health[:id]).to eq("1001")
    expect(health[:business_account_error]).to include("class" => "WaHealth::TimeoutError", "code" => nil)
  end

  it "still raises when the phone read fails, whatever the WABA read gave" do
    fake.queue_error(code: 100, subcode: 33, node: "1001")
    expect { fetch(business_account_id: "2001") }.to raise_error(WaHealth::ApiError) { |e| expect(e.subcode).to eq(33) }
  end

  it "reads the WABA and the phone at the same time (one wait, not two)" do
    fake.latency = 0.3
    time = elapsed { fetch(business_account_id: "2001", business_profile: true) }
    expect(time).to be < 0.55
  end

  it "leaves business_account_error nil when the WABA read succeeds, and adds no WABA keys without an id" do
    expect(fetch(business_account_id: "2001")).to include(business_account_name: "Acme WABA",
                                                          business_account_error: nil)
    expect(fetch.keys).not_to include(:business_account_error, :business_profile)
  end

  # Chatwoot #15550; the answer is a recorded one (ruby_whatsapp_sdk's VCR cassette, see the fixture).
  %w[business_profile_all_fields business_profile_nested_wrapper_openapi].each do |name|
    it "reads the business profile's fields Chatwoot shows: #{name}" do
      fixture = JSON.parse(File.read(File.expand_path("fixtures/meta/#{name}.json", __dir__)))
      fake.queue_recorded(fixture, node: "1001", endpoint: :whatsapp_business_profile)
      health = fetch(business_profile: true)
      recorded = fixture["body"]["data"].first
      recorded = recorded["business_profile"] || recorded
      expect(health[:business_profile].keys)
        .to contain_exactly(*%w[about address description email profile_picture_url websites vertical])
      expect(health[:business_profile]).to include(recorded.slice(*health[:business_profile].keys))
      expect(health[:business_profile_error]).to be_nil
      expect(fake.requests.map(&:path)).to include("/v24.0/1001/whatsapp_business_profile")
    end
  end

  it "keeps a failed business-profile read out of the call's outcome" do
    fake.queue_error(code: 10, message: "Application does not have permission", node: "1001",
                     endpoint: :whatsapp_business_profile)
    health = fetch(business_profile: true)
    expect(health[:id]).to eq("1001")
    expect(health[:business_profile]).to be_nil
    expect(health[:business_profile_error]).to include("class" => "WaHealth::AuthorizationError", "code" => 10)
  end

  it "refuses a business_profile option that is not true or false before any request" do
    expect { fetch(business_profile: "yes") }.to raise_error(ArgumentError, /business_profile/)
    expect(fake.requests).to be_empty
  end
end
