# frozen_string_literal: true

require_relative "event_loop"

# Meta approves a stuck number's display name and a real sidekiq process registers it: FakeGraph POSTs the
# signed phone_number_name_update to WaHealth::WebhookEndpoint (Puma on 127.0.0.1), the app's handler
# enqueues WaHealth::EventJob into redis-server, and the worker (spec/sidekiq/event_worker.rb) registers
# the number with the stored PIN. The endpoint and the worker claim each event in the same redis-server
# (WaHealth::EventLedger). How fast is measured by `rake bench`, not here.
RSpec.describe "Event-driven registration on Sidekiq" do
  before(:context) do
    @loop = EventLoop.start(channels: [1, 2, 3])
    @approved = @loop.approve(1)
    @snapshot = @loop.snapshot(1)
    @approval = @loop.fake.webhook_deliveries.last
    @event_id = WaHealth::Webhook.parse(@approval.body).first[:event_id]
    # Meta delivers late and twice: the same body again, four times at once.
    @redelivered = @loop.fake.redeliver(@approval, times: 4, concurrently: true)
    # Channel 3's approval arrives five times at once, before any of them is done.
    @loop.fake.hold_webhooks
    @loop.fake.approve_display_name(EventFleet.phone_number_id(3))
    @concurrent = @loop.fake.release_webhooks(times: 5, concurrently: true)
    @concurrent_id = WaHealth::Webhook.parse(@loop.fake.webhook_deliveries.last.body).first[:event_id]
    @outcome3 = @loop.outcome(3)
    sleep 0.5 # time for a job a duplicate might have enqueued to run
    @register_requests = @loop.fake.requests.select { |request| request.path.end_with?("/register") }
    @phones = [1, 2, 3].to_h { |id| [id, @loop.fake.phone_number(EventFleet.phone_number_id(id))] }
    @job_runs = @loop.job_runs
    @job_record = @loop.redis_get("wa_health:event:job:1:#{@event_id}")
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

  it "registers with the stored PIN, once per approval, and only the approved numbers" do
    expect(@register_requests.map { |request| [request.path, request.json["pin"]] })
      .to eq([1, 3].map { |id| ["/v24.0/#{EventFleet.phone_number_id(id)}/register", @loop.pin] })
    expect(@phones[2]).to include("status" => "PENDING", "name_status" => "PENDING_REVIEW")
  end

  it "hands each approval to the handler once and runs its job once, for redeliveries and duplicates at once" do
    expect(@snapshot).to include(name_status: "APPROVED")
    expect(@redelivered).to eq([200] * 4)
    expect(@loop.handled(@event_id)).to eq(1)
    # Five at once: one acts, the others are answered 503 while it acts (Meta retries) or 200 once it is done.
    expect(@concurrent).to include(200)
    expect(@concurrent - [200, 503]).to eq([])
    expect(@loop.handled(@concurrent_id)).to eq(1)
    expect(@outcome3["registration"]).to eq("accepted")
    expect(@job_runs).to eq([[1, ["register_now"], @event_id], [3, ["register_now"], @concurrent_id]])
    expect(@job_record).to eq("done")
  end

  it "puts no token, app secret or PIN in Redis or in the worker's log" do
    expect(@redis_dump).to include("event:runs", "wa_health:event:webhook:#{@event_id}")
    expect(@loop.worker_log).to include("wa_health event: channel 1 registered")
    [@redis_dump, @loop.worker_log].each do |text|
      [@loop.token, @loop.app_secret].each { |secret| expect(text).not_to include(secret) }
      # As a number of its own: the PIN's six digits may occur by chance inside a timestamp.
      expect(text).not_to match(/(?<!\d)#{@loop.pin}(?!\d)/)
    end
  end
end

RSpec.describe "Event-driven registration when Sidekiq stops mid-job" do
  it "performs the event once: the job Sidekiq pushed back runs in the next worker, Meta's retry acts no more" do
    event_loop = EventLoop.start(channels: [1])
    fake = event_loop.fake
    fake.latency = 5 # the job's health read is still waiting when the worker is told to stop
    fake.approve_display_name(EventFleet.phone_number_id(1))
    approval = fake.webhook_deliveries.last
    event_id = WaHealth::Webhook.parse(approval.body).first[:event_id]
    event_loop.wait_for_job_runs(1)

    # TERM: Sidekiq waits its -t (1 s), pushes the unfinished job back to the queue, raises Shutdown in it.
    event_loop.restart_worker
    fake.latency = 0
    # Meta delivers the body again meanwhile: already handed over, nothing more is enqueued.
    expect(fake.redeliver(approval)).to eq([200])
    outcome = event_loop.outcome(1, timeout: 120)

    expect(outcome["registration"]).to eq("accepted")
    expect(event_loop.handled(event_id)).to eq(1)
    expect(event_loop.job_runs).to eq([[1, ["register_now"], event_id]] * 2)
    expect(fake.requests.count { |request| request.path.end_with?("/register") }).to eq(1)
    expect(event_loop.redis_get("wa_health:event:job:1:#{event_id}")).to eq("done")
    expect(event_loop.worker_log).to match(/Terminating|Shutdown|Pushed|requeue/i)
  ensure
    event_loop&.stop
  end
end
