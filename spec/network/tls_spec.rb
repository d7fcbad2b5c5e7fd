# frozen_string_literal: true

require "pathname"
require "securerandom"
require "tempfile"
require "tmpdir"

# HTTPS against the fake's test CA: ca_file adds certificates to the system's roots, and every way a
# certificate can be refused ends in a ConnectionError that says so, without the token.
RSpec.describe "TLS" do
  let(:token) { "EAAGtls#{SecureRandom.hex(8)}" }

  def with_fake(tls: true)
    WaHealth::Testing::FakeGraph.start(tls: tls, access_token: token) do |fake|
      fake.add_phone_number("1001")
      yield fake
    end
  end

  def fetch(fake, **options)
    WaHealth.fetch(phone_number_id: "1001", access_token: token, base_url: fake.url, timeout: 5, **options)
  end

  def refusal(fake, **options)
    fetch(fake, **options)
  rescue WaHealth::Error => e
    e
  end

  it "fetches over HTTPS when ca_file holds the CA that issued the server's certificate" do
    with_fake do |fake|
      expect(fetch(fake, ca_file: fake.ca_file)).to include(id: "1001")
      expect(fake.requests.size).to eq(1)
    end
  end

  it "takes ca_file from the configuration, as a String or a Pathname" do
    with_fake do |fake|
      WaHealth.configure { |c| c.ca_file = Pathname(fake.ca_file) }
      expect(fetch(fake)).to include(id: "1001")
      expect(WaHealth.config.inspect).to include("ca_file=#<Pathname:#{fake.ca_file}>")
    ensure
      WaHealth.reset_config!
    end
  end

  it "refuses a server whose CA is not trusted (no ca_file) with a ConnectionError saying so" do
    with_fake do |fake|
      error = refusal(fake)
      expect(error).to be_a(WaHealth::ConnectionError)
      expect(error.message)
        .to include("TLS certificate is not trusted (its issuer is not a system root nor in ca_file)")
      expect(error.message).not_to include(token)
      expect(fake.requests).to be_empty
    end
  end

  it "refuses a certificate issued by another CA than ca_file's" do
    with_fake do |other|
      with_fake do |fake|
        expect(refusal(fake, ca_file: other.ca_file).message).to match(/TLS certificate is not trusted/)
      end
    end
  end

  it "refuses an expired certificate, even from a trusted CA" do
    with_fake(tls: :expired) do |fake|
      error = refusal(fake, ca_file: fake.ca_file)
      expect(error).to be_a(WaHealth::ConnectionError)
      expect(error.message).to match(/TLS certificate has expired/)
      expect(error.message).not_to include(token)
    end
  end

  it "refuses a certificate for another host, even from a trusted CA" do
    with_fake(tls: :wrong_host) do |fake|
      error = refusal(fake, ca_file: fake.ca_file)
      expect(error).to be_a(WaHealth::ConnectionError)
      expect(error.message).to match(/TLS certificate is not valid for the host of base_url/)
      expect(error.message).not_to include(token)
    end
  end

  it "keys the engine's clients on ca_file: a call without it after one with it is still refused" do
    with_fake do |fake|
      expect(fetch(fake, ca_file: fake.ca_file)).to include(id: "1001")
      expect(refusal(fake)).to be_a(WaHealth::ConnectionError)
      expect(fetch(fake, ca_file: fake.ca_file)).to include(id: "1001")
    end
  end

  describe "ca_file validation, when the settings are built" do
    def settings(ca_file)
      WaHealth.config.graph_settings_for(ca_file: ca_file)
    end

    it "refuses a missing file, naming ca_file" do
      expect { settings("/nonexistent/ca.pem") }
        .to raise_error(ArgumentError, %r{\Aca_file "/nonexistent/ca.pem" cannot be read: entity not found\z})
    end

    it "refuses an unreadable path (a directory)" do
      Dir.mktmpdir { |dir| expect { settings(dir) }.to raise_error(ArgumentError, /\Aca_file .* cannot be read/) }
    end

    it "refuses a file that is not PEM certificates, without quoting it" do
      secret = "not-a-certificate-#{SecureRandom.hex(8)}"
      Tempfile.create(["ca", ".pem"]) do |file|
        file.write("#{secret}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        file.flush
        expect { settings(file.path) }.to raise_error(ArgumentError) { |error|
          expect(error.message).to match(/\Aca_file .* is not a PEM file of CA certificates\z/)
          expect(error.message).not_to include(secret)
        }
      end
    end

    it "refuses a PEM block that is not a certificate inside" do
      Tempfile.create(["ca", ".pem"]) do |file|
        file.write("-----BEGIN CERTIFICATE-----\n#{['garbage' * 8].pack('m0')}\n-----END CERTIFICATE-----\n")
        file.flush
        expect { settings(file.path) }
          .to raise_error(ArgumentError, /\Aca_file .* holds a certificate that cannot be parsed\z/)
      end
    end

    it "refuses a ca_file that is not a String or Pathname" do
      expect { settings(42) }.to raise_error(ArgumentError, /ca_file must be a non-blank String/)
    end
  end
end
