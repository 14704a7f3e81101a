//! Build script of both function crates: on Linux their binaries are linked
//! as position-dependent executables (`-no-pie`).
//!
//! A position-independent binary of this size carries ~25,000 relative
//! relocations: at every cold start the loader reads them (~600 KB) and
//! applies them, which copies ~380 KB of `.data.rel.ro` into private memory.
//! Linked without PIE, none of that is read or copied: peak RSS about
//! 0.7 MiB lower and init CPU about 0.7 ms lower (docs/PERFORMANCE.md,
//! issue 17). The cost is that the binary's own code is loaded at a fixed
//! address (the stack, heap and shared libraries are still randomised), as
//! Go builds its Lambda binaries by default; SECURITY.md says why that is an
//! acceptable trade here.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
    println!("cargo::rerun-if-changed=../link.rs");
}
