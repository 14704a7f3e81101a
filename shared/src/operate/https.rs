//! The HTTPS client both SDK clients share, and the roots it trusts.
//!
//! AWS's endpoints in its commercial partition chain to the roots of Amazon
//! Trust Services. `build.rs` picks them out of Mozilla's set as the
//! `webpki-root-certs` crate has it (so they follow Mozilla's list, not a file
//! kept here), and only they are compiled in and handed to the SDK's client:
//! the other ~145 are neither carried nor read at start-up. Trusting the
//! platform's store instead costs a cold start reading and parsing ~150
//! certificates, 9 ms of CPU here and several times that on Lambda's share of
//! a vCPU (docs/PERFORMANCE.md). Elsewhere (China, GovCloud, isolated
//! regions) and when `SSL_CERT_FILE`/`SSL_CERT_DIR` name more, the platform's
//! store is trusted too.

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

    #[test]
    fn trusts_the_five_amazon_trust_services_roots() {
        // SHA-256 fingerprints as Amazon Trust Services publishes them
        // (https://www.amazontrust.com/repository/): Amazon Root CA 1-4,
        // Starfield Services Root Certificate Authority - G2.
        let mut fingerprints: Vec<String> =
            CertificateDer::pem_slice_iter(AMAZON_ROOTS_PEM.as_bytes())
                .map(|der| {
                    let der = der.expect("a PEM certificate");
                    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
                    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
                })
                .collect();
        fingerprints.sort();
        assert_eq!(
            fingerprints,
            [
                "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
                "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
                "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
                "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
                "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
            ]
        );
        assert!(https_client(false).is_ok());
    }
}
