//! HTTPS served by MedVault itself, from a certificate chain and its key in PEM files
//! (`MEDVAULT_TLS_CERT`, `MEDVAULT_TLS_KEY`): TLS 1.2 and 1.3 through rustls, HTTP/1.1 inside.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// What accepts TLS connections, from the configured files; a file that cannot be read, or
/// a key that does not match the certificate, is refused at start with the file's name.
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| {
            format!(
                "MEDVAULT_TLS_CERT: cannot read a certificate from {}",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        anyhow::bail!("MEDVAULT_TLS_CERT: {} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
        format!(
            "MEDVAULT_TLS_KEY: cannot read a private key from {}",
            key.display()
        )
    })?;
    let config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS: no protocol version to offer")?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .context("MEDVAULT_TLS_KEY does not match MEDVAULT_TLS_CERT")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
