//! The fake's settings (token, app secret, latency, log size, app identity), as the owner's
//! `configure` sets them (options.rs parses the JSON).

use std::time::Duration;

#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) access_token: String,
    pub(crate) app_secret: Option<String>,
    pub(crate) latency: Duration,
    pub(crate) max_recorded: usize,
    /// Answer 411 to a POST with neither Content-Length nor Transfer-Encoding.
    pub(crate) require_content_length: bool,
    /// The app's callback URL (`application` in a phone's `webhook_configuration`); `None`: the
    /// phone's stored field says.
    pub(crate) app_callback_url: Option<String>,
    /// The app as `GET /{waba}/subscribed_apps` shows it.
    pub(crate) app_id: String,
    pub(crate) app_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token: "test-token".to_owned(),
            app_secret: None,
            latency: Duration::ZERO,
            max_recorded: 10_000,
            require_content_length: true,
            app_callback_url: None,
            // The app of Meta's example in spec/fixtures/meta/subscribed_apps_get_with_waba_override.json.
            app_id: "670843887433847".to_owned(),
            app_name: "Lucky Shrub".to_owned(),
        }
    }
}
