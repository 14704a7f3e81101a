//! Picks the roots of Amazon Trust Services out of Mozilla's set (the
//! `webpki-root-certs` crate) at build time, by their pinned fingerprints,
//! and writes them as one PEM file, `$OUT_DIR/amazon-roots.pem`, for
//! `operate/https.rs` to compile in: the functions carry and read at start-up
//! only the roots AWS's endpoints chain to (docs/PERFORMANCE.md).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::{env, fs, path::Path};

/// SHA-256 fingerprints of the roots of Amazon Trust Services, as it
/// publishes them (https://www.amazontrust.com/repository/): Amazon Root CA 1
/// to 4, and Starfield Services Root Certificate Authority - G2.
const AMAZON_ROOTS: [&str; 5] = [
    "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
    "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
    "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
    "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
    "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
];

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn pem(der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let lines: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn main() {
    let roots: String = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|certificate| certificate.as_ref())
        .filter(|der| AMAZON_ROOTS.contains(&fingerprint(der).as_str()))
        .map(pem)
        .collect();
    assert_eq!(
        roots.matches("BEGIN CERTIFICATE").count(),
        AMAZON_ROOTS.len(),
        "webpki-root-certs no longer carries every Amazon Trust Services root: the functions could not reach AWS"
    );
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out).join("amazon-roots.pem"), roots).expect("writing amazon-roots.pem");
    println!("cargo::rerun-if-changed=build.rs");
}
