//! The heaviest runs, outside CI's budget: `scripts/test --full` runs them (the default
//! `scripts/test` and CI run every other test binary). Full images and boots on real kernels:
//! a clang x86_64 kernel, and the powerpc64le 6.1 kernel (a 20-minute cold build) whose
//! devdax test must say why it does not apply; and the helper check of every arch on 6.1.

mod common;

use common::boot::*;
use common::{kcross, out_dir, run};
use serde_json::Value;

/// The default matrix, with its fragments, for one arch and the given toolchains, written to
/// `dir` (fragment paths absolute).
fn pud_matrix(dir: &std::path::Path, arch: &str, toolchains: &str) -> std::path::PathBuf {
    let frag = common::repo().join("matrices/pud-helpers");
    let f = |n: &str| format!("\"{}\"", frag.join(n).display());
    let extra = match arch {
        "x86_64" => format!("{}, {}", f("x86_64.config"), f("runtime-x86_64.config")),
        a => f(&format!("{a}.config")),
    };
    let m = dir.join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"full-{arch}\"\nsource = \"linux-source-6.12\"\n[defaults]\ntoolchains = {toolchains}\nconfig = \"tinyconfig\"\nfragments = [{}, {}]\n\n[[build]]\nname = \"pud\"\narch = \"{arch}\"\nfragments = [{extra}]\n\n[runtime]\ntests = [\"devdax-pud-mprotect\"]\ntimeout = 300\n",
            f("boot.config"),
            f("dax.config")
        ),
    )
    .unwrap();
    m
}

/// A clang (LLVM=-14) x86_64 cell builds the full image, its diagnostics are parsed, and the
/// kernel boots and passes the devdax test; the counter-case is the same cell's gcc build,
/// whose results differ in the compiler recorded, not in the verdicts.
#[test]
fn clang_x86_64_full_image_builds_and_passes_devdax() {
    let d = tempfile::tempdir().unwrap();
    let m = pud_matrix(d.path(), "x86_64", "[\"clang\"]");
    let out = out_dir("full-clang-x86_64");
    let (code, stdout, stderr) = run(kcross()
        .arg("build")
        .arg(&m)
        .arg("--runtime")
        .arg("--json")
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let c = &v["build"]["cells"][0];
    assert_eq!(c["cell"], "x86_64-clang-pud", "{c:#}");
    assert_eq!(c["verdict"], "pass", "{c:#}");
    let image = c["image"].as_str().expect("an image");
    assert!(image.ends_with("arch/x86/boot/bzImage"), "{image}");
    // Built by clang: the build dir's kbuild records it.
    let bd = std::path::Path::new(c["build_dir"].as_str().unwrap());
    let cc = std::fs::read_to_string(bd.join("include/config/auto.conf")).unwrap();
    assert!(cc.contains("CONFIG_CC_IS_CLANG=y"), "not a clang build");
    // Every warning clang printed is parsed with its flag.
    for w in c["diagnostics"].as_array().unwrap() {
        if w["severity"] == "warning" && w["tool"] == "compiler" {
            assert!(
                w["flag"].as_str().is_some_and(|f| f.starts_with("-W")),
                "{w:#}"
            );
        }
    }
    let rt = &v["runtime"]["results"][0];
    assert_eq!(rt["verdict"], "pass", "{rt:#}\n{stderr}");
}

/// What 6.1 does on powerpc64le: book3s64 gained PUD-level THP
/// (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD) only after 6.1. devdax-pud-mprotect is not
/// applicable there: the verdict says so with the Kconfig symbol, read from the cell's
/// .config, and nothing boots. (Booted anyway, as kcross did before it read the .config,
/// the guest found the region offering no 1 GiB device-dax alignment, "dax0.0 supports 4096
/// 2097152", and skipped.) The counter-case is 6.12 on the same arch, which has the symbol,
/// boots and passes (`powerpc64le_on_6_12_passes_devdax_pud_mprotect_...` below).
#[test]
fn powerpc64le_on_6_1_devdax_pud_mprotect_is_not_applicable_without_pud_thp() {
    use common::boot::{boot, one_guest_at_a_time, only_result, shared_out, strings};
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-powerpc64le-6.1");
    let (code, v, err) = boot(&out, &["--arch", "ppc64le", "--source", "linux-source-6.1"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "not-applicable", "{r:#}\n{err}");
    assert_eq!(code, 0, "not applicable does not fail the run");
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "not applicable: CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD is not set in the \
             cell's .config (powerpc64le)"
        ),
        "{reason}"
    );
    assert!(strings(&r["qemu_command"]).is_empty(), "{r:#}");
    assert!(r["console_log"].is_null(), "{r:#}");
}

