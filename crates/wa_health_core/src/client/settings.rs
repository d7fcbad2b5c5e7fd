//! Where and how to talk to the Graph API ([`GraphSettings`], checked once when built from the
//! Ruby configuration), and the checks every call makes of its arguments.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use url::Url;

use crate::error::{GraphError, GraphResult};
use crate::ids::is_graph_id;

/// Whether the URL's host is this machine (localhost, 127.0.0.0/8, ::1): the only place plain http
/// is allowed, for development and tests.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Where and how to talk to the Graph API; built once per configuration, shared by calls.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    base_url: Url,
    api_version: String,
    timeout: Duration,
    open_timeout: Duration,
    ca: Option<Arc<CaRoots>>,
    proxy: Option<ProxyUrl>,
}

/// The proxy every request goes through (CONNECT for https). Debug shows no credentials.
#[derive(Clone)]
pub struct ProxyUrl(Url);

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        write!(f, "ProxyUrl({shown})")
    }
}

/// Largest `ca_file` read (Debian's bundle of every public CA is about 220 KB).
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The certificates of a `ca_file`, trusted besides the system's roots.
#[derive(Clone)]
pub(super) struct CaRoots {
    /// SHA-256 of the certificates: the clients cache key.
    digest: [u8; 32],
    certs: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for CaRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaRoots({} certificates)", self.certs.len())
    }
}

impl CaRoots {
    /// Reads the PEM file at `path`. Errors name `ca_file` and the path, never the contents.
    fn load(path: &str) -> GraphResult<CaRoots> {
        use rustls::pki_types::pem::PemObject;
        use sha2::{Digest, Sha256};
        use std::io::Read;

        let invalid = |why: String| GraphError::InvalidArgument(format!("ca_file {path:?} {why}"));
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| invalid(format!("cannot be read: {}", e.kind())))?;
        if bytes.len() as u64 > MAX_CA_FILE_BYTES {
            return Err(invalid(format!("is over {MAX_CA_FILE_BYTES} bytes")));
        }
        let not_pem = || invalid("is not a PEM file of CA certificates".to_string());
        let ders = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_pem())?;
        if ders.is_empty() {
            return Err(not_pem());
        }
        let mut digest = Sha256::new();
        let mut certs = Vec::with_capacity(ders.len());
        for der in ders {
            // The same parse the TLS verifier makes of a root, so a bad one fails here, not per call.
            rustls::RootCertStore::empty()
                .add(der.clone())
                .map_err(|_| invalid("holds a certificate that cannot be parsed".to_string()))?;
            digest.update(der.as_ref());
            certs.push(der);
        }
        Ok(CaRoots {
            digest: digest.finalize().into(),
            certs,
        })
    }

    /// SHA-256 of the certificates (what tells two `ca_file`s apart).
    pub(super) fn digest(&self) -> [u8; 32] {
        self.digest
    }

    pub(super) fn certs(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }
}

/// Longest `timeout` and `open_timeout` accepted, in seconds (Ruby checks the same range, from here).
pub const MAX_TIMEOUT_SECONDS: u32 = 3600;

/// A timeout: a number of seconds above 0 and at most [`MAX_TIMEOUT_SECONDS`].
fn timeout_duration(name: &str, seconds: f64) -> GraphResult<Duration> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= f64::from(MAX_TIMEOUT_SECONDS) {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(GraphError::InvalidArgument(format!(
            "{name} must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS}"
        )))
    }
}

impl GraphSettings {
    pub fn new(
        base_url: &str,
        api_version: &str,
        timeout: f64,
        open_timeout: f64,
    ) -> GraphResult<GraphSettings> {
        let invalid_url =
            || GraphError::InvalidArgument("base_url must be an absolute http(s) URL".to_string());
        let base_url = Url::parse(base_url).map_err(|_| invalid_url())?;
        if !matches!(base_url.scheme(), "http" | "https")
            || base_url.host_str().is_none()
            || base_url.query().is_some()
            || !base_url.username().is_empty()
            || base_url.password().is_some()
        {
            return Err(invalid_url());
        }
        if base_url.scheme() == "http" && !is_loopback(&base_url) {
            return Err(GraphError::InvalidArgument(
                "base_url must be https (plain http only on a loopback host): the access token would travel in cleartext"
                    .to_string(),
            ));
        }
        if !valid_api_version(api_version) {
            return Err(GraphError::InvalidArgument(
                "api_version must look like v24.0".to_string(),
            ));
        }
        Ok(GraphSettings {
            base_url,
            api_version: api_version.to_string(),
            timeout: timeout_duration("timeout", timeout)?,
            open_timeout: timeout_duration("open_timeout", open_timeout)?,
            ca: None,
            proxy: None,
        })
    }

