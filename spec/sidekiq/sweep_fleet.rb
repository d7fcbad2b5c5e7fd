# frozen_string_literal: true

# The fleet of spec/sidekiq/sweep_spec.rb, shared by the spec and the worker processes' boot file.
module SweepFleet
  CHANNEL_IDS = (1..2_000)
  BATCH_SIZE = 100

  def self.phone_number_id(channel_id)
    (9_000_000 + Integer(channel_id)).to_s
  end
end
