# frozen_string_literal: true

require "net/http"
require "openssl"

# The fake's HTTPS mode, checked with Ruby's own client (OpenSSL), independently of wa_health's.
RSpec.describe WaHealth::Testing::FakeGraph, "with tls" do
  def get(fake, ca_file: fake.ca_file)
    uri = URI("#{fake.url}/v24.0/1001?fields=id")
    request = Net::HTTP::Get.new(uri)
    request["Authorization"] = "Bearer #{fake.access_token}"
    Net::HTTP.start(uri.host, uri.port, use_ssl: true, ca_file: ca_file, open_timeout: 5, read_timeout: 5) do |http|
      http.request(request)
    end
  end

  def with_fake(tls)
    described_class.start(tls: tls) do |fake|
      fake.add_phone_number("1001")
      yield fake
    end
  end

  it "serves HTTPS on 127.0.0.1 with a certificate its test CA file verifies" do
    with_fake(true) do |fake|
      expect(fake.url).to match(%r{\Ahttps://127\.0\.0\.1:\d+\z})
      expect(File.read(fake.ca_file)).to start_with("-----BEGIN CERTIFICATE-----")
      response = get(fake)
      expect(response.code).to eq("200")
      expect(JSON.parse(response.body)).to eq("id" => "1001")
      expect(fake.requests.last.http_version).to eq("HTTP/1.1")
    end
  end

  it "makes a new CA for every server, which verifies no other server" do
    with_fake(true) do |first|
      with_fake(true) do |second|
        expect(File.read(first.ca_file)).not_to eq(File.read(second.ca_file))
        expect { get(second, ca_file: first.ca_file) }
          .to raise_error(OpenSSL::SSL::SSLError, /certificate verify failed/)
      end
    end
  end

  it "serves an expired certificate with tls: :expired" do
    with_fake(:expired) do |fake|
      expect { get(fake) }.to raise_error(OpenSSL::SSL::SSLError, /certificate has expired/)
    end
  end

  it "serves a certificate for another host with tls: :wrong_host" do
    with_fake(:wrong_host) do |fake|
      # OpenSSL 3.0 (bookworm) says "hostname mismatch", 3.5 (trixie) "does not match the server certificate".
      expect { get(fake) }
        .to raise_error(OpenSSL::SSL::SSLError, /hostname mismatch|does not match the server certificate/)
    end
  end

  it "removes the CA file when stopped, and has none in plain HTTP" do
    fake = described_class.new(tls: true).start
    path = fake.ca_file
    fake.stop
    expect(File.exist?(path)).to be(false)
    expect { described_class.new.ca_file }.to raise_error(WaHealth::Error, /plain HTTP/)
  end

  it "refuses an unknown certificate kind" do
    expect { described_class.new(tls: :self_signed) }.to raise_error(ArgumentError, /tls must be/)
  end
end
