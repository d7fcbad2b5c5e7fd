# frozen_string_literal: true

require "json"
require "net/http"
require "openssl"
require "socket"
require "stringio"
require "tempfile"
require "timeout"
require_relative "../support/blocking_handler"
require_relative "../support/loopback_server"

# WaHealth::WebhookEndpoint served by Puma (5.6 on bookworm, 6.6 on trixie) on 127.0.0.1, for what only real
# connections show: Meta's duplicates arriving at once on different threads, the GET challenge never waiting
# behind slow POSTs, and what Puma does with large bodies before the endpoint sees them (docs/webhooks.md,
# "Body size").
RSpec.describe "WaHealth::WebhookEndpoint on Puma" do
  let(:app_secret) { "puma-endpoint-secret-#{SecureRandom.hex(6)}" }
  let(:verify_token) { "puma-endpoint-verify-#{SecureRandom.hex(6)}" }
  let(:servers) { [] }

  after { servers.each(&:stop) }

  def serve(app, **options)
    LoopbackServer.start(app, **options).tap { |server| servers << server }
  end

  def corpus_body(name)
    JSON.generate(JSON.parse(File.read(File.expand_path("../fixtures/meta/webhooks/#{name}", __dir__)))["body"])
  end

  def signed_post(server, body, read_timeout: 30)
    uri = URI(server.url("/webhooks/whatsapp"))
    request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json",
                                       "X-Hub-Signature-256" => "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', app_secret,
                                                                                                  body)}")
    request.body = body
    Net::HTTP.start(uri.host, uri.port, read_timeout: read_timeout) { |http| http.request(request).code.to_i }
  end

  def challenge(server, read_timeout:)
    uri = URI(server.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=#{verify_token}&hub.challenge=42"))
    Net::HTTP.start(uri.host, uri.port, read_timeout: read_timeout) do |http|
      response = http.get(uri.request_uri)
      [response.code.to_i, response.body]
    end
  end

  def endpoint(handler, **options)
    WaHealth::WebhookEndpoint.new(app_secret: app_secret, verify_token: verify_token, handler: handler, **options)
  end

  it "hands one event to the handler once when Meta delivers it 8 times at once, on 8 Puma threads" do
    calls = Queue.new
    server = serve(endpoint(lambda do |event|
      calls << event[:event_id]
      sleep 0.3 # still acting when the other deliveries arrive
    end), threads: 8)
    body = corpus_body("phone_number_name_update_approved.json")
    gate = Queue.new
    threads = Array.new(8) { Thread.new { gate.pop && signed_post(server, body) } }
    8.times { gate << true }
    statuses = threads.map(&:value)

    expect(calls.size).to eq(1)
    # The one that acted answers 200; the others 200 when it was done, 503 (Meta retries) while it was acting.
    expect(statuses).to include(200)
    expect(statuses - [200, 503]).to eq([])
    expect(signed_post(server, body)).to eq(200)
    expect(calls.size).to eq(1)
  end

  it "answers Meta's GET while every POST's handler is stuck: at most max_concurrent_handlers run it" do
    stuck = BlockingHandler.new
    server = serve(endpoint(stuck, max_concurrent_handlers: 1, handler_timeout: 60), threads: 2)
    first = Thread.new { signed_post(server, corpus_body("phone_number_name_update_approved.json"), read_timeout: 90) }
    stuck.entered
    second = Thread.new { signed_post(server, corpus_body("security_pin_reset_request.json"), read_timeout: 90) }

    expect(challenge(server, read_timeout: 20)).to eq([200, "42"])
    expect(second.join(20)&.value).to eq(503)
    stuck.release
    expect(first.value).to eq(200)
  ensure
    stuck&.release(3)
  end

  it "frees its Puma thread when the handler runs out of time, so the GET on a one-thread Puma is answered" do
    never = Queue.new
    server = serve(endpoint(->(_event) { never.pop }, handler_timeout: 1), threads: 1)
    post = Thread.new { signed_post(server, corpus_body("phone_number_name_update_approved.json")) }
    sleep 0.2 # the POST takes the only thread first

    expect(challenge(server, read_timeout: 20)).to eq([200, "42"])
    expect(post.value).to eq(503)
  ensure
    never << true
  end

  describe "body size" do
    let(:seen) { [] }
    # What the endpoint got from Puma: the length Puma declares and whether the body was already buffered.
    let(:recorder) do
      lambda do |app|
        lambda do |env|
          input = env["rack.input"]
          seen << { length: env["CONTENT_LENGTH"], buffered_to_disk: input.is_a?(Tempfile) || input.is_a?(File) }
          app.call(env)
        end
      end
    end

    it "admits and forwards a signed 1.65 MiB messages body (Meta documents up to 3 MB)" do
      forwarded = []
      app = endpoint(->(_) {}, forward: ->(env) { (forwarded << env["rack.input"].read.bytesize) && [200, {}, ["ok"]] })
      server = serve(recorder.call(app))
      # As large as the body that was answered 413 before: 1.65 MiB of statuses.
      statuses = Array.new(14_800) { |i| { "id" => "wamid.#{i.to_s.rjust(80, '0')}", "status" => "delivered" } }
      value = { "messaging_product" => "whatsapp", "statuses" => statuses }
      body = JSON.generate("object" => "whatsapp_business_account",
                           "entry" => [{ "id" => "1", "time" => 1,
                                         "changes" => [{ "field" => "messages", "value" => value }] }])
      expect(body.bytesize).to be_between(1.6 * 1024 * 1024, 1.7 * 1024 * 1024)
      expect(signed_post(server, body)).to eq(200)
      expect(forwarded).to eq([body.bytesize])
    end

    it "refuses a chunked upload over 4 MiB with 413 by the length Puma declares, after Puma buffered it to disk" do
      server = serve(recorder.call(endpoint(->(_) { raise "not called" })))
      size = 5 * 1024 * 1024
      uri = URI(server.url("/webhooks/whatsapp"))
      request = Net::HTTP::Post.new(uri, "Transfer-Encoding" => "chunked", "Content-Type" => "application/json")
      request.body_stream = StringIO.new(" " * size)
      status = Net::HTTP.start(uri.host, uri.port, read_timeout: 30) { |http| http.request(request).code.to_i }

      expect(status).to eq(413)
      # Puma read the whole upload into a temporary file before calling the app: only a limit in front of
      # Puma (the proxy's) refuses it earlier.
      expect(seen).to eq([{ length: size.to_s, buffered_to_disk: true }])
    end

    it "lets a Puma that knows http_content_length_limit refuse a declared 2 GiB body before any of it is sent" do
      called = false
      app = ->(_env) { (called = true) && [200, {}, ["ok"]] }
      limit_known = Gem::Version.new(Puma::Const::PUMA_VERSION) >= Gem::Version.new("6.1")
      server = serve(app, **(limit_known ? { http_content_length_limit: WaHealth::Webhook::MAX_BODY_BYTES } : {}))
      head = "POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" \
             "Content-Length: #{2 * (1024**3)}\r\n\r\n"
      # The headers and the first 64 KiB of the 2 GiB: Puma 6.6 checks the declared length when body bytes
      # arrive, so a client that sends nothing after the headers gets no answer either way.
      answer = Socket.tcp("127.0.0.1", server.port) do |socket|
        socket.write(head)
        socket.write(" " * 65_536)
        socket.wait_readable(5) ? socket.readpartial(256) : nil
      end

      if limit_known
        # Puma 6.1+ (trixie's 6.6): 413 at once, the rest of the body never read, the app never called.
        expect(answer).to start_with("HTTP/1.1 413")
      else
        # Puma 5.6 (bookworm) has no such limit: it waits for the rest of the 2 GiB to buffer them, so put the
        # limit in the reverse proxy (docs/webhooks.md).
        expect(answer).to be_nil
      end
      expect(called).to be(false)
    end
  end
end
