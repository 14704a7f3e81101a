//! Both function crates run this test (`[[test]] path = "../linked.rs"`):
//! on Linux, the function's binary as cargo builds it is a fixed-address
//! executable, as `link.rs` asks, not a position-independent one.

#[cfg(target_os = "linux")]
#[test]
fn the_binary_is_linked_without_pie() {
    use std::io::Read;
    // Cargo puts the package's binary in the profile directory, above the
    // test's own `deps` directory.
    let test = std::env::current_exe().expect("the test's path");
    let binary = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the profile directory")
        .join(env!("CARGO_PKG_NAME"));
    let mut header = [0u8; 18];
    std::fs::File::open(&binary)
        .and_then(|mut file| file.read_exact(&mut header))
        .expect("the function's binary");
    // The ELF header's e_type, little-endian at byte 16: 2 is EXEC (fixed
    // address), 3 is DYN (PIE).
    assert_eq!(
        header[16..18],
        [2, 0],
        "{} is not a fixed-address executable",
        binary.display()
    );
}
