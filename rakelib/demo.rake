# frozen_string_literal: true

require "tmpdir"
require_relative "../spec/support/terminal"

# The README's picture of `bin/wa_health demo` on an 80-column colour terminal, taken of the real output:
# the demo runs on a pseudo-terminal 80 columns wide (so it colours and wraps as on a terminal), aha
# (Debian's `aha`) turns the start of its output into HTML, and Debian's headless Chromium takes the
# screenshot. spec/readme_demo_spec.rb checks that the README's text excerpt is still the start of what
# such a terminal shows, and that the picture has as many lines.
# rake demo:screenshot's steps.
module DemoScreenshot
  COLUMNS = 80
  IMAGE = "docs/images/demo-80-columns.png"
  LINE_HEIGHT = 18 # px, set in the page's CSS
  PADDING = 16 # px
  ROOT = File.expand_path("..", __dir__)

  module_function

  # The demo's output on a terminal COLUMNS wide, as the terminal received it (colour codes and all).
  def run_on_terminal
    env = { "COLUMNS" => nil, "NO_COLOR" => nil, "TERM" => "xterm-256color" }
    output, status = Terminal.run(env, File.join(ROOT, "bin/wa_health"), "demo", columns: COLUMNS, chdir: ROOT)
    raise "bin/wa_health demo failed" unless status.success?

    output
  end

  # The lines (with their colour codes) as an HTML page: aha's spans in a dark terminal's <pre>.
  def page(lines)
    html = IO.popen(%w[aha --black --no-header], "r+") do |aha|
      aha.write(lines.join)
      aha.close_write
      aha.read
    end
    <<~HTML
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><style>
        html, body { margin: 0; background: #1e1e1e; }
        pre { margin: 0; padding: #{PADDING}px; color: #e5e5e5;
              font: 14px/#{LINE_HEIGHT}px "DejaVu Sans Mono", monospace; }
      </style></head><body><pre>#{html}</pre></body></html>
    HTML
  end

  # Debian's headless Chromium, with the flags this closed network needs, sized to the lines.
  def screenshot(html, lines, dir)
    File.write(File.join(dir, "demo.html"), html)
    size = "#{(PADDING * 2) + (COLUMNS * 8.5).ceil},#{(PADDING * 2) + (lines * LINE_HEIGHT)}"
    chromium = %W[chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
                  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars
                  --user-data-dir=#{File.join(dir, 'profile')} --window-size=#{size}
                  --screenshot=#{File.join(ROOT, IMAGE)} file://#{File.join(dir, 'demo.html')}]
    system(*chromium, out: File::NULL, err: File::NULL) || abort("chromium could not take the screenshot")
  end
end

namespace :demo do
  desc "Screenshot of the demo on an 80-column colour terminal into #{DemoScreenshot::IMAGE} (needs aha, chromium)"
  task :screenshot do
    %w[aha chromium].each do |tool|
      system("command -v #{tool} >/dev/null") ||
        abort("rake demo:screenshot needs #{tool}: apt-get install aha chromium fonts-dejavu-core")
    end
    # The intro, the table and the first two numbers: what fits a screen.
    excerpt = DemoScreenshot.run_on_terminal.lines.take_while { |line| !line.start_with?(" 3. ") }
    Dir.mktmpdir("wa_health-screenshot") do |dir|
      DemoScreenshot.screenshot(DemoScreenshot.page(excerpt), excerpt.size, dir)
    end
    puts "#{DemoScreenshot::IMAGE}: #{excerpt.size} lines. The README's text excerpt, as the terminal shows it:", "",
         excerpt.join.gsub(/\e\[[0-9;]*m/, "")
  end
end
