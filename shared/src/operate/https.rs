//! The HTTPS client both SDK clients share, and the roots it trusts.
//!
//! AWS's endpoints in its commercial partition chain to the roots of Amazon
//! Trust Services. `build.rs` picks them, by their pinned fingerprints, out of
//! Mozilla's set as the `webpki-root-certs` crate has it (so they follow
//! Mozilla's list, not a file kept here), and only they are compiled in and
//! handed to the SDK's client: the others are neither carried nor read at
//! start-up, where trusting the platform's store would read and parse every
//! certificate it holds at each cold start (docs/PERFORMANCE.md has the cost).
//! Elsewhere (China, GovCloud, isolated regions) and when
//! `SSL_CERT_FILE`/`SSL_CERT_DIR` name more, the platform's store is trusted
//! too.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::ConnectorBuilder;

/// Amazon Trust Services' root certificates (PEM), picked out of Mozilla's
/// set by `build.rs` when the crate is built.
pub const AMAZON_ROOTS_PEM: &str = include_str!(concat!(env!("OUT_DIR"), "/amazon-roots.pem"));

/// The SDK's default client (aws-smithy-runtime's `default_https_client`:
/// rustls with aws-lc, proxy settings from `HTTPS_PROXY`/`NO_PROXY`),
/// trusting Amazon's roots, and the platform's too when `trust_system_roots`.
pub fn https_client(trust_system_roots: bool) -> Result<SharedHttpClient, String> {
    let roots = TrustStore::empty()
        .with_native_roots(trust_system_roots)
        .with_pem_certificate(AMAZON_ROOTS_PEM);
    let tls = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .map_err(|error| error.to_string())?;
    Ok(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                let mut connector = ConnectorBuilder::default()
                    .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                    .tls_context(tls.clone());
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    /// `build.rs` selects the roots by their pinned fingerprints and stops
    /// the build unless it finds all five.
    #[test]
    fn trusts_the_five_amazon_trust_services_roots() {
        let roots: Vec<CertificateDer> =
            CertificateDer::pem_slice_iter(AMAZON_ROOTS_PEM.as_bytes())
                .map(|der| der.expect("a PEM certificate"))
                .collect();
        assert_eq!(roots.len(), 5);
        assert!(https_client(false).is_ok());
    }
}
