# frozen_string_literal: true

require "io/console"
require "pty"
require "stringio"
require "wa_health/cli"

RSpec.describe WaHealth::CLI::Layout do
  layout = described_class
  green = ->(text) { "\e[1;32m#{text}\e[0m" }
  yellow = ->(text) { "\e[1;33m#{text}\e[0m" }

  describe ".visible_width" do
    it "counts the columns a terminal shows: no colour code, two for wide characters, none for a combining mark" do
      expect(layout.visible_width(green.call("GREEN"))).to eq(5)
      expect(layout.visible_width("Result: #{yellow.call('needs attention')}.")).to eq(24)
      expect(layout.visible_width("→ done")).to eq(6)
      expect(layout.visible_width("漢字かな")).to eq(8)
      expect(layout.visible_width("ＡＢ")).to eq(4)
      expect(layout.visible_width("😀 ok")).to eq(5)
      expect(layout.visible_width("Cafe\u0301")).to eq(4)
      expect(layout.visible_width("a\u200bb")).to eq(2)
      expect(layout.plain("#{green.call('GREEN')} and #{yellow.call('PENDING')}")).to eq("GREEN and PENDING")
    end
  end

  describe ".wrap" do
    it "fills each line with as many words as fit, with a hanging indent" do
      text = "Meta approves the name: a signed phone_number_name_update APPROVED reaches the endpoint"
      expect(layout.wrap(text, 30, first: "  ", indent: "    ")).to eq(
        ["  Meta approves the name: a", "    signed", "    phone_number_name_update", "    APPROVED reaches the",
         "    endpoint"]
      )
      expect(layout.wrap(text, 30, first: " 5. ")).to eq(
        [" 5. Meta approves the name: a", "    signed", "    phone_number_name_update", "    APPROVED reaches the",
         "    endpoint"]
      )
    end

    it "never cuts a word: one wider than the line stands alone, whole" do
      url = "https://chat.example.com/webhooks/whatsapp/1001"
      expect(layout.wrap("Meta now reports #{url} for it", 20, indent: "  "))
        .to eq(["Meta now reports", "  #{url}", "  for it"])
    end

    it "measures coloured words by what they show, and closes and reopens a colour across a break" do
      text = "Result: #{yellow.call('needs attention now')}: the quality rating is #{green.call('GREEN')}"
      lines = layout.wrap(text, 20, indent: "  ")
      expect(lines).to eq(["Result: \e[1;33mneeds\e[0m", "  \e[1;33mattention now\e[0m: the",
                           "  quality rating is", "  \e[1;32mGREEN\e[0m"])
      expect(lines.map { |line| layout.plain(line) })
        .to eq(layout.wrap(layout.plain(text), 20, indent: "  "))
      # Every line ends with its colours closed.
      expect(lines.map { |line| layout.colour_after(nil, line) }).to all(be_nil)
    end

    it "keeps words joined by GLUE on one line, printed with a plain space" do
      glue = described_class::GLUE
      lines = layout.wrap("registered, CONNECTED, 12.5#{glue}ms after the event", 28)
      expect(lines).to eq(["registered, CONNECTED,", "12.5 ms after the event"])
    end

    it "keeps every word, in order, and every line within the width, for any text and width" do
      random = Random.new(25)
      200.times do
        words = Array.new(random.rand(0..40)) { "w" * random.rand(1..12) }
        width = random.rand(15..90) # the longest word fits after the indent
        lines = layout.wrap(words.join(" " * random.rand(1..3)), width, first: "1. ", indent: "   ")
        expect(lines.join(" ").split - %w[1.]).to eq(words)
        expect(lines.map(&:length).max).to be <= width
        lines.each_cons(2) { |line, after| expect(line.length + 1 + after.split.first.length).to be > width }
      end
    end
  end

  describe ".flow" do
    it "wraps each paragraph under its own indent, its other lines hanging two columns further" do
      lines = layout.flow(["Heading of the section", "  a first step that is long", "  then"], 16)
      expect(lines).to eq(["Heading of the", "  section", "  a first step", "    that is long", "  then"])
    end
  end

  describe ".table" do
    it "aligns columns by what they show, colour aside" do
      rows = [%w[# Quality Decision], ["1", green.call("GREEN"), "none"], ["10", yellow.call("YELLOW"), "register"]]
      lines = layout.table(rows, indent: "  ")
      expect(lines.map { |line| layout.plain(line) })
        .to eq(["  #   Quality  Decision", "  1   GREEN    none", "  10  YELLOW   register"])
    end

    it "wraps a last column that would cross the width inside its column" do
      rows = [%w[Status CONNECTED], ["Registration", "not needed (provisioned): the number is provisioned"]]
      expect(layout.table(rows, indent: "  ", width: 41)).to eq(
        ["  Status        CONNECTED", "  Registration  not needed (provisioned):",
         "                the number is provisioned"]
      )
      # Never narrower than min_last: a narrower terminal gets lines past its width, words whole.
      expect(layout.table(rows, indent: "  ", width: 30, min_last: 20).drop(1)).to eq(
        ["  Registration  not needed", "                (provisioned): the", "                number is",
         "                provisioned"]
      )
    end
  end

  describe ".fit_table" do
    headers = %w[# Scenario Quality Decision]
    detailed = [["1", "Provisioned and healthy", "GREEN", "none (provisioned)"]]
    brief = [["1", "Provisioned and healthy", "GREEN", "none"]]

    it "takes the most detailed rows that fit, else leaves columns out in the order given, and says which" do
      wide = layout.fit_table(headers, [detailed, brief], width: 80, drop: %w[Quality Scenario])
      expect(wide.to_h).to eq(lines: ["#  Scenario                 Quality  Decision",
                                      "1  Provisioned and healthy  GREEN    none (provisioned)"],
                              left_out: [], full_width: 55)
      expect(layout.fit_table(headers, [detailed, brief], width: 45, drop: %w[Quality Scenario]).lines.last)
        .to eq("1  Provisioned and healthy  GREEN    none")
      narrow = layout.fit_table(headers, [detailed, brief], width: 36, drop: %w[Quality Scenario])
      expect(narrow.to_h).to eq(lines: ["#  Scenario                 Decision", "1  Provisioned and healthy  none"],
                                left_out: ["Quality"], full_width: 45)
      expect(layout.fit_table(headers, [detailed, brief], width: 20, drop: %w[Quality Scenario]).left_out)
        .to eq(%w[Quality Scenario])
      expect(layout.fit_table(headers, [detailed, brief], width: 10, drop: %w[Quality Scenario])).to be_nil
    end
  end

  describe "the width a command lays out for (WaHealth::CLI#width)" do
    def width(choice, env: {}, out: StringIO.new)
      WaHealth::CLI.new(out: out, err: StringIO.new, env: env).width(choice)
    end

    it "is --width, else COLUMNS, else the terminal's width, else 80; --width 0 never wraps" do
      expect(width(100, env: { "COLUMNS" => "70" })).to eq(100)
      expect(width(0, env: { "COLUMNS" => "70" })).to eq(Float::INFINITY)
      expect(width(nil, env: { "COLUMNS" => "70" })).to eq(70)
      expect(width(nil)).to eq(80)
      expect(width(nil, env: { "COLUMNS" => "wide" })).to eq(80)
      expect(width(nil, env: { "COLUMNS" => "0" })).to eq(80)
      PTY.open do |terminal, tty|
        tty.winsize = [24, 93]
        expect(width(nil, out: tty)).to eq(93)
        expect(width(nil, out: tty, env: { "COLUMNS" => "61" })).to eq(61)
        tty.winsize = [24, 0] # a terminal that does not say
        expect(width(nil, out: tty)).to eq(80)
        terminal.close
      end
    end
  end
end
