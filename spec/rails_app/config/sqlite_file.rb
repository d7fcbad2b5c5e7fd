# frozen_string_literal: true

require "sqlite3"

# For the SQLite file that Puma's workers share (spec/puma): ten threads in two processes each write a health
# snapshot per request. Left as Rails 6.1 opens it, that fails with "database is locked" (a deferred
# transaction that read first cannot take the write lock once another process has written) and serializes
# every worker on the lock (SQLite's busy timeout sleeps holding the GVL) and on an fsync per commit. So, on
# every connection: transactions take the write lock up front (IMMEDIATE), a busy wait that releases the
# GVL, and WAL's usual synchronous = NORMAL. Chatwoot itself runs PostgreSQL.
module SqliteFile
  BUSY_WAIT = 0.001
  BUSY_TRIES = 10_000 # 10 s

  def initialize(file, options = {}, *rest)
    super
    busy_handler { |count| count < BUSY_TRIES && sleep(BUSY_WAIT) }
    execute("PRAGMA synchronous = NORMAL")
  end

  def transaction(mode = :immediate, &)
    super
  end
end

SQLite3::Database.prepend(SqliteFile)
