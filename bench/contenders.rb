# frozen_string_literal: true

require "json"
require "net/http"
require "typhoeus"
require_relative "chatwoot_health_service"

module WaHealthBench
  # The Ruby ways of reading health that wa_health is measured against. All send Chatwoot's
  # request (token and fields in the query string) and parse the answer as Chatwoot does: JSON.parse
  # and the same 11 fields.
  module Contenders
    module_function

    def chatwoot_path(base_path, phone_number_id, token)
      query = URI.encode_www_form(fields: ChatwootHealthService::FIELDS, access_token: token)
      "#{base_path}/v24.0/#{phone_number_id}?#{query}"
    end

    def chatwoot_fields(data, business_id = nil)
      {
        display_phone_number: data["display_phone_number"], verified_name: data["verified_name"],
        name_status: data["name_status"], quality_rating: data["quality_rating"],
        messaging_limit_tier: data["messaging_limit_tier"], account_mode: data["account_mode"],
        code_verification_status: data["code_verification_status"], throughput: data["throughput"],
        last_onboarded_time: data["last_onboarded_time"], platform_type: data["platform_type"],
        business_id: business_id
      }
    end

    def parse(response)
      raise "WhatsApp API request failed: #{response.code}" unless response.is_a?(Net::HTTPSuccess)

      chatwoot_fields(JSON.parse(response.body))
    end

    # What Ruby itself spends turning the answer at `url` into objects: JSON.parse alone, no network.
    def json_parse_seconds(url, token, calls)
      uri = URI(url)
      body = Net::HTTP.start(uri.host, uri.port) do |http|
        http.get(uri.request_uri, "Authorization" => "Bearer #{token}").body
      end
      JSON.parse(body)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      calls.times { JSON.parse(body) }
      (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) / calls
    end

    # Chatwoot's HTTParty service for one channel (a new connection per call, as HTTParty does).
    def httparty_service(url, phone_number_id, token)
      channel = ChatwootHealthService::Channel.new({ "api_key" => token, "phone_number_id" => phone_number_id })
      ChatwootHealthService.new(channel, base_uri: url)
    end

    # Chatwoot's service over https: HTTParty verifies with its own default store (the system's roots, what
    # Chatwoot trusts in production), to which the test CA at `ca_file` is added once; the service is unchanged.
    def trust_for_httparty(ca_file)
      HTTParty::ConnectionAdapter.default_cert_store.add_file(ca_file)
    end

    # Net::HTTP with one kept-alive connection: the best plain Ruby can do sequentially. `ca_file`: for an
    # https url, the CA to verify the server with (Net::HTTP speaks HTTP/1.1 only).
    class KeepAlive
      def initialize(url, token, ca_file: nil)
        uri = URI(url)
        @token = token
        tls = uri.scheme == "https" ? { use_ssl: true, ca_file: ca_file } : {}
        @http = Net::HTTP.start(uri.host, uri.port, **tls)
      end

      def fetch(phone_number_id)
        Contenders.parse(@http.get(Contenders.chatwoot_path("", phone_number_id, @token)))
      end

      def close
        @http.finish if @http.started?
      end
    end

    # Typhoeus::Hydra: libcurl's multi interface, `concurrency` transfers at once, keep-alive. `ca_file`: for
    # an https url, the CA to verify the server with (`cainfo`); libcurl offers h2 and http/1.1 by ALPN.
    def hydra_sweep(url, ids, token, concurrency, ca_file: nil)
      hydra = Typhoeus::Hydra.new(max_concurrency: concurrency)
      results = Array.new(ids.size)
      options = ca_file ? { cainfo: ca_file } : {}
      ids.each_with_index do |id, index|
        request = Typhoeus::Request.new(url + chatwoot_path("", id, token), **options)
        request.on_complete do |response|
          results[index] = response.success? ? chatwoot_fields(JSON.parse(response.body)) : response.code
        end
        hydra.queue(request)
      end
      hydra.run
      results
    end

    # `concurrency` Ruby threads, each with a kept-alive Net::HTTP connection, taking ids from a queue.
    def threaded_sweep(url, ids, token, concurrency)
      queue = Queue.new
      ids.each_with_index { |id, index| queue << [id, index] }
      queue.close
      results = Array.new(ids.size)
      Array.new(concurrency) do
        Thread.new do
          client = KeepAlive.new(url, token)
          while (item = queue.pop)
            results[item[1]] = client.fetch(item[0])
          end
        ensure
          client&.close
        end
      end.each(&:join)
      results
    end
  end
end
