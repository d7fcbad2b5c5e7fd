# frozen_string_literal: true

# The numbers of spec/sidekiq/event_loop.rb, shared by the loop and the worker's boot file: channel N is
# phone N + 5000 of WABA N + 6000, shown as +1 555-010-NNNN.
module EventFleet
  def self.phone_number_id(channel_id)
    (5_000 + Integer(channel_id)).to_s
  end

  def self.business_account_id(channel_id)
    (6_000 + Integer(channel_id)).to_s
  end

  def self.display_phone_number(channel_id)
    format("+1 555-010-%04d", Integer(channel_id))
  end

  # Redis keys the worker writes and the loop reads.
  def self.outcome_key(channel_id)
    "event:outcome:#{channel_id}"
  end

  RUNS_KEY = "event:runs"
end
