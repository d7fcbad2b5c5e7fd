# frozen_string_literal: true

require "rails_helper"
require_relative "support/readme_blocks"

# Every ```ruby block of the README runs here, so none can rot:
# - a block headed by a file of the spec app (`# app/models/channel/whatsapp.rb ...`) must be that file, or
#   the part of it the README shows: its lines, in order (lines reading ENV are literals in the app). The
#   app's specs (spec/rails/) run those files.
# - a `# Gemfile` block is evaluated with Bundler's `gem` DSL recorded;
# - every other block is run as written against FakeGraph, with locals an app would have (a channel, its
#   ids and token, a health Hash, a signed webhook body), and every `expr # => value` line whose value is
#   a Ruby literal is checked.
RSpec.describe "README", :rails do
  include FakeGraphContext

  readme_path = File.expand_path("../README.md", __dir__)
  app_root = File.expand_path("rails_app", __dir__)
  blocks = ReadmeBlocks.parse(readme_path)

  it "has Ruby blocks to run" do
    expect(blocks.size).to be >= 20
  end

  blocks.each do |block|
    header = block.header
    app_file = header && File.join(app_root, header)

    if header == "Gemfile"
      it "declares the gem as a Gemfile would, at #{block.label}" do
        declared = []
        dsl = Object.new
        dsl.define_singleton_method(:gem) { |name, *args, **options| declared << [name, args, options] }
        dsl.instance_eval(block.code, readme_path, block.line)
        expect(declared).to eq([["wa_health", [], { path: "vendor/wa_health" }]])
      end
    elsif header.to_s.include?("/") && header.end_with?(".rb")
      it "shows #{header} as the spec app has it, at #{block.label}" do
        expect(File).to exist(app_file), "#{header} is not a file of spec/rails_app"
        shown = block.code.lines.drop(1).map(&:strip).reject { |text| text.empty? || text.include?("ENV[") }
        remaining = File.readlines(app_file).map(&:strip)
        missing = shown.reject do |text|
          index = remaining.index(text)
          remaining = remaining.drop(index + 1) if index
          index
        end
        expect(missing).to eq([]), "not in #{header} (in this order): #{missing.inspect}"
      end
    else
      it "runs as written, at #{block.label}" do
        code, checks = ReadmeBlocks.with_checks(block.code)
        runner = ReadmeRunner.new(self, fake)
        runner.run(code, readme_path, block.line)
        expect(runner.failed_checks).to eq([])
        expect(runner.passed_checks).to eq(checks)
      end
    end
  end

  it "links only to headings it has (GitHub's anchors)" do
    text = File.read(readme_path)
    anchors = text.scan(/^#+ (.+)$/).map do |(title)|
      title.downcase.gsub(/[^a-z0-9 _-]/, "").tr(" ", "-")
    end
    links = text.scan(/\]\(#([^)]+)\)/).flatten.uniq
    expect(links.size).to be > 20
    expect(links - anchors).to eq([])
  end

  it "lists the same verify!, parse and challenge signatures as the code" do
    expect(WaHealth::Webhook.method(:verify!).parameters).to eq([%i[req raw_body], %i[req signature_header],
                                                                 %i[keyreq app_secret]])
    expect(WaHealth::Webhook.method(:challenge).parameters).to eq([%i[req params], %i[keyreq verify_token]])
  end
end
