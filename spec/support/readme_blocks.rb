# frozen_string_literal: true

require "json"
require "openssl"

# The ```ruby blocks of README.md and docs/**/*.md (spec/readme_spec.rb runs them).
module ReadmeBlocks
  ROOT = File.expand_path("../..", __dir__)
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

  # The pages whose blocks run and whose links are checked, relative to the repository's root.
  def pages
    ["README.md", *Dir.glob("docs/**/*.md", base: ROOT).sort]
  end

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

# The world a README or docs/ block runs in: WaHealth configured for FakeGraph, a Chatwoot channel in the
# spec app's database, and locals named as the pages name them.
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
    @path = path
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
      @failed_checks << "#{File.basename(@path)} line #{line}: expected #{expected.inspect}, got #{actual.inspect}"
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

# The links of a Markdown page, and the anchors GitHub gives its headings. Fenced code is skipped: a
# `# Gemfile` comment in a block is not a heading, and a block's text is not a link.
class MarkdownPage
  Link = Struct.new(:target, :line)

  attr_reader :path

  def initialize(path)
    @path = path
    @text = File.read(path)
  end

  # GitHub's anchors: lower case, punctuation other than - and _ dropped, spaces as -, and -1, -2, ...
  # after a repeated one.
  def anchors
    seen = Hash.new(0)
    prose_lines(blank_code: false).grep(/\A#+ /).map do |heading|
      anchor = heading.sub(/\A#+ /, "").strip.downcase.gsub(/[^a-z0-9 _-]/, "").tr(" ", "-")
      count = seen[anchor]
      seen[anchor] += 1
      count.zero? ? anchor : "#{anchor}-#{count}"
    end
  end

  # Every [text](target) outside code, with the line it starts on; link text may span lines.
  def links
    prose = prose_lines(blank_code: true).join
    prose.to_enum(:scan, /\[[^\]]*\]\(([^)\s]+)\)/).map do
      match = Regexp.last_match
      Link.new(match[1], prose[0...match.begin(0)].count("\n") + 1)
    end
  end

  private

  # The page's lines with fenced blocks blanked, and inline code too when asked (line numbers kept).
  def prose_lines(blank_code:)
    fenced = false
    @text.lines.map do |line|
      fence = line.start_with?("```")
      fenced = !fenced if fence
      next "\n" if fenced || fence

      blank_code ? line.gsub(/`[^`]*`/) { |code| "`#{'x' * (code.size - 2)}`" } : line
    end
  end
end

# Where the links of README.md and docs/ lead, and why one is dead.
module PageLinks
  SCHEME = /\A[a-z][a-z0-9+.-]*:/i

  module_function

  # Links with a scheme (https:, mailto:) are not followed: the suite has no network.
  def followed?(link)
    !link.target.match?(SCHEME)
  end

  # The repository file (relative to the root) a followed link of `page` leads to: the page itself for a
  # bare #anchor, nil when the path leaves the repository.
  def file(page, link)
    path = link.target.split("#", 2).first
    return page if path.empty?

    absolute = File.expand_path(path, File.dirname(File.join(ReadmeBlocks::ROOT, page)))
    absolute.delete_prefix("#{ReadmeBlocks::ROOT}/") if absolute.start_with?("#{ReadmeBlocks::ROOT}/")
  end

  # Why a link of `page` is dead ("docs/x.md line 3: target: no such file"), or nil.
  def dead(page, link)
    return unless followed?(link)

    problem = problem(file(page, link), link.target.split("#", 2)[1])
    "#{page} line #{link.line}: #{link.target}: #{problem}" if problem
  end

  def problem(file, anchor)
    return "leaves the repository" unless file
    return "no such file" unless File.exist?(File.join(ReadmeBlocks::ROOT, file))
    return unless anchor
    return "an anchor into a file that is not Markdown" unless file.end_with?(".md")

    "no heading with that anchor" unless MarkdownPage.new(File.join(ReadmeBlocks::ROOT, file)).anchors.include?(anchor)
  end
end
