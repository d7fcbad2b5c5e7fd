# frozen_string_literal: true

require "logger"
require "stringio"

# Chatwoot's Whatsapp::WebhookTeardownService spec (develop, 2026), ported to WaHealth::WebhookTeardown
# against FakeGraph: clear the phone-level override, unsubscribe the app when asked (only when no other
# inbox uses the WABA, and never for a manual setup's own Meta app), deregister embedded-signup numbers;
# errors are logged, never raised, so the inbox deletion goes on.
RSpec.describe WaHealth::WebhookTeardown do
  include FakeGraphContext

  let(:log) { StringIO.new }

  before do
    fake.add_business_account("2001")
    fake.add_phone_number("1001")
  end

  def teardown(**args)
    described_class.new(phone_number_id: "1001", business_account_id: "2001", access_token: token,
                        logger: Logger.new(log), base_url: fake.url, **args)
  end

  def calls
    fake.requests.map { |r| [r.http_method, r.path.split("/", 3).last] }
  end

  it "clears the phone number's callback override with an empty override_callback_uri" do
    result = teardown.perform
    expect(calls).to eq([%w[POST 1001]])
    expect(fake.requests.last.json).to eq("webhook_configuration" => { "override_callback_uri" => "" })
    expect(result).to have_attributes(done: [:clear_phone_webhook], errors: {})
    expect(result).to be_success
  end

  it "deregisters an embedded-signup number so it is freed from the app, with Content-Length: 0" do
    teardown(deregister: true).perform
    expect(calls).to eq([%w[POST 1001], %w[POST 1001/deregister]])
    expect(fake.requests.last.headers).to include("content-length" => "0")
  end

  it "unsubscribes the app from the WABA only when asked" do
    teardown(unsubscribe_app: true).perform
    expect(calls).to eq([%w[POST 1001], %w[DELETE 2001/subscribed_apps]])
  end

  it "handles errors without raising, and still runs the other steps" do
    fake.queue_error(code: 190, status: 400, message: "Invalid OAuth access token #{token}", node: "1001")
    result = teardown(deregister: true).perform
    expect(result.errors.keys).to eq([:clear_phone_webhook])
    expect(result.errors[:clear_phone_webhook]).to be_a(WaHealth::AuthorizationError)
    expect(result.done).to eq([:deregister])
    expect(log.string).to include("clear_phone_webhook failed")
    expect(log.string).not_to include(token)
  end

  it "checks every input before the first request" do
    expect { teardown(phone_number_id: "") }.to raise_error(ArgumentError, /phone_number_id/)
    expect do
      teardown(business_account_id: nil, unsubscribe_app: true)
    end.to raise_error(ArgumentError, /business_account_id/)
    expect { teardown(timeout: 0) }.to raise_error(ArgumentError, /timeout/)
    expect(fake.requests).to be_empty
  end
end
