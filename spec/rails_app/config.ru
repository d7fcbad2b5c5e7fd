# frozen_string_literal: true

# Puma's entry point for spec/puma/cluster_spec.rb, as in Chatwoot (whose config/environment.rb boots the app).
require_relative "config/application"
RailsApp::Application.initialize!

# Names the worker process that answered, so the spec can tell the cluster's workers apart.
class WorkerPid
  def initialize(app)
    @app = app
  end

  def call(env)
    status, headers, body = @app.call(env)
    headers["x-worker-pid"] = Process.pid.to_s
    [status, headers, body]
  end
end

use WorkerPid
run Rails.application
