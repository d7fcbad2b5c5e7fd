# frozen_string_literal: true

require "open3"
require "rbconfig"
require "wa_health/sidekiq"

# WaHealth::SweepJob's logic in this process against FakeGraph, with Sidekiq's client calls stubbed.
# spec/sidekiq/sweep_spec.rb runs it for real on Redis and two sidekiq processes.
RSpec.describe WaHealth::SweepJob do
  include FakeGraphContext

  let(:delivered) { [] }
  let(:credentials) do
    { 1 => { phone_number_id: "1001", access_token: token },
      2 => { "phone_number_id" => "1002", "access_token" => token, "business_account_id" => "2001" },
      3 => { phone_number_id: "1003", access_token: token } }
  end
  let(:usage_header) do
    { "X-Business-Use-Case-Usage" => JSON.generate("2001" => [{ "estimated_time_to_regain_access" => 3 }]) }
  end

  before do
    WaHealth.config.base_url = fake.url
    %w[1001 1002 1003].each { |id| fake.add_phone_number(id) }
    fake.add_business_account("2001")
    WaHealth.credentials_resolver = ->(id) { credentials[id] }
    WaHealth.health_sink = ->(id, result) { delivered << [id, result] }
    described_class.retry_jitter = 0
    allow(described_class).to receive(:perform_in)
    @sidekiq_logger = Sidekiq.logger
    # Sidekiq 7 has no Sidekiq.logger=; the configuration's logger= is in 6 and 7.
    Sidekiq.configure_client { |config| config.logger = Logger.new(File::NULL) }
  end

  after do
    Sidekiq.configure_client { |config| config.logger = @sidekiq_logger }
    WaHealth.reset_config!
  end

  def perform(ids, attempt = 0)
    described_class.new.perform(ids, attempt)
  end

  def outcomes
    delivered.to_h.transform_values { |result| result.is_a?(Hash) ? result[:id] : result.class }
  end

  describe "#perform" do
    it "reads every channel of the batch with the resolver's credentials and hands each health to the sink" do
      perform([1, 2, 3])
      expect(outcomes).to eq(1 => "1001", 2 => "1002", 3 => "1003")
      expect(delivered.to_h[2]).to include(business_account_id: "2001", business_account_name: "Acme WABA")
      expect(fake.requests.map(&:path)).to contain_exactly("/v24.0/1001", "/v24.0/1002", "/v24.0/1003", "/v24.0/2001")
      expect(described_class).not_to have_received(:perform_in)
    end

    it "skips channels the resolver answers nil for" do
      perform([1, 4])
      expect(outcomes).to eq(1 => "1001")
      expect(fake.requests.map(&:path)).to eq(["/v24.0/1001"])
    end

    it "gives the sink an ArgumentError, without a request, for incomplete credentials" do
      credentials[2] = { phone_number_id: "1002", access_token: "" }
      credentials[3] = "not a Hash"
      credentials[4] = { phone_number_id: "1004", access_token: token, business_account_id: "WABA-1" }
      perform([1, 2, 3, 4])
      expect(outcomes).to eq(1 => "1001", 2 => ArgumentError, 3 => ArgumentError, 4 => ArgumentError)
      expect(delivered.to_h[2].message).to eq("access_token is missing")
      expect(delivered.to_h[4].message).to match(/business_account_id/)
      expect(fake.requests.map(&:path)).to eq(["/v24.0/1001"])
    end

    it "gives the sink the other errors of a channel as they are" do
      fake.queue_error(code: 190, status: 401, node: "1002", endpoint: :get)
      perform([1, 2, 3])
      expect(outcomes).to eq(1 => "1001", 2 => WaHealth::AuthorizationError, 3 => "1003")
      expect(described_class).not_to have_received(:perform_in)
    end

    it "re-enqueues only the rate-limited channels, with ids and the next attempt, after Meta's retry_after" do
      fake.queue_error(code: 80_007, node: "1001", endpoint: :get, headers: usage_header)
      fake.queue_error(code: 80_007, node: "1003", endpoint: :get, headers: usage_header)
      perform([1, 2, 3])
      expect(outcomes).to eq(2 => "1002")
      expect(described_class).to have_received(:perform_in).with(180, [1, 3], 1)
    end

    it "caps the wait at max_retry_delay, and waits default_retry_delay when Meta says nothing" do
      described_class.max_retry_delay = 4
      fake.queue_error(code: 80_007, node: "1001", endpoint: :get, headers: usage_header)
      perform([1])
      expect(described_class).to have_received(:perform_in).with(4, [1], 1)

      described_class.max_retry_delay = nil
      fake.queue_error(code: 80_007, node: "1001", endpoint: :get)
      perform([1], 2)
      expect(described_class).to have_received(:perform_in).with(60, [1], 3)
    end

    it "hands the RateLimitError to the sink once max_rate_limit_retries re-enqueues were used" do
      described_class.max_rate_limit_retries = 2
      fake.queue_error(code: 80_007, node: "1001", endpoint: :get, headers: usage_header)
      perform([1], 2)
      expect(outcomes).to eq(1 => WaHealth::RateLimitError)
      expect(described_class).not_to have_received(:perform_in)
    end

    it "raises when the app has not registered a resolver or a sink, before any request" do
      WaHealth.health_sink = nil
      expect { perform([1]) }.to raise_error(WaHealth::Error, "WaHealth.config.health_sink is not set")
      WaHealth.credentials_resolver = nil
      expect { perform([1]) }.to raise_error(WaHealth::Error, "WaHealth.config.credentials_resolver is not set")
      expect(fake.requests).to be_empty
    end
  end

  describe ".retry_delay" do
    it "adds up to retry_jitter of the wait at random" do
      described_class.retry_jitter = 0.5
      error = WaHealth::RateLimitError.new("limited", retry_after: 10)
      delays = Array.new(200) { described_class.retry_delay([error]) }
      expect(delays).to all(be_between(10, 15))
      expect(delays.uniq.size).to be > 100
    end
  end

  describe ".enqueue_all" do
    before do
      allow(Sidekiq::Client).to receive(:push_bulk) { |item| item["args"].map { SecureRandom.hex(12) } }
    end

    it "pushes one job per batch of channel ids and returns the number of jobs" do
      expect(described_class.enqueue_all(1..250, batch_size: 100)).to eq(3)
      expect(Sidekiq::Client).to have_received(:push_bulk)
        .with("class" => described_class, "args" => [[(1..100).to_a], [(101..200).to_a], [(201..250).to_a]])
      expect(described_class.enqueue_all([])).to eq(0)
    end

    it "pushes at most 1,000 jobs per Redis call" do
      expect(described_class.enqueue_all(1..2_500, batch_size: 1)).to eq(2_500)
      expect(Sidekiq::Client).to have_received(:push_bulk).exactly(3).times
    end

    it "refuses anything but channel ids (so no credentials reach Redis) and bad batch sizes" do
      meta_token = "EAAG#{'x' * 180}" # Meta's access tokens are a couple of hundred characters
      [[{ api_key: meta_token }], [meta_token], ["1 OR 1=1"], [nil], [1.5], [Object.new]].each do |ids|
        expect { described_class.enqueue_all(ids) }.to raise_error(ArgumentError, /channel ids must be/) { |e|
          expect(e.message).not_to include(meta_token)
        }
      end
      [0, -1, 1.5, nil].each do |size|
        expect { described_class.enqueue_all([1], batch_size: size) }.to raise_error(ArgumentError, /batch_size/)
      end
      expect(Sidekiq::Client).not_to have_received(:push_bulk)
    end

    it "accepts Integer and id-String channel ids" do
      expect(described_class.enqueue_all([1, "42", "uuid-0f3c_a"], batch_size: 2)).to eq(2)
    end
  end

  it "refuses a resolver or sink that cannot be called" do
    expect { WaHealth.credentials_resolver = "Channel" }.to raise_error(ArgumentError, /credentials_resolver/)
    expect { WaHealth.health_sink = 42 }.to raise_error(ArgumentError, /health_sink/)
  end

  it "is loaded by `require \"wa_health\"` after Sidekiq, or on its own, without circular requires" do
    lib = File.expand_path("../../lib", __dir__)
    ['require "sidekiq"; require "wa_health"', 'require "wa_health/sidekiq"'].each do |requires|
      script = "#{requires}; puts [WaHealth::SweepJob.get_sidekiq_options['retry'], WaHealth.respond_to?(:fetch_many)]"
      out, err, status = Open3.capture3(RbConfig.ruby, "-w", "-I", lib, "-e", script)
      expect(status).to be_success, err
      expect(out).to eq("3\ntrue\n")
      expect(err).not_to match(/circular require/)
    end
  end
end
