//! `pow`, defined in each function binary (`#[path = "../../pow.rs"] mod pow;`
//! in its `main.rs`), so that the process does not load glibc's `libm.so`.
//!
//! `pow` was the one libm symbol these binaries imported, for code that does
//! not run here (the SDK's adaptive-retry rate limiter, tokio's multi-thread
//! scheduler), and loading libm for it cost every cold start about 0.4 MiB of
//! peak RSS (docs/PERFORMANCE.md, "Memory"). With `pow` defined here, the
//! linker resolves the calls to it and, linking `--as-needed`, drops libm.
//! The executable exports the symbol, so a library loaded later that calls
//! `pow` gets this one too: the same results, but `errno` is not set.
//! The implementation is the `libm` crate's, a port of musl's.

#[unsafe(no_mangle)]
pub extern "C" fn pow(base: f64, exponent: f64) -> f64 {
    libm::pow(base, exponent)
}

#[cfg(test)]
mod tests {
    use super::pow;

    #[test]
    fn powers_that_are_exact_in_binary_come_out_exact() {
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(pow(2.0, -3.0), 0.125);
        assert_eq!(pow(1.5, 2.0), 2.25);
        assert_eq!(pow(16.0, 0.5), 4.0);
        assert_eq!(pow(7.3, 0.0), 1.0);
    }

    #[test]
    fn what_has_no_real_power_is_nan() {
        assert!(pow(-8.0, 0.5).is_nan());
        assert!(pow(f64::NAN, 2.0).is_nan());
    }
}
