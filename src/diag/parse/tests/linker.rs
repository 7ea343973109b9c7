use super::*;

#[test]
fn gnu_ld_x86_64_undefined_and_multiple_definition() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/ld-x86_64.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
            E::new(
                "ld-error",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_b.o"),
                None,
                None,
                "multiple definition of 'shared_counter'",
            )
            .notes(&["mm/link_a.o:(.data+0x0): first defined here"]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_a.c"),
                None,
                None,
                "undefined reference to 'pud_bogus_helper'",
            )
            .func("walk_pud_range")
            .notes(&[
                "mm/link_a.o: in function `walk_pud_range':",
                "link_a.c:(.text+0x5)",
            ]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_a.c"),
                None,
                None,
                "undefined reference to 'pud_bogus_helper'",
            )
            .func("_start")
            .notes(&[
                "mm/link_a.o: in function `_start':",
                "link_a.c:(.text+0x23)",
            ]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_b.c"),
                None,
                None,
                "undefined reference to 'flush_tlb_bogus'",
            )
            .func("mprotect_fixup_range")
            .notes(&[
                "mm/link_b.o: in function `mprotect_fixup_range':",
                "link_b.c:(.text+0x1)",
            ]),
        ],
    );
}

#[test]
fn gnu_ld_ppc64le_with_debug_info() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/ld-ppc64le.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
            E::new(
                "ld-error",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_b.c"),
                Some(2),
                None,
                "multiple definition of 'shared_counter'",
            )
            .notes(&["mm/link_a.o:mm/link_a.c:2: first defined here"]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_a.c"),
                Some(6),
                None,
                "undefined reference to 'pud_bogus_helper'",
            )
            .func("walk_pud_range")
            .notes(&[
                "mm/link_a.o: in function `walk_pud_range':",
                "mm/link_a.c:6",
            ]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_b.c"),
                Some(6),
                None,
                "undefined reference to 'flush_tlb_bogus'",
            )
            .func("mprotect_fixup_range")
            .notes(&[
                "mm/link_b.o: in function `mprotect_fixup_range':",
                "mm/link_b.c:6",
            ]),
        ],
    );
}

#[test]
fn ld_lld_undefined_and_duplicate_symbol() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/lld14.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
            E::new(
                "ld-error",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_a.c"),
                Some(2),
                None,
                "duplicate symbol: shared_counter",
            )
            .notes(&[
                ">>> defined at link_a.c:2 (mm/link_a.c:2)",
                ">>>            mm/link_a.o:(shared_counter)",
                ">>> defined at link_b.c:2 (mm/link_b.c:2)",
                ">>>            mm/link_b.o:(.data+0x0)",
            ]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_a.c"),
                Some(6),
                None,
                "undefined reference to 'pud_bogus_helper'",
            )
            .func("walk_pud_range")
            .notes(&[
                ">>> referenced by link_a.c:6 (mm/link_a.c:6)",
                ">>>               mm/link_a.o:(walk_pud_range)",
                ">>> referenced by link_a.c:6 (mm/link_a.c:6)",
                ">>>               mm/link_a.o:(_start)",
            ]),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("mm/link_b.c"),
                None,
                None,
                "undefined reference to 'flush_tlb_bogus'",
            )
            .func("mprotect_fixup_range")
            .notes(&[
                ">>> referenced by link_b.c",
                ">>>               mm/link_b.o:(mprotect_fixup_range)",
            ]),
        ],
    );
}

#[test]
fn gnu_ld_warning_and_undefined_from_assembly() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/ld-x86_64-asm.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
            E::new(
                "ld-warning",
                Severity::Warning,
                Tool::Linker,
                None,
                None,
                None,
                "vmlinux.tmp has a LOAD segment with RWX permissions",
            ),
            E::new(
                "ld-undefined",
                Severity::Error,
                Tool::Linker,
                Some("arch/x86/lib/entry.o"),
                None,
                None,
                "undefined reference to 'missing_entry_helper'",
            )
            .func("_start")
            .notes(&["arch/x86/lib/entry.o: in function `_start':", "(.text+0x1)"]),
        ],
    );
}
