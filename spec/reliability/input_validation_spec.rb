# frozen_string_literal: true

require_relative "helpers"

# Bad arguments stop at the Ruby boundary with an ArgumentError that names the argument and never
# quotes its value, and nothing reaches the network: FakeGraph sees no request at all.
# The bad values the spec below tries.
module BadInput
  HUGE = "1" * 100_000
  BAD_IDS = {
    "nil" => nil, "an empty String" => "", "blanks" => "  ", "a Symbol" => :"1001", "a Float" => 1001.0,
    "a Rational" => 1001r, "an Array" => ["1001"], "a negative Integer" => -1001, "a huge String" => HUGE,
    "a huge Integer" => 10**40, "a path" => "1001/register", "dot-dot" => "../1001", "a query" => "1001?fields=x",
    "a fragment" => "1001#x", "a percent escape" => "1001%2F", "a newline" => "1001\n", "a NUL byte" => "1001\0",
    "spaces" => " 1001 ", "Arabic-Indic digits" => "١٠٠١", "full-width digits" => "１００１",
    "invalid UTF-8" => "1001\xFF", "binary non-ASCII" => "1001\xC3".b, "an object" => Object.new
  }.freeze
  OPTIONAL_WHEN_BLANK = ["nil", "an empty String", "blanks"].freeze
  BAD_TOKENS = {
    "nil" => nil, "an empty String" => "", "a Symbol" => :token, "an Integer" => 12_345, "a Float" => 1.5,
    "a space inside" => "EAA token", "a header break" => "EAAtoken\r\nX-Evil: 1", "non-ASCII" => "EAAtökén",
    "a NUL byte" => "EAA\0token", "invalid UTF-8" => "EAA\xFFtoken", "binary non-ASCII" => "EAA\xC3token".b,
    "a huge String" => "EAA#{'x' * 100_000}"
  }.freeze
  BAD_SECONDS = {
    "nil-like String" => "10", "zero" => 0, "negative" => -1, "NaN" => Float::NAN, "infinity" => Float::INFINITY,
    "too large" => 10**400, "a Symbol" => :ten, "a Complex" => Complex(1, 1), "over an hour" => 3601
  }.freeze
end