    /// These settings, with every request through the http(s) proxy at `url` (credentials, if
    /// any, in its userinfo). Errors never quote it.
    pub fn with_proxy(mut self, url: &str) -> GraphResult<GraphSettings> {
        let invalid = || {
            GraphError::InvalidArgument(
                "proxy must be an http:// or https:// URL with a host and no path".to_string(),
            )
        };
        let url = Url::parse(url).map_err(|_| invalid())?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || !matches!(url.path(), "" | "/")
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(invalid());
        }
        if self.base_url.scheme() == "http" {
            return Err(GraphError::InvalidArgument(
                "proxy needs an https base_url: over plain http the token would reach the proxy in cleartext"
                    .to_string(),
            ));
        }
        self.proxy = Some(ProxyUrl(url));
        Ok(self)
    }

    /// The proxy URL's password as written and decoded, for redaction. (Not the username:
    /// redaction ignores case, and a short name such as "wa" would eat words of every message.)
    pub fn proxy_password(&self) -> Vec<String> {
        let Some(raw) = self.proxy.as_ref().and_then(|ProxyUrl(url)| url.password()) else {
            return Vec::new();
        };
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        vec![decoded.into_owned(), raw.to_string()]
    }

    /// These settings, also trusting the CA certificates of the PEM file at `path`.
    pub fn with_ca_file(mut self, path: &str) -> GraphResult<GraphSettings> {
        self.ca = Some(Arc::new(CaRoots::load(path)?));
        Ok(self)
    }

    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// These settings, or a copy on `v{major}.0` when the configured version is older. Health
    /// reads need v24.0+ fields (as Chatwoot pins them), whatever version the rest of the app uses.
    pub fn with_version_floor(&self, major: u32) -> GraphSettings {
        let mut floored = self.clone();
        if version_number(&self.api_version) < (major, 0) {
            floored.api_version = format!("v{major}.0");
        }
        floored
    }

    /// The whole-request deadline.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The deadline for a connection (TCP, proxy CONNECT and TLS handshake together).
    pub(super) fn open_timeout(&self) -> Duration {
        self.open_timeout
    }

    /// The `ca_file` certificates, when one is set.
    pub(super) fn ca_roots(&self) -> Option<&CaRoots> {
        self.ca.as_deref()
    }

    pub(super) fn proxy(&self) -> Option<&Url> {
        self.proxy.as_ref().map(|ProxyUrl(url)| url)
    }

    /// The base URL's scheme, host and port.
    pub(super) fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// The URL of `node_id` (and its `edge`) at the configured version.
    pub(super) fn url(&self, node_id: &str, edge: Option<&str>) -> Url {
        let mut url = self.base_url.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .expect("http(s) URLs always have path segments");
            segments
                .pop_if_empty()
                .push(&self.api_version)
                .push(node_id);
            if let Some(edge) = edge {
                segments.push(edge);
            }
        }
        url
    }
}

fn version_number(version: &str) -> (u32, u32) {
    let mut parts = version.trim_start_matches('v').split('.');
    let mut next = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (next(), next())
}

fn valid_api_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next();
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && minor.is_none_or(digits) && parts.next().is_none()
}

/// `id` as a node of a request path: a Graph id (anything else could change the path or query).
pub fn validate_node_id(name: &str, id: &str) -> GraphResult<()> {
    if !is_graph_id(id) {
        return Err(GraphError::InvalidArgument(format!(
            "{name} must be a Graph id made of digits"
        )));
    }
    Ok(())
}

/// Longest access token accepted, in bytes (Ruby's longest text argument, read from here).
pub const MAX_ACCESS_TOKEN_BYTES: usize = 4096;

