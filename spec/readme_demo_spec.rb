# frozen_string_literal: true

require "open3"
require "rbconfig"
require "wa_health/cli"
require_relative "support/terminal"

# The README's demo section shows what a colour terminal shows: a screenshot of the real output
# (`rake demo:screenshot` takes it) and the same lines as text. Both must still be what the demo prints.
RSpec.describe "README's demo section" do
  root = File.expand_path("..", __dir__)
  readme = File.read(File.join(root, "README.md"))
  section = readme[/^## The demo\n.*?(?=^## )/m]
  blocks = section.scan(/^```text\n(.*?)^```\n/m).flatten
  image = section[/!\[[^\]]*\]\(([^)\s]+)\)/, 1]
  env = { "COLUMNS" => nil, "NO_COLOR" => nil, "WA_HEALTH_GRAPH_URL" => "http://127.0.0.1:9" }
  command = [RbConfig.ruby, "-I", File.join(root, "lib"), File.join(root, "bin/wa_health"), "demo"]
  layout = WaHealth::CLI::Layout
  # The run's own measurements (how fast, and when): they differ from one run to the next.
  steady = ->(text) { text.gsub(/\d+\.\d ms/, "N ms").gsub(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/, "TIME") }

  # What an 80-column colour terminal shows of the demo: its output on a pseudo-terminal that size,
  # without the colour codes (which must be there).
  define_method(:on_80_column_terminal) do
    output, status = Terminal.run(env, *command, columns: 80, chdir: root)
    expect(status).to be_success
    expect(output).to include("\e[1;32m")
    layout.plain(output)
  end

  it "shows a screenshot that is in the repository and in the gem, a PNG as tall as the text excerpt" do
    expect(image).to eq("docs/images/demo-80-columns.png")
    path = File.join(root, image)
    png = File.binread(path, 24)
    expect(png.byteslice(0, 8)).to eq("\x89PNG\r\n\x1a\n".b)
    width, height = png.byteslice(16, 8).unpack("NN")
    # rake demo:screenshot: 16 px of padding around lines 18 px high, 80 columns of about 8.5 px.
    expect(height).to eq((2 * 16) + (18 * blocks.first.lines.size))
    expect(width).to be_between(680, 740)
    expect(Dir.chdir(root) { Gem::Specification.load("wa_health.gemspec").files }).to include(image)
  end

  it "shows as text the lines the screenshot shows: the start of what an 80-column colour terminal shows" do
    excerpt = blocks.first
    expect(excerpt.lines.size).to be > 20
    expect(on_80_column_terminal).to start_with(excerpt)
    expect(excerpt).to include("Left out to fit 80 columns")
  end

  it "ends with the webhooks section as an 80-column terminal shows it, and states the table's widths truly" do
    shown = on_80_column_terminal
    expect(steady.call(blocks.last).split).to eq(steady.call(shown.split("\n\n").last).split)
    expect(blocks.last.lines.map { |line| line.chomp.length }.max).to be <= 80

    unwrapped, status = Open3.capture2(env, *command, "--width=0", chdir: root)
    expect(status).to be_success
    detailed = unwrapped.split("\n\n")[1].lines.map { |line| line.chomp.length }.max
    brief = shown[/all columns need (\d+)\)/, 1]
    expect(section).to include("every column in detail from #{detailed} columns",
                               "every column with brief cells (the decision without its reason, the webhook " \
                               "setup without Meta's code)\nfrom #{brief},")
  end
end
