# frozen_string_literal: true

namespace :fake_graph do
  desc "Measure FakeGraph's throughput with wrk (Debian package) on keep-alive connections"
  task wrk: :compile do
    $LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
    require "wa_health/testing"
    abort "wrk is not installed (apt-get install wrk)" unless system("command -v wrk >/dev/null")

    WaHealth::Testing::FakeGraph.start(max_recorded_requests: 0) do |fake|
      fake.add_phone_number("1001")
      sh "wrk", "-t2", "-c32", "-d5s", "-H", "Authorization: Bearer #{fake.access_token}",
         "#{fake.url}/v24.0/1001?fields=id,quality_rating"
    end
  end
end
