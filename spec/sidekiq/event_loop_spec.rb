# frozen_string_literal: true

require_relative "event_loop"

# Meta approves a stuck number's display name and a real sidekiq process registers it: FakeGraph POSTs the
# signed phone_number_name_update to WaHealth::WebhookEndpoint (Puma on 127.0.0.1), the app's handler
# enqueues WaHealth::EventJob into redis-server, and the worker (spec/sidekiq/event_worker.rb) registers
# the number with the stored PIN. How fast is measured by `rake bench`, not here.
RSpec.describe "Event-driven registration on Sidekiq" do
  before(:context) do
    @loop = EventLoop.start(channels: [1, 2])
    @approved = @loop.approve(1)
    @snapshot = @loop.snapshot(1)
    # Meta delivers late and twice: the same body again.
    @redelivered = @loop.fake.deliver_webhook(@loop.fake.webhook_deliveries.last.body)
    @actions_on_redelivery = @loop.actions(1)
    sleep 0.5 # time for a job the redelivery might have enqueued to run
    @register_requests = @loop.fake.requests.select { |request| request.path.end_with?("/register") }
    @phones = [1, 2].to_h { |id| [id, @loop.fake.phone_number(EventFleet.phone_number_id(id))] }
    @job_runs = @loop.job_runs
    @redis_dump = @loop.redis_dump
    @loop.stop
  end

  after(:context) { @loop&.stop }

  it "answers Meta with 200, and a separate sidekiq process registers the number, which reads CONNECTED" do
    expect(@approved.webhook_status).to eq(200)
    expect(@approved.actions).to eq([:register_now])
    expect(@approved.worker_pid).to be_positive
    expect(@approved.worker_pid).not_to eq(Process.pid)
    expect([@approved.registration, @approved.status]).to eq(%w[accepted CONNECTED])
    expect(@phones[1]).to include("status" => "CONNECTED", "platform_type" => "CLOUD_API")
    expect(@approved.connected_after).to be >= @approved.registered_after
  end

  it "registers with the stored PIN, once, and only the approved number" do
    expect(@register_requests.map { |request| [request.path, request.json["pin"]] })
      .to eq([["/v24.0/#{EventFleet.phone_number_id(1)}/register", @loop.pin]])
    expect(@phones[2]).to include("status" => "PENDING", "name_status" => "PENDING_REVIEW")
  end

  it "keeps the approval in the channel's snapshot, and does nothing more for the same delivery again" do
    expect(@snapshot).to include(name_status: "APPROVED")
    expect(@redelivered).to eq(200)
    expect(@actions_on_redelivery).to eq([])
    expect(@job_runs).to eq([[1, ["register_now"]]])
  end

  it "puts no token, app secret or PIN in Redis or in the worker's log" do
    expect(@redis_dump).to include("event:runs")
    expect(@loop.worker_log).to include("wa_health event: channel 1 registered")
    [@redis_dump, @loop.worker_log].each do |text|
      [@loop.token, @loop.app_secret].each { |secret| expect(text).not_to include(secret) }
      # As a number of its own: the PIN's six digits may occur by chance inside a timestamp.
      expect(text).not_to match(/(?<!\d)#{@loop.pin}(?!\d)/)
    end
  end
end
