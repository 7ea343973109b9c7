//! The every-arch matrix as planned (here, not in matrix/, so that matrix never uses plan).

use std::path::Path;

/// matrices/every-arch.toml: every buildable arch once, at least 15 kernel ARCHes, gcc where
/// there is gcc and clang where the arch file says clang builds it.
#[test]
fn every_arch_matrix_covers_every_buildable_arch() {
    let reg = crate::toolchain::Registry::load(&[]).unwrap();
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices/every-arch.toml");
    let m = crate::matrix::load(Some(&p), &reg).unwrap();
    let plan = crate::plan::expand(&m, &reg, &Default::default()).unwrap();
    let mut kernel_arches: Vec<&str> = plan.cells.iter().map(|c| c.kernel_arch.as_str()).collect();
    kernel_arches.sort();
    kernel_arches.dedup();
    assert!(kernel_arches.len() >= 15, "{kernel_arches:?}");
    for a in reg.arches.values() {
        let families: Vec<&str> = plan
            .cells
            .iter()
            .filter(|c| c.arch == a.name)
            .map(|c| c.toolchain.family.as_str())
            .collect();
        let want: Vec<&str> = ["gcc", "clang"]
            .into_iter()
            .filter(|f| a.compilers.contains_key(*f))
            .collect();
        assert_eq!(families, want, "{}", a.name);
    }
    // The arch's own fragment comes first; 32-bit arches never get CONFIG_64BIT=y.
    let ppc64 = plan.cells.iter().find(|c| c.arch == "powerpc64").unwrap();
    assert_eq!(
        ppc64.config.fragments[0].path,
        "toolchains/arch/powerpc64.config"
    );
    for c in plan
        .cells
        .iter()
        .filter(|c| ["i386", "arm", "powerpc32"].contains(&c.arch.as_str()))
    {
        for f in &c.config.fragments {
            assert!(
                !f.requests
                    .iter()
                    .any(|r| r.symbol == "64BIT" && r.value == "y"),
                "{}: {}",
                c.id,
                f.path
            );
        }
    }
}
