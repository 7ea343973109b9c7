//! The helper check on every arch (the default matrix's `[check] arches = "all"`): the truth
//! of linux-source-6.12 for the five helpers of "mm/mprotect: Fix dax puds" on every arch of
//! the registry that can be built here, and linux-source-6.1 (which has none of them) on a
//! few arches as the counter-case. The 6.1 check of every arch is in tests/full.rs.

mod common;

use common::{kcross, out_dir, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use common::PUD_HELPERS as HELPERS;

/// Every arch of the registry but loongarch64 (bookworm cannot build it).
const EVERY_ARCH: [&str; 19] = [
    "alpha",
    "arc",
    "arm",
    "arm64",
    "hexagon",
    "i386",
    "m68k",
    "mips64el",
    "mipsel",
    "parisc",
    "powerpc32",
    "powerpc64",
    "powerpc64le",
    "riscv64",
    "s390x",
    "sh4",
    "sparc64",
    "um",
    "x86_64",
];

/// (arch, helper) -> result; every cell configured and prepared.
fn verdicts(v: &Value) -> BTreeMap<(String, String), Value> {
    let mut m = BTreeMap::new();
    for c in v["cells"].as_array().unwrap() {
        assert!(
            c["setup_failure"].is_null(),
            "{}: {}",
            c["cell"],
            c["setup_failure"]
        );
        for h in c["helpers"].as_array().unwrap() {
            let key = (
                c["arch"].as_str().unwrap().to_string(),
                h["helper"].as_str().unwrap().to_string(),
            );
            assert!(m.insert(key, h.clone()).is_none(), "one cell per arch");
        }
    }
    m
}

fn summary(r: &Value) -> &str {
    r["summary"].as_str().unwrap()
}

#[test]
fn linux_6_12_every_arch_truth_for_the_pud_helpers() {
    let out = out_dir("check-every-arch-612");
    let (code, stdout, stderr) = run(kcross().args(["check", "--json", "--out"]).arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let m = verdicts(&v);
    let arches: BTreeSet<&str> = m.keys().map(|(a, _)| a.as_str()).collect();
    assert_eq!(arches, EVERY_ARCH.into_iter().collect(), "every arch, once");
    assert_eq!(m.len(), EVERY_ARCH.len() * HELPERS.len());
    let get = |a: &str, h: &str| {
        m.get(&(a.to_string(), h.to_string()))
            .unwrap_or_else(|| panic!("{a} {h}"))
    };

    // x86_64 has PUD-level THP: all five provided.
    for h in HELPERS {
        assert_eq!(
            get("x86_64", h)["verdict"],
            "provided",
            "{}",
            get("x86_64", h)
        );
    }
    // Both book3s64 arches (big- and little-endian, radix MMU) provide the generic helpers in
    // their own C file, and the generic change_huge_pud() in mm/huge_memory.c...
    for a in ["powerpc64", "powerpc64le"] {
        for h in ["pudp_invalidate", "pud_modify"] {
            let r = get(a, h);
            assert_eq!(r["verdict"], "provided", "{a}: {r}");
            assert_eq!(r["provider"], "arch", "{a}: {r}");
            assert!(
                summary(r).contains("arch/powerpc/mm/book3s64/pgtable.c:"),
                "{a}: {r}"
            );
        }
        let r = get(a, "change_huge_pud");
        assert_eq!(r["verdict"], "provided", "{a}: {r}");
        assert!(summary(r).contains("mm/huge_memory.c:"), "{a}: {r}");
        // ...and x86's own two helpers are x86's: not required, nothing here uses them.
        for h in ["pud_mkinvalid", "pudp_establish"] {
            let r = get(a, h);
            assert_eq!(r["verdict"], "not-required", "{a}: {r}");
            assert!(summary(r).contains("defined only in arch/x86"), "{a}: {r}");
        }
    }
    // Every arch without PUD-level THP: the generic users of pudp_invalidate() and
    // pud_modify() are compiled out, and the verdict names the Kconfig symbol; change_huge_pud()
    // is the generic stub of include/linux/huge_mm.h, which mm/mprotect.c calls everywhere.
    let thp_pud = ["x86_64", "powerpc64", "powerpc64le"];
    for a in EVERY_ARCH.iter().filter(|a| !thp_pud.contains(a)) {
        for h in [
            "pudp_invalidate",
            "pud_modify",
            "pud_mkinvalid",
            "pudp_establish",
        ] {
            let r = get(a, h);
            if *a == "i386" && matches!(h, "pud_modify" | "pud_mkinvalid") {
                // x86's header defines these two for 32-bit x86 too, without a condition
                // (arch/x86/include/asm/pgtable.h): provided, as the compiler sees them.
                assert_eq!(r["verdict"], "provided", "{a}: {r}");
                assert_eq!(r["kind"], "static inline", "{a}: {r}");
                assert!(
                    summary(r).contains("arch/x86/include/asm/pgtable.h:"),
                    "{a}: {r}"
                );
                continue;
            }
            assert_eq!(r["verdict"], "not-required", "{a} {h}: {r}");
            if matches!(h, "pudp_invalidate" | "pud_modify") && *a != "i386" {
                assert!(
                    summary(r).contains("CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD"),
                    "{a} {h}: {r}"
                );
            }
        }
        let r = get(a, "change_huge_pud");
        assert_eq!(r["verdict"], "provided", "{a}: {r}");
        assert!(summary(r).contains("include/linux/huge_mm.h:"), "{a}: {r}");
    }
    assert_eq!(v["provided_nowhere"].as_array().unwrap().len(), 0);
}

#[test]
fn linux_6_1_has_the_helpers_on_no_arch() {
    // The counter-case: the same check on 6.1, where the series is not, on the arches that
    // provide the helpers on 6.12 and two that do not.
    let out = out_dir("check-every-arch-61");
    let mut args = vec!["check", "--source", "linux-source-6.1", "--json"];
    for a in ["x86_64", "powerpc64", "powerpc64le", "s390x", "arm"] {
        args.extend(["--arch", a]);
    }
    let (code, stdout, stderr) = run(kcross().args(&args).arg("--out").arg(&out));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["source"]["version"].as_str().unwrap().starts_with("6.1."));
    let m = verdicts(&v);
    assert_eq!(m.len(), 5 * HELPERS.len());
    for ((a, h), r) in &m {
        assert_ne!(r["verdict"], "provided", "{a} {h}: {r}");
    }
    assert_eq!(common::provided_nowhere(&v), HELPERS);
    assert!(stderr.contains("provided on no cell at all"), "{stderr}");
}