/// A runtime bisection on x86_64: four commits on linux-source-6.12, the second of which
/// takes back part of the PUD mprotect support in mm/mprotect.c (a leaf PUD is "bad" again,
/// as in 6.1: the guest logs "bad pud" and the devdax test fails). Every step builds the full
/// image incrementally and boots it; the culprit is verified by failing 3 times and its
/// revert on the bad commit passing 3 times. The user's repository is left as it was.
#[test]
fn bisect_names_the_commit_that_breaks_devdax_pud_mprotect() {
    use common::git_history::{after, history, repo_state, Change};
    let changes = vec![
        after(
            "mm/mprotect.c",
            "\tlong pages = 0, ret;\n",
            "\t/* pages changed under this pud */\n",
            "mm/mprotect: document pages in change_pud_range()",
        ),
        Change {
            file: "mm/mprotect.c",
            old: "\t\tif (pud_none(pud))\n\t\t\tcontinue;\n",
            new: "\t\tif (pud_none_or_clear_bad(pudp))\n\t\t\tcontinue;\n".into(),
            subject: "mm/mprotect: skip bad puds like the other levels",
        },
        after(
            "arch/x86/mm/pgtable.c",
            "void pgd_free(struct mm_struct *mm, pgd_t *pgd)\n{\n",
            "\t/* the pmds go first, then the pgd itself */\n",
            "x86/mm: say in pgd_free() what goes first",
        ),
        after(
            "mm/huge_memory.c",
            "\tstruct kobject *hugepage_kobj;\n",
            "\t/* the /sys/kernel/mm/transparent_hugepage directory */\n",
            "mm/huge_memory: name what hugepage_kobj is",
        ),
    ];
    let (tree, revs) = history("bisect-runtime-git", &changes);
    let before = repo_state(&tree);
    let d = tempfile::tempdir().unwrap();
    let m = pud_matrix(d.path(), "x86_64", "[\"gcc\"]");
    let out = out_dir("full-bisect-runtime");
    let _guest = common::boot::one_guest_at_a_time();
    let (code, stdout, stderr) = run(kcross()
        .arg("bisect")
        .arg(&m)
        .arg("--source")
        .arg(&tree)
        .args(["--good", &revs[0], "--bad", &revs[4]])
        .args(["--cell", "x86_64-gcc-pud", "--test", "devdax-pud-mprotect"])
        .args(["-j", "2", "--json", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["status"], "found", "{stderr}");
    assert_eq!(r["culprit"]["sha"], revs[2].as_str(), "{stderr}");
    assert_eq!(r["verification"]["verdict"], "verified", "{stderr}");
    let checks = r["verification"]["checks"].as_array().unwrap();
    assert_eq!(checks[0]["role"], "verify-culprit");
    assert_eq!(checks[0]["verdict"], "bad");
    assert_eq!(checks[1]["role"], "verify-revert");
    assert_eq!(checks[1]["verdict"], "good");
    let lines: Vec<&str> = r["target"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("not ok") && l.contains("devdax-pud-mprotect")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("bad pud")), "{lines:?}");
    let run_dir = std::path::PathBuf::from(r["run_dir"].as_str().unwrap());
    let line = std::fs::read_to_string(run_dir.join("first-bad.txt")).unwrap();
    // The summary line quotes the target's first evidence: the guest kernel's own complaint,
    // which it prints before the test's `not ok`.
    assert!(
        line.starts_with(&format!(
            "first bad commit: {} mm/mprotect: skip bad puds like the other levels (x86_64-gcc-pud: mm/pgtable-generic.c:",
            revs[2]
        )) && line.contains(": bad pud "),
        "{line}"
    );
    assert_eq!(repo_state(&tree), before);
}

#[test]
fn default_matrix_x86_64_and_powerpc64le_build_in_parallel_and_pass() {
    common::default_matrix_build(&["x86_64", "ppc64le"], "default-build-full");
}

// powerpc64le's full image (a 10-minute cold build at -j2, the suite's costliest) and its
// devdax boots: here rather than in CI's budget. x86_64 shows the same verdicts in CI
// (tests/runtime.rs), 6.12 against 6.1.

#[test]
fn powerpc64le_on_6_12_passes_devdax_pud_mprotect_with_the_info_block_written_by_kcross() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-powerpc64le-6.12");
    let (code, v, err) = boot(&out, &["--arch", "ppc64le"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
    assert_eq!(code, 0);
    assert!(strings(&r["complaints"]).is_empty());
    assert_eq!(findings(r), KEPT, "{r:#}");
    let d = diagnostics(r);
    assert!(
        d.iter()
            .any(|l| l.starts_with("kcross wrote the device-dax info block")),
        "{d:#?}"
    );
    // the workaround is reported, with the page size of this kernel's .config
    let w = r["workarounds"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{r:#}");
    assert_eq!(w[0]["name"], "nvdimm-dax-info");
    let what = w[0]["what"].as_str().unwrap();
    assert!(
        what.contains("(1 GiB alignment, 4 KiB pages: CONFIG_PAGE_SHIFT=12)"),
        "{what}"
    );
    assert!(w[0]["why"].as_str().unwrap().contains("dcbstps"), "{w:#?}");
    let junit = std::fs::read_to_string(
        std::path::PathBuf::from(v["out_dir"].as_str().unwrap()).join("runtime-junit.xml"),
    )
    .unwrap();
    assert!(
        junit.contains(
            r#"<property name="workaround.nvdimm-dax-info" value="nvdimm-dax-info: kcross wrote"#
        ),
        "{junit}"
    );
    assert_no_qemu_left(r);
}

/// What the platform lacks, as evidence: without the info block written by kcross, the
/// guest kernel writes it itself and QEMU's TCG cannot run its `dcbstps`.
#[test]
fn powerpc64le_binding_dax_pmem_oopses_under_tcg_when_the_kernel_writes_the_info_block() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-powerpc64le-6.12");
    let data =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("toolchains-ppc-kernel-writes");
    std::fs::create_dir_all(data.join("arch")).unwrap();
    let arch =
        std::fs::read_to_string(common::repo().join("toolchains/arch/powerpc64le.toml")).unwrap();
    assert!(arch.contains("nvdimm_dax_info = true"));
    std::fs::write(
        data.join("arch/powerpc64le.toml"),
        arch.replace("nvdimm_dax_info = true", "nvdimm_dax_info = false"),
    )
    .unwrap();
    let (code, v, err) = boot(
        &out,
        &["--arch", "ppc64le", "--toolchains", data.to_str().unwrap()],
    );
    let r = only_result(&v);
    assert_eq!(r["verdict"], "fail", "{r:#}\n{err}");
    assert_eq!(code, 1);
    let c = strings(&r["complaints"]);
    assert!(
        c.iter()
            .any(|l| l.starts_with("Oops: Exception in kernel mode, sig: 4")),
        "{c:#?}"
    );
    assert!(
        c.iter()
            .any(|l| l.starts_with("Kernel panic - not syncing: Fatal exception")),
        "{c:#?}"
    );
    // the guest was binding the dax device when it died
    let log = std::fs::read_to_string(r["console_log"].as_str().unwrap()).unwrap();
    assert!(log.contains("to dax_pmem"), "{log}");
    // the illegal instruction is dcbstps (dcbf L=6): `<7cc018ac>` in the oops's Code: line
    assert!(
        log.lines()
            .any(|l| l.starts_with("Code: ") && l.contains("<7cc018ac>")),
        "{log}"
    );
    assert_eq!(r["ktap"][0]["status"], "missing");
    assert_no_qemu_left(r);
}

/// The counter-case of tests/check_every_arch.rs on every arch: linux-source-6.1 has none of
/// the five PUD helpers of "mm/mprotect: Fix dax puds", so the default matrix's check of
/// every arch (6.12: provided on x86_64, powerpc64 and powerpc64le) provides them nowhere.
/// CI runs the same 6.1 check on five arches; every arch cold does not fit its budget.
#[test]
fn linux_6_1_every_arch_has_the_pud_helpers_nowhere() {
    let out = out_dir("full-check-every-arch-61");
    let (code, stdout, stderr) = run(kcross()
        .args(["check", "--source", "linux-source-6.1", "--json", "--out"])
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["source"]["version"].as_str().unwrap().starts_with("6.1."));
    let cells = v["cells"].as_array().unwrap();
    let arches: std::collections::BTreeSet<&str> =
        cells.iter().map(|c| c["arch"].as_str().unwrap()).collect();
    assert_eq!(arches.len(), 19, "every arch but loongarch64: {arches:?}");
    for c in cells {
        if c["cell"] == "riscv64-gcc-pud" {
            // The default matrix's riscv64 cell does not configure on 6.1: its device-dax
            // fragment asks for DEV_DAX_PMEM, which 6.1 gates on NVDIMM_DAX (the message
            // says so); a setup failure is data, with no verdicts.
            let f = c["setup_failure"].as_str().unwrap_or_default();
            assert!(
                f.contains("CONFIG_DEV_DAX_PMEM") && f.contains("NVDIMM_DAX"),
                "{c}"
            );
            assert!(c["helpers"].as_array().unwrap().is_empty(), "{c}");
            continue;
        }
        assert!(
            c["setup_failure"].is_null(),
            "{}: {}",
            c["cell"],
            c["setup_failure"]
        );
        assert_eq!(c["helpers"].as_array().unwrap().len(), 5, "{}", c["cell"]);
        for h in c["helpers"].as_array().unwrap() {
            assert_ne!(h["verdict"], "provided", "{}: {h}", c["cell"]);
        }
    }
    assert_eq!(common::provided_nowhere(&v), common::PUD_HELPERS);
}

/// The arches booted beyond x86_64 and powerpc64le, from matrices/every-arch.toml.
const BOOTED: [&str; 6] = ["arm64", "riscv64", "s390x", "arm", "i386", "powerpc64"];

/// Full images and a basic boot on arm64, riscv64, s390x, 32-bit arm and i386, and
/// big-endian powerpc64 (pseries, POWER8, through SLOF): each arch's
/// tinyconfig cell of matrices/every-arch.toml (gcc, its boot fragments) builds its image and
/// boots under its `[qemu]` description into kcross's initramfs, whose static programs that
/// arch's cross gcc built, and `boot` passes. The counter-case on the same kernel is
/// `selftest-fail`: it must fail with its own KTAP line, so the pass is the guest's word read
/// from that arch's console, not the absence of a complaint.
#[test]
fn arm64_riscv64_s390x_arm_i386_and_powerpc64_build_full_images_and_boot() {
    let _q = one_guest_at_a_time();
    let out = out_dir("every-arch-boots");
    let m = common::repo().join("matrices/every-arch.toml");
    let mut args = vec![m.to_str().unwrap(), "--toolchain", "gcc", "-j", "2"];
    args.extend(["--test", "boot", "--test", "selftest-fail"]);
    for a in BOOTED {
        args.extend(["--arch", a]);
    }
    let (code, v, err) = boot(&out, &args);
    assert_eq!(code, 1, "selftest-fail fails every arch\n{err}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * BOOTED.len(), "{v:#}");
    for a in BOOTED {
        let of = |t: &str| {
            results
                .iter()
                .find(|r| r["arch"] == a && r["test"] == t)
                .unwrap_or_else(|| panic!("{a} {t}: {v:#}"))
        };
        let b = of("boot");
        assert_eq!(b["verdict"], "pass", "{a}: {b:#}\n{err}");
        assert_eq!(b["ktap"][0]["status"], "ok", "{a}: {b:#}");
        assert!(b["boot_s"].as_f64().is_some_and(|s| s > 0.0), "{b:#}");
        assert!(strings(&b["complaints"]).is_empty(), "{a}: {b:#}");
        // The guest powered itself off (i386 without ACPI halted instead, and QEMU was
        // ended after the grace period).
        assert_eq!(b["powered_off"], true, "{a}: {b:#}");
        let f = of("selftest-fail");
        assert_eq!(f["verdict"], "fail", "{a}: {f:#}");
        assert_eq!(f["ktap"][0]["status"], "not-ok", "{a}: {f:#}");
        assert_no_qemu_left(b);
        assert_no_qemu_left(f);
        eprintln!(
            "{a}: boot to init {:.2} s, boot-to-result {:.2} s, QEMU peak RSS {} MiB",
            b["boot_s"].as_f64().unwrap(),
            b["total_s"].as_f64().unwrap(),
            b["qemu_peak_rss_kib"].as_u64().unwrap_or(0) / 1024
        );
    }
}

/// The mm KUnit suites of matrices/kunit-mm.toml on arm64 and riscv64 (x86_64 is in
/// tests/kunit.rs, with an injected failure): every case of the three suites, in 6.12's
/// order, passes on both, test_kfree_rcu skipping itself as on x86_64. The counter-case on
/// the same kernels: `kunit.enable=0` on the command line (after kcross's `kunit.enable=1`)
/// and no suite runs, which must not pass.
#[test]
fn mm_kunit_suites_pass_on_arm64_and_riscv64() {
    use common::kunit::{cases, CASES, SKIPPED};
    let _q = one_guest_at_a_time();
    let out = out_dir("kunit-arm64-riscv64");
    let m = common::repo().join("matrices/kunit-mm.toml");
    let base = [
        m.to_str().unwrap(),
        "--arch",
        "arm64",
        "--arch",
        "riscv64",
        "-j",
        "2",
    ];
    let (code, v, err) = boot(&out, &base);
    assert_eq!(code, 0, "{err}");
    let want: Vec<String> = CASES
        .iter()
        .map(|c| format!("{c} {}", if *c == SKIPPED { "skip" } else { "ok" }))
        .collect();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{v:#}");
    for r in results {
        assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
        assert_eq!(cases(r), want, "{}: {r:#}", r["arch"]);
        assert!(r["kunit"]["problems"].as_array().unwrap().is_empty());
        assert_no_qemu_left(r);
        eprintln!(
            "{}: KUnit boot-to-result {:.1} s, QEMU peak RSS {} MiB",
            r["arch"],
            r["total_s"].as_f64().unwrap(),
            r["qemu_peak_rss_kib"].as_u64().unwrap_or(0) / 1024
        );
    }
    let (code, v, err) = boot(
        &out,
        &[&base[..], &["--kernel-arg", "kunit.enable=0"]].concat(),
    );
    assert_eq!(code, 1, "{err}");
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["verdict"], "fail", "{r:#}");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("no KUnit output before init"),
            "{r:#}"
        );
    }
}

/// A clang cell of a second arch builds its full image for real and boots: arm64 with
/// LLVM=-14, every-arch.toml's clang cell (the same tinyconfig and fragments as gcc's). Its
/// .config says clang and lld built it (CONFIG_CC_IS_CLANG, CONFIG_LD_IS_LLD), the build
/// log's first line is clang's version, and the kernel passes `boot` while `selftest-fail`
/// fails on it.
#[test]
fn arm64_clang_builds_its_full_image_and_boots() {
    let _q = one_guest_at_a_time();
    let out = out_dir("every-arch-arm64-clang");
    let m = common::repo().join("matrices/every-arch.toml");
    let args = [
        m.to_str().unwrap(),
        "--arch",
        "arm64",
        "--toolchain",
        "clang",
        "-j",
        "2",
        "--test",
        "boot",
        "--test",
        "selftest-fail",
    ];
    let (code, v, err) = boot(&out, &args);
    assert_eq!(code, 1, "selftest-fail fails\n{err}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{v:#}");
    let of = |t: &str| results.iter().find(|r| r["test"] == t).unwrap();
    let b = of("boot");
    assert_eq!(b["verdict"], "pass", "{b:#}\n{err}");
    assert!(
        b["cell"].as_str().unwrap().starts_with("arm64-clang-"),
        "{b:#}"
    );
    assert_eq!(b["powered_off"], true, "{b:#}");
    assert_eq!(of("selftest-fail")["verdict"], "fail");
    let image = std::path::PathBuf::from(b["image"].as_str().unwrap());
    assert!(
        image.ends_with("arch/arm64/boot/Image"),
        "{}",
        image.display()
    );
    let build_dir = image.ancestors().nth(4).unwrap();
    let config = std::fs::read_to_string(build_dir.join(".config")).unwrap();
    for sym in ["CONFIG_CC_IS_CLANG=y", "CONFIG_LD_IS_LLD=y"] {
        assert!(config.lines().any(|l| l == sym), "{sym} not in the .config");
    }
    let cell_dir = std::path::PathBuf::from(b["console_log"].as_str().unwrap());
    let log = std::fs::read_to_string(cell_dir.parent().unwrap().join("build.log")).unwrap();
    assert!(
        log.lines().next().unwrap().contains("clang version 14"),
        "{}",
        log.lines().next().unwrap()
    );
}
