//! HTTPS for the fake: a test CA and a server certificate, both generated when the server starts,
//! and a rustls acceptor offering h2 and http/1.1 by ALPN (or only the protocols asked for).

use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Which server certificate the fake presents (all issued by the same test CA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertKind {
    /// For 127.0.0.1, ::1 and localhost, valid now.
    Valid,
    /// For the right hosts, but it expired in 2021.
    Expired,
    /// Valid now, but only for wrong-host.invalid.
    WrongHost,
}

impl CertKind {
    /// `valid`, `expired` or `wrong_host`.
    pub fn parse(name: &str) -> Option<CertKind> {
        match name {
            "valid" => Some(CertKind::Valid),
            "expired" => Some(CertKind::Expired),
            "wrong_host" => Some(CertKind::WrongHost),
            _ => None,
        }
    }
}

/// How the fake serves HTTPS: which certificate, and which protocols it offers by ALPN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    pub cert: CertKind,
    /// ALPN protocol ids in order of preference: `h2` and/or `http/1.1`.
    pub alpn: Vec<String>,
}

/// The protocols the fake can speak over TLS.
const PROTOCOLS: [&str; 2] = ["h2", "http/1.1"];

impl TlsOptions {
    /// A certificate of `cert`'s kind, offering h2 and http/1.1 (h2 preferred), as Graph API does.
    pub fn new(cert: CertKind) -> TlsOptions {
        TlsOptions {
            cert,
            alpn: PROTOCOLS.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// Offers only `alpn` (e.g. `["http/1.1"]`, so that every client speaks HTTP/1.1): a non-empty
    /// list of `h2` and `http/1.1`, each at most once.
    pub fn with_alpn(mut self, alpn: Vec<String>) -> Result<TlsOptions, String> {
        if alpn.is_empty() {
            return Err("alpn must offer at least one of h2 and http/1.1".to_owned());
        }
        for (i, protocol) in alpn.iter().enumerate() {
            if !PROTOCOLS.contains(&protocol.as_str()) {
                return Err(format!("alpn: {protocol:?} is not one of h2 and http/1.1"));
            }
            if alpn[..i].contains(protocol) {
                return Err(format!("alpn: {protocol:?} is given twice"));
            }
        }
        self.alpn = alpn;
        Ok(self)
    }
}

/// What a TLS server needs: the acceptor, and the CA's certificate (PEM) for clients to trust.
pub(crate) struct TlsIdentity {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
}

fn tls_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("cannot set up the fake's TLS: {e}"))
}

pub(crate) fn identity(options: &TlsOptions) -> std::io::Result<TlsIdentity> {
    let kind = options.cert;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wa_health FakeGraph test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(tls_error)?)
        .map_err(tls_error)?;

    let names = match kind {
        CertKind::WrongHost => vec!["wrong-host.invalid".to_owned()],
        CertKind::Valid | CertKind::Expired => {
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
        }
    };
    let mut params = CertificateParams::new(names).map_err(tls_error)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "wa_health FakeGraph");
    if kind == CertKind::Expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().map_err(tls_error)?;
    let cert = params.signed_by(&key, &ca).map_err(tls_error)?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(tls_error)?;
    config.alpn_protocols = options.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(TlsIdentity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca.pem(),
    })
}
