//! `WaHealth::Testing::Native::FakeServer`: the Ruby handle on the fake Graph API (crates/fake_graph). The
//! server runs on its own threads outside the GVL; programming it passes JSON text both ways.

use std::sync::Mutex;

use magnus::{Error, Ruby};

use fake_graph::{CertKind, FakeServer, SharedState, TlsOptions};

#[magnus::wrap(
    class = "WaHealth::Testing::Native::FakeServer",
    free_immediately,
    size
)]
pub struct RbFakeServer {
    state: SharedState,
    server: Mutex<Option<FakeServer>>,
}

fn parse(ruby: &Ruby, json: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(json)
        .map_err(|e| Error::new(ruby.exception_arg_error(), format!("invalid JSON: {e}")))
}

fn argument_error(ruby: &Ruby) -> impl Fn(String) -> Error + '_ {
    move |message| Error::new(ruby.exception_arg_error(), message)
}

impl RbFakeServer {
    pub fn new() -> RbFakeServer {
        RbFakeServer {
            state: SharedState::new(),
            server: Mutex::new(None),
        }
    }

    fn server(&self) -> std::sync::MutexGuard<'_, Option<FakeServer>> {
        self.server.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `tls`: nil (plain HTTP), or the certificate to serve: "valid", "expired" or "wrong_host".
    /// `alpn`: nil (h2 and http/1.1), or the protocols offered over TLS (`["http/1.1"]`).
    pub fn start(
        ruby: &Ruby,
        rb_self: &Self,
        host: String,
        port: u16,
        tls: Option<String>,
        alpn: Option<Vec<String>>,
    ) -> Result<u16, Error> {
        let tls = match tls.as_deref().map(|name| (name, CertKind::parse(name))) {
            None => None,
            Some((_, Some(kind))) => Some(TlsOptions::new(kind)),
            Some((name, None)) => {
                return Err(argument_error(ruby)(format!(
                    "tls must be valid, expired or wrong_host, got {name:?}"
                )))
            }
        };
        let tls = match (tls, alpn) {
            (tls, None) => tls,
            (None, Some(_)) => {
                return Err(argument_error(ruby)(
                    "alpn is for HTTPS: start with tls".to_owned(),
                ))
            }
            (Some(tls), Some(alpn)) => Some(tls.with_alpn(alpn).map_err(argument_error(ruby))?),
        };
        let mut server = rb_self.server();
        if let Some(running) = server.as_ref() {
            return Ok(running.port());
        }
        let started =
            FakeServer::start_with(&host, port, rb_self.state.clone(), tls).map_err(|e| {
                Error::new(
                    ruby.exception_runtime_error(),
                    format!("FakeGraph cannot listen on {host}:{port}: {e}"),
                )
            })?;
        let port = started.port();
        *server = Some(started);
        Ok(port)
    }

    pub fn stop(&self) {
        if let Some(mut server) = self.server().take() {
            server.stop();
        }
    }

    /// The PEM certificate of the CA that issued the running server's certificate (HTTPS only).
    pub fn ca_pem(&self) -> Option<String> {
        self.server()
            .as_ref()
            .and_then(|s| s.ca_pem().map(str::to_owned))
    }

    pub fn is_running(&self) -> bool {
        self.server().is_some()
    }

    pub fn configure(ruby: &Ruby, rb_self: &Self, settings: String) -> Result<(), Error> {
        let settings = parse(ruby, &settings)?;
        rb_self
            .state
            .configure(&settings)
            .map_err(argument_error(ruby))
    }

    pub fn upsert_node(ruby: &Ruby, rb_self: &Self, id: String, node: String) -> Result<(), Error> {
        let node = parse(ruby, &node)?;
        rb_self
            .state
            .upsert_node(&id, &node)
            .map_err(argument_error(ruby))
    }

    pub fn node(&self, id: String) -> Option<String> {
        self.state.node(&id).map(|node| node.to_string())
    }

    pub fn enqueue(ruby: &Ruby, rb_self: &Self, response: String) -> Result<(), Error> {
        let response = parse(ruby, &response)?;
        rb_self
            .state
            .enqueue(&response)
            .map_err(argument_error(ruby))
    }

    pub fn clear_queue(&self) {
        self.state.clear_queue();
    }

    pub fn requests(&self) -> String {
        self.state.requests().to_string()
    }

    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    pub fn stats(&self) -> String {
        self.state.stats().to_string()
    }

    pub fn reset_stats(&self) {
        self.state.reset_stats();
    }

    pub fn reset(&self) {
        self.state.reset();
    }
}

impl Default for RbFakeServer {
    fn default() -> Self {
        Self::new()
    }
}
