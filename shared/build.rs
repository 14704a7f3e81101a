//! Picks the roots of Amazon Trust Services out of Mozilla's set (the
//! `webpki-root-certs` crate) at build time and writes them as one PEM file,
//! `$OUT_DIR/amazon-roots.pem`, for `https.rs` to compile in. The functions
//! then carry five certificates instead of ~150 and do not read the other
//! 145 at every cold start (docs/PERFORMANCE.md, issue 17).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::{env, fs, path::Path};

/// How the common names of Amazon Trust Services' roots begin: Amazon Root
/// CA 1 to 4, and Starfield Services Root Certificate Authority - G2.
const AMAZON_ROOTS: [&str; 2] = [
    "Amazon Root CA ",
    "Starfield Services Root Certificate Authority",
];

/// Where a root certificate's names are: issuer and subject, the same for a
/// root, come first.
const NAMES_WITHIN: usize = 256;

fn is_amazon_root(der: &[u8]) -> bool {
    let names = &der[..der.len().min(NAMES_WITHIN)];
    AMAZON_ROOTS.iter().any(|name| {
        names
            .windows(name.len())
            .any(|window| window == name.as_bytes())
    })
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
        .filter(|der| is_amazon_root(der))
        .map(pem)
        .collect();
    assert!(
        !roots.is_empty(),
        "no Amazon Trust Services root in webpki-root-certs: the functions could not reach AWS"
    );
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out).join("amazon-roots.pem"), roots).expect("writing amazon-roots.pem");
    println!("cargo::rerun-if-changed=build.rs");
}
