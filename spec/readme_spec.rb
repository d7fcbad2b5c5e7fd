# frozen_string_literal: true

# The README's wiring of Meta's health webhooks is the code the spec Rails app runs
# (spec/rails/webhook_endpoint_spec.rb): every line of those README blocks must be in the app's file.
RSpec.describe "README, Meta's health webhooks" do
  readme = File.read(File.expand_path("../README.md", __dir__))
  section = readme[/^### Meta's health webhooks\n(.*?)^## /m, 1]
  blocks = section.scan(/^```ruby\n(.*?)^```\n/m).map(&:first)
  app = File.expand_path("rails_app", __dir__)

  { "config/routes.rb" => "config/routes.rb", "app/models/channel/whatsapp.rb" => "app/models/channel/whatsapp.rb",
    "config/application.rb" => "config/application.rb" }.each do |heading, file|
    it "shows #{heading} as the spec app has it" do
      block = blocks.find { |b| b.start_with?("# #{heading}") }
      expect(block).not_to be_nil
      lines = block.lines.drop(1).map(&:strip).reject(&:empty?)
      # Settings read from the environment in Chatwoot are literals in the spec app.
      lines.reject! { |line| line.include?("ENV[") }
      app_lines = File.read(File.join(app, file)).lines.map(&:strip)
      expect(lines - app_lines).to eq([])
    end
  end

  it "lists the same verify!, parse and challenge signatures as the code" do
    expect(WaHealth::Webhook.method(:verify!).parameters).to eq([%i[req raw_body], %i[req signature_header],
                                                                 %i[keyreq app_secret]])
    expect(WaHealth::Webhook.method(:challenge).parameters).to eq([%i[req params], %i[keyreq verify_token]])
    expect(section).to include("WaHealth::Webhook.verify!(raw_body, signature_header, app_secret:)",
                               "WaHealth::Webhook.challenge(params, verify_token:)",
                               "WaHealth.apply_event(snapshot, event)")
  end
end
