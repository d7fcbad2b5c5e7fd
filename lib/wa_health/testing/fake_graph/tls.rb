# frozen_string_literal: true

require "tempfile"

module WaHealth
  module Testing
    class FakeGraph
      # FakeGraph's HTTPS mode: the certificate kind it serves and the test CA's file.
      module Tls
        # What `tls:` takes: true (a valid certificate) or the certificate to serve.
        CERTIFICATES = { true => "valid", valid: "valid", expired: "expired", wrong_host: "wrong_host" }.freeze

        def tls?
          !@tls.nil?
        end

        # The path of a PEM file holding the test CA's certificate (a temporary file, removed by #stop).
        def ca_file
          raise Error, "FakeGraph serves plain HTTP: start it with tls: true for a CA file" unless tls?

          (@ca_file or raise Error, "FakeGraph is not started").path
        end

        private

        def tls_certificate(tls)
          return nil unless tls

          CERTIFICATES.fetch(tls) { raise ArgumentError, "tls must be true, :expired or :wrong_host" }
        end

        def write_ca_file
          remove_ca_file
          @ca_file = Tempfile.new(["wa_health-fake-ca", ".pem"])
          @ca_file.write(@native.ca_pem)
          @ca_file.flush
        end

        def remove_ca_file
          @ca_file&.close!
          @ca_file = nil
        end
      end
    end
  end
end
