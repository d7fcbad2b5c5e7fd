# frozen_string_literal: true

# Chatwoot's InboxesController, health action only, on WaHealth::HealthEndpoint (README.md and
# docs/chatwoot-guide.md show it).
class Api::V1::Accounts::InboxesController < Api::V1::Accounts::BaseController
  include WaHealth::HealthEndpoint

  before_action :fetch_inbox # Chatwoot's own, with Pundit's show?

  def health
    channel = @inbox.channel
    render_wa_health(channel, previous: channel.try(:health_snapshot)) do |report|
      Rails.logger.warn("[wa_health] inbox #{@inbox.id} is at risk") if report.risk_changed?
      channel.update!(health_snapshot: report.as_json)
    end
  end

  private

  # Before the 422: an expired or revoked token asks the admins to reauthorize the inbox.
  def wa_health_failed(channel, error)
    channel.authorization_error! if error.is_a?(WaHealth::AuthorizationError)
    super
  end

  def fetch_inbox
    @inbox = current_account.inboxes.find(params[:id])
    authorize_inbox!(@inbox)
  end
end
