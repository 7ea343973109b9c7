//! The catalogue of guest tests kcross can build and run (the names guest/init.c dispatches
//! on). A leaf: the matrix validates `[runtime] tests` against it, the runtime stage runs them.

/// A guest test kcross knows how to build and run.
#[derive(Debug, Clone, Copy)]
pub struct GuestTest {
    pub name: &'static str,
    pub description: &'static str,
    /// Boots with the arch's nvdimm attached (a fresh sparse backing file).
    pub needs_nvdimm: bool,
    /// Judged by the kernel's own KUnit KTAP on the console (before init), into suites and
    /// cases; booted with [`KUNIT_KERNEL_ARGS`].
    pub kunit: bool,
    /// Kconfig symbols the cell's .config must have (`=y`) for the test to mean anything, and
    /// why: without one the test is not applicable there (verdict `not-applicable`, naming
    /// the symbol), and the kernel is not booted for it.
    pub requires: &'static [(&'static str, &'static str)],
}

/// Kernel arguments of a KUnit boot: run the built-in suites at boot.
pub const KUNIT_KERNEL_ARGS: &[&str] = &["kunit.enable=1"];

/// Every guest test (the names guest/init.c dispatches on).
pub const TESTS: &[GuestTest] = &[
    GuestTest {
        name: "devdax-pud-mprotect",
        description: "device-dax with 1 GiB alignment on an nvdimm, PUD-mapped (3 faults for 3 GiB), then mprotect() of 1 GiB ranges: the PUDs are kept (no fault to use them again), a write to the PROT_READ GiB and a read of the PROT_NONE GiB get SIGSEGV, the data stays, no \"bad pud\"",
        needs_nvdimm: true,
        kunit: false,
        requires: &[(
            "HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD",
            "no PUD-level THP, so device-dax is never mapped with 1 GiB PUDs (in 6.12: x86_64 and book3s64 powerpc with the radix MMU)",
        )],
    },
    GuestTest {
        name: "boot",
        description: "the kernel boots into kcross's init, with /proc and /sys",
        needs_nvdimm: false,
        kunit: false,
        requires: &[],
    },
    GuestTest {
        name: "selftest-fail",
        description: "always fails (checks that a failing guest test is reported as failed)",
        needs_nvdimm: false,
        kunit: false,
        requires: &[],
    },
    GuestTest {
        name: "selftest-hang",
        description: "never ends (checks that a guest that hangs is ended at the boot timeout and reported as a timeout)",
        needs_nvdimm: false,
        kunit: false,
        requires: &[],
    },
    GuestTest {
        name: "kunit",
        description: "the kernel's built-in KUnit suites (the matrix's `[runtime] kunit` symbols), run at boot: their KTAP from the console, per suite and case (the guest only checks the kernel has KUnit)",
        needs_nvdimm: false,
        kunit: true,
        requires: &[],
    },
];

/// Guest tests kcross knows how to build and run.
pub fn known_tests() -> Vec<&'static str> {
    TESTS.iter().map(|t| t.name).collect()
}

pub fn known_test(name: &str) -> bool {
    known_tests().contains(&name)
}

pub fn guest_test(name: &str) -> Option<&'static GuestTest> {
    TESTS.iter().find(|t| t.name == name)
}
