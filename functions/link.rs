//! Build script of both function crates: on Linux their binaries are linked
//! as position-dependent executables (`-no-pie`).
//!
//! A position-independent binary of this size carries ~25,000 relative
//! relocations: at every cold start the loader reads them (~600 KB) and
//! applies them, writing ~380 KB of `.data.rel.ro` into private copies.
//! Linked without PIE there are no relocations to read, and `.data.rel.ro`
//! stays file pages, shared and droppable: peak RSS about 0.6 MiB lower
//! (anonymous memory 0.36 MiB lower) and init CPU about 0.7 ms lower
//! (docs/PERFORMANCE.md, issue 17).
//!
//! The cost: the binary's own image is loaded at a fixed address (the stack,
//! heap and shared libraries are still randomised), as Go builds its Lambda
//! binaries by default. SECURITY.md says why that is an acceptable trade here.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
    println!("cargo::rerun-if-changed=../link.rs");
}
