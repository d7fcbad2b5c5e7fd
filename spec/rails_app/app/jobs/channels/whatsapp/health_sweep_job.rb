# frozen_string_literal: true

# Reads every Cloud API number's health on Sidekiq (config/schedule.yml: every 6 hours).
class Channels::Whatsapp::HealthSweepJob < ApplicationJob
  queue_as :scheduled_jobs

  def perform
    ids = Channel::Whatsapp.where(provider: "whatsapp_cloud").pluck(:id)
    WaHealth::SweepJob.enqueue_all(ids, batch_size: 100) # one WaHealth::SweepJob per 100 channels
  end
end
