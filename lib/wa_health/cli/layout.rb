# frozen_string_literal: true

module WaHealth
  class CLI
    # Text laid out for a terminal by what it shows: colour codes (ANSI SGR sequences) take no column,
    # a CJK character or an emoji takes two, a combining mark none. Every command's text output wraps,
    # aligns and fits its tables here, and nowhere else.
    module Layout
      # Select Graphic Rendition: the colour and bold codes Text#paint writes (`\e[1;32m`, `\e[0m`).
      SGR = /\e\[[0-9;:]*m/
      RESET = "\e[0m"
      # A space a line never breaks at ("+1 555-010-0001", "1.6 ms"); wrap prints it as a plain space.
      GLUE = "\u00a0"
      # Two columns on a terminal: Unicode's East Asian Wide and Fullwidth, approximated by the scripts
      # and blocks that are wide, and emoji shown as emoji. (Ruby's regexps have no East Asian Width
      # property, and the gem takes no runtime dependency for its command line.)
      WIDE = /\A[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Emoji_Presentation}\u3000-\u303e\uff01-\uff60]|
              \A[\uffe0-\uffe6]|\ufe0f/x
      # No column: combining marks, format characters (zero-width space, joiners) and control characters.
      ZERO = /\A[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+\z/

      # A table laid out to fit: its lines, the headers of the columns left out to fit (none when every
      # column fits), and the columns the table needs with every column.
      Fitted = Struct.new(:lines, :left_out, :full_width, keyword_init: true)

      module_function

      # The text without its SGR sequences: what a terminal shows.
      def plain(text)
        text.to_s.gsub(SGR, "")
      end

      # The columns the text takes on a terminal (one line).
      def visible_width(text)
        plain(text).scan(/\X/).sum do |cluster|
          next 2 if WIDE.match?(cluster)

          ZERO.match?(cluster) ? 0 : 1
        end
      end

      # `text` in lines of at most `width` columns, broken between words (at runs of whitespace; GLUE
      # keeps two words together): the first line starts with `first`, the others with `indent` (a
      # hanging indent). A word wider than a line (a long URL, say) stands alone on its line, whole. A
      # colour still open at a break is closed at the end of the line and opened again after the next
      # line's indent, so each line shows right on its own.
      def wrap(text, width, first: "", indent: " " * visible_width(first))
        words = text.to_s.split
        colour = nil
        line_breaks(words.map { |word| visible_width(word) }, width, visible_width(first), visible_width(indent))
          .each_with_index.map do |range, i|
            shown = words[range].join(" ")
            line = "#{i.zero? ? first : indent}#{colour}#{shown.tr(GLUE, ' ')}"
            colour = colour_after(colour, shown)
            colour ? line + RESET : line
          end
      end

      # The words of each line (index ranges), given the words' widths: as many as fit on each line.
      def line_breaks(widths, width, first_width, indent_width)
        starts = [0]
        used = first_width
        widths.each_with_index do |needed, i|
          if i > starts.last && used + 1 + needed > width
            starts << i
            used = indent_width + needed
          else
            used += needed + (i > starts.last ? 1 : 0)
          end
        end
        starts.zip([*starts.drop(1), widths.size]).map { |from, to| from...to }
      end

      # The SGR sequences in effect after `text`, starting from `colour`: nil once reset.
      def colour_after(colour, text)
        text.scan(SGR).reduce(colour) { |open, code| ["\e[0m", "\e[m"].include?(code) ? nil : "#{open}#{code}" }
      end

      # Lines of text, each wrapped as a paragraph: its leading spaces indent its first line, and its
      # other lines `hang` columns more.
      def flow(paragraphs, width, hang: 2)
        paragraphs.flat_map do |paragraph|
          first = paragraph[/\A */]
          wrap(paragraph, width, first: first, indent: first + (" " * hang))
        end
      end

      # rows: Arrays of cells (Strings, coloured or not), in columns as wide as their widest cell shows,
      # `gap` spaces apart. Given a `width`, a last column that would cross it wraps inside its own
      # column, kept at least `min_last` wide (a word wider than that stands alone).
      def table(rows, indent: "", gap: 2, width: Float::INFINITY, min_last: 20)
        widths = column_widths(rows)
        lead_width = visible_width(indent) + widths[0...-1].sum { |column| column + gap }
        last = [[width - lead_width, min_last].max, widths.last.to_i].min
        rows.flat_map do |row|
          lead = indent + row[0...-1].each_with_index.map { |cell, i| pad(cell, widths[i] + gap) }.join
          table_row(lead, row.last, last, lead_width)
        end
      end

      def column_widths(rows)
        rows.each_with_object([]) do |row, widths|
          row.each_with_index { |cell, i| widths[i] = [widths[i] || 0, visible_width(cell)].max }
        end
      end

      # A row's lines: its first cells (`lead`), then its last cell, wrapped inside a column `last` wide.
      def table_row(lead, final, last, lead_width)
        finals = visible_width(final) <= last ? [final.to_s] : wrap(final, last)
        [(lead + finals.first).rstrip, *finals.drop(1).map { |more| (" " * lead_width) + more }]
      end

      # The first of `variants` (row sets for `headers`, the most detailed first) that fits `width`
      # whole; else the last one without the columns named in `drop`, the first named going first, until
      # it fits. nil when it does not fit even then.
      def fit_table(headers, variants, width:, drop: [], indent: "")
        variants.each do |rows|
          lines = table([headers, *rows], indent: indent)
          return Fitted.new(lines: lines, left_out: [], full_width: widest(lines)) if widest(lines) <= width
        end
        rows = [headers, *variants.last]
        full_width = widest(table(rows, indent: indent))
        drop.each_index do |count|
          left_out = drop.first(count + 1)
          kept = headers.each_index.reject { |i| left_out.include?(headers[i]) }
          lines = table(rows.map { |row| row.values_at(*kept) }, indent: indent)
          return Fitted.new(lines: lines, left_out: left_out, full_width: full_width) if widest(lines) <= width
        end
        nil
      end

      def widest(lines)
        lines.map { |line| visible_width(line) }.max || 0
      end

      def pad(cell, columns)
        cell.to_s + (" " * (columns - visible_width(cell)))
      end
    end
  end
end
