# frozen_string_literal: true

require "rails_helper"
require "tempfile"
require_relative "support/readme_blocks"

# Every ```ruby block of README.md and docs/**/*.md runs here, so none can rot:
# - a block headed by a file of the spec app (`# app/models/channel/whatsapp.rb ...`) must be that file, or
#   the part of it the page shows: its lines, in order (lines reading ENV are literals in the app). The
#   app's specs (spec/rails/) run those files.
# - a `# Gemfile` block is evaluated with Bundler's `gem` DSL recorded;
# - every other block is run as written against FakeGraph, with locals an app would have (a channel, its
#   ids and token, a health Hash, a signed webhook body), and every `expr # => value` line whose value is
#   a Ruby literal is checked.
# Every link of those pages is checked too: in-page anchors, and relative links to files (which must
# exist, and have the anchor when one is given).
RSpec.describe "README and docs/", :rails do
  include FakeGraphContext

  root = ReadmeBlocks::ROOT
  app_root = File.expand_path("rails_app", __dir__)
  pages = ReadmeBlocks.pages
  blocks_by_page = pages.to_h { |page| [page, ReadmeBlocks.parse(File.join(root, page))] }

  # Repository files the pages link to that the installed gem does not carry (GitHub shows them; an
  # installed gem's copy of the page has a dead link there).
  repository_only_links = ["bench/RESULTS.md"]

  it "has Ruby blocks to run, in the README and in docs/" do
    expect(pages).to include("README.md", "docs/chatwoot-guide.md", "docs/reference.md")
    expect(blocks_by_page.fetch("README.md").size).to be >= 3
    expect(blocks_by_page.values.sum(&:size)).to be >= 20
  end

  blocks_by_page.each do |page, blocks|
    path = File.join(root, page)

    describe page do
      blocks.each do |block|
        header = block.header
        app_file = header && File.join(app_root, header)

        if header == "Gemfile"
          it "declares the gem as a Gemfile would, at #{block.label}" do
            declared = []
            dsl = Object.new
            dsl.define_singleton_method(:gem) { |name, *args, **options| declared << [name, args, options] }
            dsl.instance_eval(block.code, path, block.line)
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
            runner.run(code, path, block.line)
            expect(runner.failed_checks).to eq([])
            expect(runner.passed_checks).to eq(checks)
          end
        end
      end
    end
  end

  describe "links" do
    def page_links(page)
      MarkdownPage.new(File.join(ReadmeBlocks::ROOT, page)).links
    end

    # The repository files a page links to (not itself).
    def linked_files(page)
      page_links(page).select { |link| PageLinks.followed?(link) && !link.target.start_with?("#") }
                      .map { |link| PageLinks.file(page, link) }
    end

    pages.each do |page|
      it "#{page} links only to headings and files that exist" do
        expect(page_links(page).filter_map { |link| PageLinks.dead(page, link) }).to eq([])
      end
    end

    it "has in-page, cross-page and anchored cross-page links to check" do
      targets = pages.flat_map { |page| page_links(page).map(&:target) }
      expect(targets.count { |target| target.start_with?("#") }).to be > 40
      expect(targets.count { |target| target.match?(/\A[\w.]/) && !target.include?(":") }).to be > 30
      expect(targets.count { |target| target.match?(/\A[\w.][^:]*\.md#/) }).to be > 20
    end

    it "finds GitHub's anchors, and the links outside code, as GitHub would" do
      page = Tempfile.new(["page", ".md"])
      page.write("# Title\n## Reading health: `WaHealth.fetch`\n## Title\n```ruby\n# Gemfile\n[x](#nowhere)\n```\n" \
                 "See [a](#title-1), `[b](#ignored)` and [c\nd](#gone).\n")
      page.close
      markdown = MarkdownPage.new(page.path)
      expect(markdown.anchors).to eq(%w[title reading-health-wahealthfetch title-1])
      expect(markdown.links.map(&:to_a)).to eq([["#title-1", 8], ["#gone", 8]])
    ensure
      page&.unlink
    end

    it "calls a link dead when its file, its anchor or the repository is not there" do
      dead = ->(page, target) { PageLinks.dead(page, MarkdownPage::Link.new(target, 7)) }
      expect(dead.call("docs/reference.md", "guarantees.md#secrets")).to be_nil
      expect(dead.call("docs/reference.md", "../README.md#install")).to be_nil
      expect(dead.call("docs/reference.md", "#errors")).to be_nil
      expect(dead.call("docs/reference.md", "#nowhere"))
        .to eq("docs/reference.md line 7: #nowhere: no heading with that anchor")
      expect(dead.call("docs/reference.md", "install.md")).to end_with("install.md: no such file")
      expect(dead.call("docs/reference.md", "guarantees.md#nothing")).to end_with("no heading with that anchor")
      expect(dead.call("docs/reference.md", "../../README.md")).to end_with("leaves the repository")
      expect(dead.call("README.md", "LICENSE#top")).to end_with("an anchor into a file that is not Markdown")
      expect(dead.call("README.md", "https://example.com/#nowhere")).to be_nil
    end

    it "leads from the README to every page of docs/" do
      linked = linked_files("README.md")
      expect(pages.grep(%r{\Adocs/}) - linked).to eq([])
    end

    it "links to no file the installed gem lacks, except the repository-only files listed" do
      carried = Dir.chdir(root) { Gem::Specification.load("wa_health.gemspec").files }
      linked = pages.flat_map { |page| linked_files(page) }.uniq
      missing = linked.reject do |file|
        carried.include?(file) || carried.any? { |carried_file| carried_file.start_with?("#{file}/") }
      end
      expect(missing.sort).to eq(repository_only_links)
    end
  end

  it "lists the same verify!, parse and challenge signatures as the code" do
    expect(WaHealth::Webhook.method(:verify!).parameters).to eq([%i[req raw_body], %i[req signature_header],
                                                                 %i[keyreq app_secret]])
    expect(WaHealth::Webhook.method(:challenge).parameters).to eq([%i[req params], %i[keyreq verify_token]])
  end
end
