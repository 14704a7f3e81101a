//! Both function crates run this test (`[[test]] path = "../linked.rs"`): on
//! Linux, the function's binary as cargo builds it is a fixed-address
//! executable, as `link.rs` asks, not a position-independent one, and it does
//! not load libm (`pow.rs`).

#[cfg(target_os = "linux")]
mod linux {
    use object::elf;
    use object::read::elf::{ElfFile64, FileHeader};
    use object::Endianness;

    /// The package's binary, which cargo builds before its integration tests.
    fn binary() -> Vec<u8> {
        let path = env!(concat!("CARGO_BIN_EXE_", env!("CARGO_PKG_NAME")));
        std::fs::read(path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    #[test]
    fn the_binary_is_linked_without_pie() {
        let data = binary();
        let file = ElfFile64::<Endianness>::parse(&*data).expect("an ELF executable");
        // EXEC is a fixed-address executable; a PIE is DYN.
        assert_eq!(file.elf_header().e_type(file.endian()), elf::ET_EXEC);
    }

    #[test]
    fn the_binary_does_not_load_libm() {
        let data = binary();
        let file = ElfFile64::<Endianness>::parse(&*data).expect("an ELF executable");
        let dynamic = file
            .elf_section_table()
            .dynamic_table(file.endian(), &*data)
            .expect("the dynamic section");
        let needed: Vec<String> = dynamic
            .iter()
            .filter(|entry| entry.tag == elf::DT_NEEDED)
            .map(|entry| {
                let name = dynamic.string(entry).expect("a library's name");
                String::from_utf8_lossy(name).into_owned()
            })
            .collect();
        assert!(
            needed.iter().any(|name| name.starts_with("libc.so")),
            "{needed:?}"
        );
        assert!(
            !needed.iter().any(|name| name.starts_with("libm.so")),
            "{needed:?}"
        );
    }
}