RSpec.describe "Input validation at the Ruby boundary" do
  include FakeGraphContext

  let(:secret_like) { "EAAGsecretValue0123456789" }

  before do
    fake.add_phone_number("1001")
    fake.add_business_account("2001")
  end

  after { expect(fake.requests).to be_empty }

  def expect_argument_error(name, value = nil, &)
    expect(&).to raise_error(ArgumentError) { |e|
      expect(e.message).to include(name.to_s)
      expect(e.message).not_to include(value) if value.is_a?(String) && value.length > 3
      expect(e.cause).to be_nil
    }
  end

  def calls(token: fake.access_token, phone: "1001", waba: "2001", **options)
    base = { base_url: fake.url, **options }
    {
      fetch: -> { WaHealth.fetch(phone_number_id: phone, access_token: token, business_account_id: waba, **base) },
      register: -> { WaHealth.register(phone_number_id: phone, access_token: token, pin: "123456", **base) },
      deregister: -> { WaHealth.deregister(phone_number_id: phone, access_token: token, **base) },
      subscribe: lambda {
        WaHealth.subscribe_webhook(business_account_id: waba, access_token: token,
                                   callback_url: "https://chat.example.com/hook", verify_token: "v", **base)
      },
      webhook_setup: lambda {
        WaHealth::WebhookSetup.new(phone_number_id: phone, business_account_id: waba, access_token: token,
                                   callback_url: "https://chat.example.com/hook", verify_token: "v", **base).perform
      }
    }
  end

  BadInput::BAD_IDS.each do |label, value|
    it "refuses #{label} as phone_number_id or business_account_id everywhere" do
      calls(phone: value).except(:subscribe).each_value { |call| expect_argument_error(:phone_number_id, value, &call) }
      calls(waba: value).except(:register, :deregister).each do |name, call|
        next if name == :fetch && BadInput::OPTIONAL_WHEN_BLANK.include?(label) # fetch then reads no WABA

        expect_argument_error(:business_account_id, value, &call)
      end
    end
  end

  BadInput::BAD_TOKENS.each do |label, value|
    it "refuses #{label} as access_token everywhere, without quoting it" do
      calls(token: value).each_value { |call| expect_argument_error(:access_token, value, &call) }
    end
  end

  BadInput::BAD_SECONDS.each do |label, value|
    it "refuses #{label} as timeout or open_timeout" do
      %i[timeout open_timeout].each do |option|
        calls(option => value).each_value { |call| expect_argument_error(option, &call) }
      end
    end
  end

  it "refuses bad connection settings" do
    {
      base_url: ["ftp://x", "not a url", "http://u:p@127.0.0.1", "http://127.0.0.1/?a=b", :sym, "http://x/\xFF", ""],
      api_version: ["24.0", "v24.0/../x", "v24.0?x", :v24, 24.0, "v٢٤"],
      app_secret: [123, :secret, "x" * 5000, "bad\xFF"]
    }.each do |option, values|
      values.each do |value|
        calls(option => value).each_value { |call| expect_argument_error(option, &call) }
      end
    end
  end

  it "refuses unknown keywords, naming them but not their values" do
    expect { WaHealth.fetch(phone_number_id: "1001", access_token: fake.access_token, acces_token: secret_like) }
      .to raise_error(ArgumentError, /unknown keyword: :acces_token/) { |e|
        expect(e.message).not_to include(secret_like)
      }
  end

  it "refuses bad register and webhook arguments" do
    base = { phone_number_id: "1001", access_token: fake.access_token, base_url: fake.url }
    [nil, "12345", "1234567", "12345a", 123_456.0, :"123456", "١٢٣٤٥٦", "123456\n"].each do |pin|
      expect_argument_error(:pin) { WaHealth.register(**base, pin: pin) }
    end
    ["de", "DEU", :DE, "D\xFF"].each do |region|
      expect_argument_error(:data_localization_region) do
        WaHealth.register(**base, pin: "123456", data_localization_region: region)
      end
    end
    waba = { business_account_id: "2001", access_token: fake.access_token, base_url: fake.url, verify_token: "v" }
    ["http://chat.example.com/hook", "ftp://x", "not a url", :url, nil, "https://x/\xFF", "x" * 5000].each do |url|
      expect_argument_error(:callback_url) { WaHealth.subscribe_webhook(**waba, callback_url: url) }
    end
    [nil, "", :v, 1, "v\xFF", "v" * 5000].each do |verify|
      expect_argument_error(:verify_token) do
        WaHealth.subscribe_webhook(**waba, callback_url: "https://x/hook", verify_token: verify)
      end
    end
  end

  it "refuses bad rule inputs" do
    expect_argument_error(:health) { WaHealth.registration_decision(nil) }
    expect_argument_error(:health) { WaHealth.registration_decision("VERIFIED") }
    deep = 100.times.reduce({}) { |inner, _| { "x" => inner } }
    expect_argument_error(:health) { WaHealth.registration_decision(deep) }
    expect_argument_error(:attempts) { WaHealth.next_registration_at(attempts: nil) }
    expect_argument_error(:attempts) { WaHealth.next_registration_at(attempts: [Time.now.to_f]) }
    expect_argument_error(:attempts) { WaHealth.next_registration_at(attempts: ["yesterday"]) }
    expect_argument_error(:now) { WaHealth.next_registration_at(attempts: [], now: 5) }
    expect_argument_error(:last_error) { WaHealth.next_registration_at(attempts: [], last_error: "boom") }
  end

  it "accepts the same values in other encodings when they are valid text" do
    fake.clear_requests
    phone = "1001".encode("UTF-16LE")
    expect(WaHealth.fetch(phone_number_id: phone, access_token: fake.access_token.b, base_url: fake.url)[:id])
      .to eq("1001")
    expect(fake.requests.size).to eq(1)
    fake.clear_requests # for the after hook: this example is the one that may talk
  end
end
