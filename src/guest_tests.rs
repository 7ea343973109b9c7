//! The catalogue of guest tests kcross can build and run (the names guest/init.c dispatches
//! on). A leaf: the matrix validates `[runtime] tests` against it, the runtime stage runs them.

/// A guest test kcross knows how to build and run.
#[derive(Debug, Clone, Copy)]
pub struct GuestTest {
    pub name: &'static str,
    pub description: &'static str,
    /// Boots with the arch's nvdimm attached (a fresh sparse backing file).
    pub needs_nvdimm: bool,
}

/// Every guest test (the names guest/init.c dispatches on).
pub const TESTS: &[GuestTest] = &[
    GuestTest {
        name: "devdax-pud-mprotect",
        description: "device-dax with 1 GiB alignment on an nvdimm, PUD-mapped (3 faults for 3 GiB), then mprotect() of 1 GiB ranges: the PUDs are kept (no fault to use them again), a write to the PROT_READ GiB and a read of the PROT_NONE GiB get SIGSEGV, the data stays, no \"bad pud\"",
        needs_nvdimm: true,
    },
    GuestTest {
        name: "boot",
        description: "the kernel boots into kcross's init, with /proc and /sys",
        needs_nvdimm: false,
    },
    GuestTest {
        name: "selftest-fail",
        description: "always fails (checks that a failing guest test is reported as failed)",
        needs_nvdimm: false,
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