/// A Bearer token goes into a header: refuse anything that could split or forge one.
pub fn validate_access_token(token: &str) -> GraphResult<()> {
    if token.is_empty()
        || token.len() > MAX_ACCESS_TOKEN_BYTES
        || !token.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(GraphError::InvalidArgument(
            "access_token must be a non-blank token of printable ASCII characters".to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_urls_without_secrets() {
        let settings = GraphSettings::new("http://127.0.0.1:9/", "v24.0", 10.0, 5.0).unwrap();
        assert_eq!(
            settings.url("123", None).as_str(),
            "http://127.0.0.1:9/v24.0/123"
        );
        assert_eq!(
            settings.url("123", Some("register")).as_str(),
            "http://127.0.0.1:9/v24.0/123/register"
        );
        let settings =
            GraphSettings::new("https://proxy.example/graph", "v22.0", 1.0, 1.0).unwrap();
        assert_eq!(
            settings.url("5", None).as_str(),
            "https://proxy.example/graph/v22.0/5"
        );
    }

    #[test]
    fn health_reads_get_a_version_floor() {
        let old = GraphSettings::new("http://localhost", "v22.0", 1.0, 1.0).unwrap();
        assert_eq!(old.with_version_floor(24).api_version(), "v24.0");
        let new = GraphSettings::new("http://localhost", "v25.1", 1.0, 1.0).unwrap();
        assert_eq!(new.with_version_floor(24).api_version(), "v25.1");
        let bare = GraphSettings::new("http://localhost", "v24", 1.0, 1.0).unwrap();
        assert_eq!(bare.with_version_floor(24).api_version(), "v24");
    }

    #[test]
    fn refuses_bad_connection_settings() {
        assert!(GraphSettings::new("ftp://x", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("not a url", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://u:p@x", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://x?a=b", "v24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "24.0", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24.0/../x", 1.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24", 1.0, 1.0).is_ok());
        // The token goes in a header: plain http only where it cannot leave the machine.
        for cleartext in [
            "http://graph.facebook.com",
            "http://10.0.0.1",
            "http://proxy.example/graph",
        ] {
            let error = GraphSettings::new(cleartext, "v24.0", 1.0, 1.0).unwrap_err();
            assert!(error.to_string().contains("https"), "{cleartext}");
        }
        for loopback in [
            "http://127.0.0.1:3000",
            "http://127.1.2.3",
            "http://[::1]:9",
            "http://LOCALHOST",
        ] {
            assert!(
                GraphSettings::new(loopback, "v24.0", 1.0, 1.0).is_ok(),
                "{loopback}"
            );
        }
        assert!(GraphSettings::new("http://localhost", "v24.0", 0.0, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24.0", f64::NAN, 1.0).is_err());
        assert!(GraphSettings::new("http://localhost", "v24.0", 1.0, -1.0).is_err());
    }

    #[test]
    fn proxies_are_http_urls_shown_without_credentials() {
        let https = || GraphSettings::new("https://graph.example", "v24.0", 1.0, 1.0).unwrap();
        let settings = https()
            .with_proxy("http://wa:p%40ss-w0rd@proxy.example:3128")
            .unwrap();
        let shown = format!("{settings:?}");
        assert!(shown.contains("proxy.example:3128"), "{shown}");
        assert!(!shown.contains("w0rd") && !shown.contains("wa:"), "{shown}");
        assert_eq!(settings.proxy_password(), ["p@ss-w0rd", "p%40ss-w0rd"]);
        assert!(https().proxy_password().is_empty());
        for bad in [
            "socks5://proxy.example:1080",
            "proxy.example:3128",
            "http://proxy.example/path",
            "http://proxy.example?x=1",
            "not a url",
        ] {
            let error = https().with_proxy(bad).unwrap_err().to_string();
            assert!(error.starts_with("proxy must be"), "{bad}: {error}");
        }
        let plain = GraphSettings::new("http://127.0.0.1:9", "v24.0", 1.0, 1.0).unwrap();
        let error = plain.with_proxy("http://proxy.example").unwrap_err();
        assert!(error.to_string().contains("https base_url"));
    }

    #[test]
    fn node_ids_are_digits_only() {
        assert!(validate_node_id("phone_number_id", "1234567890").is_ok());
        for bad in [
            "",
            "12/34",
            "1?x=y",
            "..",
            "1 2",
            "1\n2",
            "١٢٣",
            &"9".repeat(33),
        ] {
            let err = validate_node_id("phone_number_id", bad).unwrap_err();
            assert!(err.to_string().contains("phone_number_id"), "{bad:?}");
        }
    }

    #[test]
    fn tokens_cannot_carry_header_breaks() {
        assert!(validate_access_token("EAAG123abc").is_ok());
        for bad in ["", "a b", "a\r\nX-Evil: 1", "tok\u{e9}"] {
            assert!(validate_access_token(bad).is_err(), "{bad:?}");
        }
    }
}
