# frozen_string_literal: true

require "fileutils"
require "tmpdir"
require "tsort"

# The Rust crates' modules form no import circle: each file names (in `use` or in a path) only files
# below it, so every crate reads bottom-up. A file's edges are the paths it writes (crate::a::b, super::c,
# self::d, child::e, `use` trees included), resolved to the deepest module file they name; declaring a
# child (`mod x;`) is not an edge, and test code (tests/ and *_tests.rs files, test_support.rs, and a
# trailing `#[cfg(test)] mod ... {}`) is left out.
module ModuleGraph
  module_function

  # { ["client", "engine"] => "src/client/engine.rs", ... } for one crate's src dir.
  def modules(src)
    Dir[File.join(src, "**", "*.rs")].to_h do |path|
      parts = path.delete_prefix("#{src}/").delete_suffix(".rs").split("/")
      parts.pop if %w[lib mod].include?(parts.last)
      [parts, path]
    end
  end

  def test_code?(parts)
    parts.include?("tests") || parts.last.to_s.end_with?("_tests") || parts.last == "test_support"
  end

  def code(path)
    text = File.read(path).gsub(%r{//[^\n]*}, "")
    cut = text =~ /^#\[cfg\(test\)\]\s*\n\s*(?:#\[[^\]]*\]\s*\n\s*)*mod \w+ \{/
    cut ? text[0...cut] : text
  end

  # Every path a file writes, as segments: `use` trees expanded (use a::{b, c::d} is a::b and a::c::d).
  def paths(text)
    trees = text.scan(/\buse\s+([^;]+);/).flatten.map { |tree| tree.gsub(/\s+as\s+\w+/, "").gsub(/\s+/, "") }
    uses = trees.flat_map { |tree| expand(tree) }
    inline = text.gsub(/\buse\s+[^;]+;/, "").scan(/\b\w+(?:::\w+)+/)
    (uses + inline).map { |path| path.split("::") }
  end

  def expand(tree)
    prefix, rest = tree.split("::{", 2)
    return [tree] unless rest

    split_top_level(rest.delete_suffix("}")).flat_map { |branch| expand(branch).map { |tail| "#{prefix}::#{tail}" } }
  end

  def split_top_level(list)
    depth = 0
    chunks = list.each_char.slice_when do |char, _|
      depth += { "{" => 1, "}" => -1 }.fetch(char, 0)
      char == "," && depth.zero?
    end
    chunks.map { |chunk| chunk.join.delete_suffix(",") }.reject(&:empty?)
  end

  # The module file `path` (written in module `from`) names: the longest known prefix, or nil for
  # another crate's path. A path may also start at a child of `from` (`fields::select_fields`).
  def resolve(path, from, known)
    head, *rest = path
    base = { "crate" => [], "self" => from, "super" => from[0...-1] }[head]
    return (known.key?(from + [head]) ? longest_known(from, path, known) : nil) unless base

    while rest.first == "super"
      base = base[0...-1]
      rest = rest.drop(1)
    end
    longest_known(base, rest, known)
  end

  def longest_known(base, rest, known)
    rest.size.downto(0).map { |n| base + rest.first(n) }.find { |mod| known.key?(mod) }
  end

  def edges(src)
    known = modules(src)
    known.reject { |parts, _| test_code?(parts) }.to_h do |parts, file|
      targets = paths(code(file)).filter_map { |path| resolve(path, parts, known) }
      [parts, (targets.uniq - [parts]).reject { |target| test_code?(target) }]
    end
  end

  # The groups of modules (more than one) that import each other, through any number of steps.
  def circles(edges)
    Graph.new(edges).strongly_connected_components.select { |group| group.size > 1 }
         .map { |group| group.map { |mod| mod.empty? ? "lib" : mod.join("::") }.sort }
  end

  # A module graph for TSort: module => the modules it imports.
  class Graph
    include TSort

    def initialize(edges)
      @edges = edges
    end

    def tsort_each_node(&)
      @edges.each_key(&)
    end

    def tsort_each_child(node, &)
      @edges.fetch(node, []).each(&)
    end
  end
end

RSpec.describe "Rust module graph" do
  root = File.expand_path("..", __dir__)
  crates = Dir[File.join(root, "{crates,ext,bench}", "*", "src")]

  it "finds the crates" do
    names = crates.map { |src| File.basename(File.dirname(src)) }
    expect(names).to include("wa_health_core", "fake_graph", "wa_health", "wa_health_testing", "floor")
  end

  crates.each do |src|
    crate = src.delete_prefix("#{root}/").delete_suffix("/src")
    it "#{crate}: no module imports a module that imports it back" do
      expect(ModuleGraph.circles(ModuleGraph.edges(src))).to eq([])
    end
  end

  it "sees an import circle when there is one (checked on a scratch crate)" do
    Dir.mktmpdir do |dir|
      src = File.join(dir, "src")
      FileUtils.mkdir_p(File.join(src, "web"))
      File.write(File.join(src, "lib.rs"), "mod state;\nmod web;\n")
      File.write(File.join(src, "state.rs"), "use crate::web::{rules::Rule, Page};\n")
      File.write(File.join(src, "web", "mod.rs"), "mod rules;\npub struct Page(rules::Rule);\n")
      File.write(File.join(src, "web", "rules.rs"), "pub struct Rule(super::super::state::State);\n")
      File.write(File.join(src, "tests.rs"), "use crate::state;\n")
      expect(ModuleGraph.circles(ModuleGraph.edges(src))).to eq([%w[state web web::rules]])
      File.write(File.join(src, "web", "rules.rs"), "// super::super::state\npub struct Rule;\n")
      expect(ModuleGraph.circles(ModuleGraph.edges(src))).to eq([])
    end
  end
end
