//! Runtime stage: boot built kernels in QEMU and run guest tests.

/// Guest tests kcross knows how to build and run.
pub fn known_tests() -> Vec<&'static str> {
    vec!["devdax-pud-mprotect", "boot"]
}

pub fn known_test(name: &str) -> bool {
    known_tests().contains(&name)
}
