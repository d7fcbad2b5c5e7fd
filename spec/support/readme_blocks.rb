# frozen_string_literal: true

require "json"
require "openssl"

# The README's ```ruby blocks (spec/readme_spec.rb runs them).
module ReadmeBlocks
  Block = Struct.new(:code, :line, :heading) do
    # The file a block shows, from its first line (`# app/models/channel/whatsapp.rb (the parts ...)`).
    def header
      code.lines.first.to_s[/\A# (\S+?)[,:]?(?:\s|\z)/, 1]
    end

    def label
      "line #{line} (#{heading})"
    end
  end

  # A line's `expr # => value`.
  CHECK = /\A(?<indent>\s*)(?<code>[^#\s].*?)\s+# => (?<value>.+?)\s*\z/

  module_function

  def parse(path)
    blocks = []
    heading = nil
    fence = nil
    File.readlines(path).each_with_index do |text, index|
      if fence
        text.start_with?("```") ? (blocks << fence) && (fence = nil) : fence.code << text
      elsif text.start_with?("```ruby")
        fence = Block.new(+"", index + 2, heading)
      elsif text.start_with?("#")
        heading = text.strip
      end
    end
    blocks
  end

  # The code with each `expr # => value` line whose value is a Ruby literal (not prose such as
  # "true / false") turned into a check, and the number of checks.
  def with_checks(code)
    checks = 0
    lines = code.lines.map do |text|
      match = CHECK.match(text.chomp)
      next text unless match && compiles?(match[:code]) && literal?(match[:value])

      checks += 1
      "#{match[:indent]}__readme_expect((#{match[:code]}), #{match[:value].dump}, __LINE__)\n"
    end
    [lines.join, checks]
  end

  def literal?(source)
    Object.new.instance_eval { binding }.eval(source)
    true
  rescue StandardError, ScriptError
    false
  end

  def compiles?(source)
    RubyVM::InstructionSequence.compile(source)
    true
  rescue SyntaxError
    false
  end
end

# The world a README block runs in: WaHealth configured for FakeGraph, a Chatwoot channel in the spec
# app's database, and locals named as the README names them.
class ReadmeRunner
  attr_reader :failed_checks, :passed_checks, :stored, :reauthorization_needed

  def initialize(example, fake)
    @example = example
    @fake = fake
    @failed_checks = []
    @passed_checks = 0
    @stored = {}
    @reauthorization_needed = []
  end

  def run(code, path, line)
    context = binding
    locals.each { |name, value| context.local_variable_set(name, value) }
    context.eval(code, path, line)
  ensure
    WaHealth.reset_config!
    WaHealth::Railtie.apply(Rails.application.config.wa_health)
    Rails.application.reloader.prepare!
  end

  # The fetch_many example's helpers, as an app would have them.
  def store_health(phone_number_id, health)
    @stored[phone_number_id] = health
  end

  def mark_reauthorization_needed(phone_number_id)
    @reauthorization_needed << phone_number_id
  end

  private

  def __readme_expect(actual, expected_source, line)
    expected = Object.new.instance_eval { binding }.eval(expected_source)
    if actual == expected
      @passed_checks += 1
    else
      @failed_checks << "README line #{line}: expected #{expected.inspect}, got #{actual.inspect}"
    end
  end

  def locals
    WaHealth.config.base_url = @fake.url
    token = @fake.access_token
    @fake.add_business_account("2001", name: "Acme WABA")
    @fake.add_phone_number("1001", business_account: "2001")
    @fake.add_phone_number("1002", :platform_not_applicable, business_account: "2001")
    account = Account.create!(name: "Acme")
    channel = Channel::Whatsapp.create!(
      account: account, phone_number: "+15550100001", provider: "whatsapp_cloud",
      provider_config: { "api_key" => token, "phone_number_id" => "1001", "business_account_id" => "2001" }
    )
    # A channel whose setup never finished: no token (the fetch_many example must leave it out).
    Channel::Whatsapp.create!(account: account, phone_number: "+15550100009", provider: "whatsapp_cloud",
                              provider_config: { "phone_number_id" => "1009" })
    health = WaHealth.fetch(phone_number_id: "1002", access_token: token)
    webhook_locals.merge(
      channel: channel, phone_number_id: "1002", access_token: token, business_account_id: "2001",
      callback_url: "https://chat.example.com/webhooks/whatsapp/+15550100002",
      verify_token: "readme-verify-token", health: health, snapshot: health
    )
  end

  def webhook_locals
    app_secret = "readme-app-secret"
    fixture = File.expand_path("../fixtures/meta/webhooks/phone_number_name_update_approved.json", __dir__)
    raw_body = JSON.generate(JSON.parse(File.read(fixture)).fetch("body"))
    signature = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', app_secret, raw_body)}"
    { app_secret: app_secret, raw_body: raw_body, signature_header: signature,
      event: WaHealth::Webhook.parse(raw_body).first,
      params: { "hub.mode" => "subscribe", "hub.verify_token" => "readme-verify-token",
                "hub.challenge" => "1158201444" } }
  end
end
