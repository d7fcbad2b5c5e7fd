# frozen_string_literal: true

require "pty"

# A command run as a person runs it in a terminal window: on a pseudo-terminal, so its standard input and
# output are a TTY (and it colours its output), `columns` wide when given (stty sets the size before the
# command starts, as the window would). Also used by rake demo:screenshot.
module Terminal
  module_function

  # [what the command printed, with "\n" line ends; its Process::Status]
  def run(env, *command, columns: nil, chdir: Dir.pwd)
    command = ["sh", "-c", "stty cols #{Integer(columns)} rows 50 && exec \"$@\"", "sh", *command] if columns
    output = +""
    status = nil
    PTY.spawn(env, *command, chdir: chdir) do |reader, _writer, pid|
      begin
        reader.each_line { |line| output << line }
      rescue Errno::EIO
        nil # the command closed the terminal
      end
      status = Process.wait2(pid).last
    end
    [output.gsub("\r\n", "\n"), status]
  end
end
