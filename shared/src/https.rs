//! The HTTPS client both SDK clients share, and the roots it trusts.
//!
//! AWS's endpoints in its commercial partition chain to the roots of Amazon
//! Trust Services. They are taken from Mozilla's set as the `webpki-root-certs`
//! crate compiles it in (so they follow Mozilla's list, not a file kept here),
//! and only they are handed to the SDK's client: trusting the platform's
//! store instead costs a cold start reading and parsing ~150 certificates, 9
//! ms of CPU here and several times that on Lambda's share of a vCPU
//! (docs/PERFORMANCE.md). Elsewhere (China, GovCloud, isolated regions) and
//! when `SSL_CERT_FILE`/`SSL_CERT_DIR` name more, the platform's store is
//! trusted too.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::ConnectorBuilder;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use webpki_root_certs::TLS_SERVER_ROOT_CERTS;

/// How the common names of Amazon Trust Services' roots begin: Amazon Root
/// CA 1 to 4, and Starfield Services Root Certificate Authority - G2.
pub const AMAZON_ROOTS: [&str; 2] = [
    "Amazon Root CA ",
    "Starfield Services Root Certificate Authority",
];

/// Where a root certificate's names are: issuer and subject, the same for a
/// root, come first; looking no further keeps this to microseconds.
const NAMES_WITHIN: usize = 256;

/// Amazon Trust Services' root certificates (DER), from Mozilla's set.
pub fn amazon_roots() -> impl Iterator<Item = &'static [u8]> {
    TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|certificate| certificate.as_ref())
        .filter(|der| {
            let names = &der[..der.len().min(NAMES_WITHIN)];
            AMAZON_ROOTS.iter().any(|name| {
                names
                    .windows(name.len())
                    .any(|window| window == name.as_bytes())
            })
        })
}

/// The SDK's default client (aws-smithy-runtime's `default_https_client`:
/// rustls with aws-lc, proxy settings from `HTTPS_PROXY`/`NO_PROXY`),
/// trusting Amazon's roots, and the platform's too when `trust_system_roots`.
pub fn https_client(trust_system_roots: bool) -> Result<SharedHttpClient, String> {
    let roots = amazon_roots().fold(
        TrustStore::empty().with_native_roots(trust_system_roots),
        |roots, der| roots.with_pem_certificate(pem(der)),
    );
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

/// A DER certificate as the PEM text the SDK's trust store takes.
fn pem(der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in base64.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusts_the_five_amazon_trust_services_roots() {
        // SHA-256 fingerprints as Amazon Trust Services publishes them
        // (https://www.amazontrust.com/repository/): Amazon Root CA 1-4,
        // Starfield Services Root Certificate Authority - G2.
        let mut fingerprints: Vec<String> = amazon_roots()
            .map(|der| {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
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
