//! The helper check on real trees: the truth of linux-source-6.12 for the five helpers of
//! "mm/mprotect: Fix dax puds", linux-source-6.1 (the series is not there), and a copy of
//! 6.12 where generic mm code calls an x86-only helper.

mod common;

use common::{kcross, out_dir, run};
use serde_json::Value;
use std::collections::BTreeMap;

/// (cell, helper) -> (verdict, result)
fn verdicts(v: &Value) -> BTreeMap<(String, String), Value> {
    let mut m = BTreeMap::new();
    for c in v["cells"].as_array().unwrap() {
        assert!(c["setup_failure"].is_null(), "{}", c["setup_failure"]);
        for h in c["helpers"].as_array().unwrap() {
            m.insert(
                (
                    c["arch"].as_str().unwrap().to_string(),
                    h["helper"].as_str().unwrap().to_string(),
                ),
                h.clone(),
            );
        }
    }
    m
}

fn get<'a>(m: &'a BTreeMap<(String, String), Value>, arch: &str, helper: &str) -> &'a Value {
    m.get(&(arch.to_string(), helper.to_string()))
        .unwrap_or_else(|| panic!("{arch} {helper}"))
}

#[test]
fn linux_6_12_truth_for_the_pud_helpers() {
    // The default matrix's four built arches (its check covers every arch:
    // tests/check_every_arch.rs).
    let four = [
        "--arch",
        "x86_64",
        "--arch",
        "powerpc64le",
        "--arch",
        "arm64",
        "--arch",
        "riscv64",
    ];
    let out = out_dir("check-612");
    let (code, stdout, stderr) = run(kcross()
        .arg("check")
        .args(four)
        .args(["--json", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let m = verdicts(&v);
    // x86_64 provides all five: pudp_invalidate out of line in arch/x86/mm/pgtable.c.
    let x = get(&m, "x86_64", "pudp_invalidate");
    assert_eq!(x["verdict"], "provided");
    assert_eq!(x["provider"], "arch");
    assert!(
        x["summary"]
            .as_str()
            .unwrap()
            .contains("arch/x86/mm/pgtable.c:"),
        "{x}"
    );
    for h in ["pud_modify", "pud_mkinvalid", "pudp_establish"] {
        let r = get(&m, "x86_64", h);
        assert_eq!(r["verdict"], "provided", "{r}");
        assert_eq!(r["kind"], "static inline", "{r}");
        assert!(
            r["summary"]
                .as_str()
                .unwrap()
                .contains("arch/x86/include/asm/pgtable.h:"),
            "{r}"
        );
    }
    // powerpc64le (book3s64) provides pudp_invalidate and pud_modify in its own C file...
    for h in ["pudp_invalidate", "pud_modify"] {
        let r = get(&m, "powerpc64le", h);
        assert_eq!(r["verdict"], "provided", "{r}");
        assert!(
            r["summary"]
                .as_str()
                .unwrap()
                .contains("arch/powerpc/mm/book3s64/pgtable.c:"),
            "{r}"
        );
    }
    // ...and x86's internal helpers are not required there, not failures.
    for h in ["pud_mkinvalid", "pudp_establish"] {
        let r = get(&m, "powerpc64le", h);
        assert_eq!(r["verdict"], "not-required", "{r}");
        assert!(r["summary"].as_str().unwrap().contains("arch/x86"), "{r}");
    }
    // The generic change_huge_pud() (mm/huge_memory.c) on the two arches with PUD THP.
    for a in ["x86_64", "powerpc64le"] {
        let r = get(&m, a, "change_huge_pud");
        assert_eq!(r["verdict"], "provided");
        assert_eq!(r["provider"], "generic");
        assert!(
            r["summary"].as_str().unwrap().contains("mm/huge_memory.c:"),
            "{r}"
        );
    }
    // arm64 and riscv64: no PUD-level THP; the stub, and the gating symbol named.
    for a in ["arm64", "riscv64"] {
        let r = get(&m, a, "change_huge_pud");
        assert_eq!(r["verdict"], "provided");
        assert!(
            r["summary"]
                .as_str()
                .unwrap()
                .contains("include/linux/huge_mm.h:"),
            "{r}"
        );
        for h in ["pudp_invalidate", "pud_modify"] {
            let r = get(&m, a, h);
            assert_eq!(r["verdict"], "not-required", "{r}");
            assert!(
                r["summary"]
                    .as_str()
                    .unwrap()
                    .contains("CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD"),
                "{r}"
            );
        }
        for h in ["pud_mkinvalid", "pudp_establish"] {
            assert_eq!(get(&m, a, h)["verdict"], "not-required");
        }
    }
    assert_eq!(v["provided_nowhere"].as_array().unwrap().len(), 0);

    // A second check on the same tree and config does no configure or prepare work.
    let (code, stdout, stderr) = run(kcross()
        .arg("check")
        .args(four)
        .args(["--json", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let again: Value = serde_json::from_str(&stdout).unwrap();
    for c in again["cells"].as_array().unwrap() {
        assert_eq!(c["configure_reused"], true, "{}", c["cell"]);
        assert_eq!(c["prepare_reused"], true, "{}", c["cell"]);
    }
    assert_eq!(verdicts(&again), m);
}

#[test]
fn linux_6_1_has_none_of_the_helpers_and_says_so() {
    let out = out_dir("check-61");
    let (code, stdout, stderr) = run(kcross()
        .args([
            "check",
            "--source",
            "linux-source-6.1",
            "--arch",
            "x86_64",
            "--arch",
            "ppc64le",
            "--json",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["source"]["version"].as_str().unwrap().starts_with("6.1."));
    assert_eq!(common::provided_nowhere(&v), common::PUD_HELPERS);
    assert!(stderr.contains("provided on no cell at all"), "{stderr}");
}

#[test]
fn generic_code_calling_an_x86_only_helper_is_missing_elsewhere() {
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    // Generic mm code (always built) starts calling x86's pud_mkinvalid(); the file is
    // replaced, not written through the hard link.
    let rel = "mm/mprotect.c";
    let orig = std::fs::read_to_string(tree.join(rel)).unwrap();
    let added = "\npud_t kcross_generic_user(pud_t pud);\npud_t kcross_generic_user(pud_t pud)\n{\n\treturn pud_mkinvalid(pud);\n}\n";
    let call_line = orig.lines().count() + 5;
    common::replace_file(&copy, rel, format!("{orig}{added}"));

    let out = out_dir("check-injected");
    let (code, stdout, stderr) = run(kcross()
        .args(["check", "--helper", "pud_mkinvalid", "--json"])
        .args([
            "--arch",
            "x86_64",
            "--arch",
            "powerpc64le",
            "--arch",
            "arm64",
            "--arch",
            "riscv64",
            "--source",
        ])
        .arg(&copy)
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let m = verdicts(&v);
    assert_eq!(get(&m, "x86_64", "pud_mkinvalid")["verdict"], "provided");
    for a in ["powerpc64le", "arm64", "riscv64"] {
        let r = get(&m, a, "pud_mkinvalid");
        assert_eq!(r["verdict"], "missing", "{a}: {r}");
        let s = r["summary"].as_str().unwrap();
        assert!(s.starts_with(&format!("{rel}:{call_line}:")), "{a}: {s}");
        assert!(s.contains("pud_mkinvalid"), "{a}: {s}");
    }
    assert!(stderr.contains("MISSING"), "{stderr}");
}

#[test]
fn bad_helper_input_exits_2() {
    for (args, needle) in [
        (
            vec!["check", "--helper", "pud-modify()"],
            "not a C identifier",
        ),
        (
            vec!["check", "--helper", "pud_modify", "--arch", "pdp11"],
            "pdp11",
        ),
    ] {
        let out = out_dir("check-bad");
        let (code, _o, stderr) = run(kcross().args(&args).arg("--out").arg(&out));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        // Nothing but the claim on the directory (`.kcross.lock`, not a result).
        let results = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != ".kcross.lock")
            .count();
        assert_eq!(results, 0, "{args:?}");
    }
    // A matrix without a [check] list and no --helper: nothing to check.
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(&m, "[[build]]\narch = \"arm64\"\nconfig = \"tinyconfig\"\n").unwrap();
    let (code, _o, stderr) = run(kcross().arg("check").arg(&m));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no helpers to check"), "{stderr}");
}

/// (toolchain, arch, helper) -> result
fn by_toolchain(v: &Value) -> BTreeMap<(String, String, String), Value> {
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
                c["toolchain"].as_str().unwrap().to_string(),
                c["arch"].as_str().unwrap().to_string(),
                h["helper"].as_str().unwrap().to_string(),
            );
            m.insert(key, h.clone());
        }
    }
    m
}

#[test]
fn clang_cells_give_the_same_verdicts_as_gcc() {
    // The default matrix with both compilers, in a directory of its own (kept between runs:
    // the fragments' paths are part of the build dirs' key, so a rerun reuses them).
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("matrix-clang");
    std::fs::create_dir_all(dir.join("pud-helpers")).unwrap();
    let repo = common::repo();
    let toml = std::fs::read_to_string(repo.join("matrices/pud-helpers.toml")).unwrap();
    assert!(toml.contains("toolchains = [\"gcc\"]"), "{toml}");
    let toml = toml.replace(
        "toolchains = [\"gcc\"]",
        "toolchains = [\"gcc\", \"clang\"]",
    );
    std::fs::write(dir.join("pud-helpers.toml"), toml).unwrap();
    // ...with every-arch.toml, its `[check] from`.
    std::fs::create_dir_all(dir.join("every-arch")).unwrap();
    std::fs::copy(
        repo.join("matrices/every-arch.toml"),
        dir.join("every-arch.toml"),
    )
    .unwrap();
    for sub in ["pud-helpers", "every-arch"] {
        for e in std::fs::read_dir(repo.join("matrices").join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join(sub).join(e.file_name())).unwrap();
        }
    }

    let out = out_dir("check-clang");
    let (code, stdout, stderr) = run(kcross()
        .arg("check")
        .arg(dir.join("pud-helpers.toml"))
        .args([
            "--arch", "x86_64", "--arch", "arm64", "-j", "2", "--json", "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let cells: Vec<&str> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cell"].as_str().unwrap())
        .collect();
    assert_eq!(
        cells,
        [
            "x86_64-gcc-pud",
            "x86_64-clang-pud",
            "arm64-gcc-pud",
            "arm64-clang-pud"
        ]
    );
    let m = by_toolchain(&v);
    assert_eq!(m.len(), 4 * 5);
    let get = |tc: &str, arch: &str, h: &str| {
        m.get(&(tc.to_string(), arch.to_string(), h.to_string()))
            .unwrap_or_else(|| panic!("{tc} {arch} {h}"))
    };
    // clang's verdict is gcc's, for every helper and arch: the same verdict, kind, provider
    // and summary (which names the file:line of the declaration).
    for arch in ["x86_64", "arm64"] {
        for h in v["helpers"].as_array().unwrap() {
            let h = h.as_str().unwrap();
            let (g, c) = (get("gcc", arch, h), get("clang", arch, h));
            for k in ["verdict", "kind", "provider", "summary"] {
                assert_eq!(g[k], c[k], "{arch} {h} {k}:\ngcc   {g}\nclang {c}");
            }
        }
    }
    for h in v["helpers"].as_array().unwrap() {
        let h = h.as_str().unwrap();
        assert_eq!(get("clang", "x86_64", h)["verdict"], "provided", "{h}");
    }
    for tc in ["gcc", "clang"] {
        let r = get(tc, "arm64", "pud_modify");
        assert_eq!(r["verdict"], "not-required", "{tc}: {r}");
    }
    // What the gcc-only matching got wrong on clang: clang's note ("previous definition is
    // here") names no helper, so pud_modify was not found declared at all. It is the
    // static inline of arch/x86/include/asm/pgtable.h, seen through clang's own note...
    let c = get("clang", "x86_64", "pud_modify");
    assert_eq!(c["kind"], "static inline", "{c}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .starts_with("static inline at arch/x86/include/asm/pgtable.h:"),
        "{c}"
    );
    assert_eq!(
        c["evidence"][0]["what"],
        "the compiler sees: previous definition is here"
    );
    // ...and pudp_invalidate, which clang also calls a "definition", is the extern
    // prototype, provided only because arch/x86/mm/pgtable.o defines it.
    let c = get("clang", "x86_64", "pudp_invalidate");
    assert_eq!(c["kind"], "extern function", "{c}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("defined at arch/x86/mm/pgtable.c:"),
        "{c}"
    );
}
