//! devdax-pud-mprotect on powerpc64le linux-source-6.1. Not in the default test set
//! (`test = false` in Cargo.toml): its cold kernel build takes ~20 minutes. Run it with
//! `cargo test --test runtime_ppc64le_6_1` (or `cargo nextest run --test runtime_ppc64le_6_1`).

mod common;

use common::boot::*;

/// What 6.1 does on powerpc64le, measured: book3s64 gained PUD-level THP
/// (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD) only after 6.1, so the nvdimm region offers no 1 GiB
/// device-dax alignment. There is no PUD to mprotect(): the test is skipped, saying so, and
/// the kernel has no complaint. (kcross still wrote the info block, with the page size of
/// this .config, which has no CONFIG_PAGE_SHIFT yet.)
#[test]
fn powerpc64le_on_6_1_skips_devdax_pud_mprotect_there_is_no_1_gib_alignment() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-powerpc64le-6.1");
    let (code, v, err) = boot(&out, &["--arch", "ppc64le", "--source", "linux-source-6.1"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "skipped", "{r:#}\n{err}");
    assert_eq!(code, 0, "a skip does not fail the run");
    assert_eq!(
        findings(r),
        ["pud: no 1 GiB device-dax alignment (dax0.0 supports 4096 2097152)"],
        "{r:#}"
    );
    assert_eq!(
        r["reason"],
        "SKIP this kernel offers no 1 GiB device-dax alignment (dax0.0 supports 4096 \
         2097152): no PUD mappings to mprotect()"
    );
    assert!(strings(&r["complaints"]).is_empty(), "{r:#}");
    let w = r["workarounds"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{r:#}");
    assert!(
        w[0]["what"]
            .as_str()
            .unwrap()
            .contains("(1 GiB alignment, 4 KiB pages: CONFIG_PPC_4K_PAGES=y)"),
        "{w:#?}"
    );
    assert_no_qemu_left(r);
}
