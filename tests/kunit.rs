//! KUnit in the guest on a real kernel (matrices/kunit-mm.toml): linux-source-6.12 x86_64,
//! tinyconfig with the SLUB, DAMON core and DAMON vaddr KUnit suites built in, booted under
//! QEMU; the kernel's KTAP (before init) parsed into suites and cases, exported as KCIDB and
//! validated by kcidb-io. One extra kernel build for the whole file: the tree is one
//! hard-linked copy of the suite's 6.12 at a fixed path in the suite's cache, so its build dir
//! (keyed by the tree's path) is the same on every run, and the injected failure rebuilds
//! one object.

mod common;

use common::boot::*;
use common::kunit::{cases, CASES, SKIPPED};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SLUB: &str = "lib/slub_kunit.c";
/// test_next_pointer's expectation (lib/slub_kunit.c:67 of 6.12): three errors.
const EXPECT: &str = "KUNIT_EXPECT_EQ(test, 3, slab_errors);";

fn matrix() -> PathBuf {
    common::repo().join("matrices/kunit-mm.toml")
}

/// The KUnit cell's tree: `<cache>/trees/kunit-6.12`, made once (cp -al of the suite's
/// linux-source-6.12, then renamed into place); returns (pristine tree, copy).
fn kunit_tree() -> (PathBuf, PathBuf) {
    let tree = common::tree_612();
    let dir = common::cache().join("trees");
    let copy = dir.join("kunit-6.12");
    if !copy.is_dir() {
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!(".kunit-6.12.{}", std::process::id()));
        let ok = Command::new("cp")
            .arg("-al")
            .arg(&tree)
            .arg(&tmp)
            .status()
            .unwrap()
            .success();
        assert!(ok, "cp -al {}", tree.display());
        if std::fs::rename(&tmp, &copy).is_err() {
            let _ = std::fs::remove_dir_all(&tmp); // another process made it first
        }
    }
    (tree, copy)
}

/// Make `rel` in the copy hold `text` (only when it differs: an unchanged file keeps its
/// object warm).
fn set_file(copy: &Path, rel: &str, text: &str) {
    if std::fs::read_to_string(copy.join(rel)).unwrap() != text {
        common::replace_file(copy, rel, text);
    }
}

/// The suites pass on 6.12, case by case, and the export of that runtime run validates as
/// KCIDB with every case a `kunit.<suite>.<case>` test; then test_next_pointer's expectation
/// changed in the tree copy (3 errors -> 4) fails exactly that case, with KUnit's own words.
#[test]
fn mm_kunit_suites_pass_on_6_12_and_an_injected_expectation_fails_its_case() {
    let _q = one_guest_at_a_time();
    let (tree, copy) = kunit_tree();
    let pristine = std::fs::read_to_string(tree.join(SLUB)).unwrap();
    assert_eq!(pristine.matches(EXPECT).count(), 1);
    set_file(&copy, SLUB, &pristine);
    let out = common::out_dir("kunit-6.12");
    let m = matrix();
    // x86_64 here; arm64 and riscv64 boot the same suites in tests/full.rs.
    let args = [
        "--arch",
        "x86_64",
        "--source",
        copy.to_str().unwrap(),
        "-j",
        "2",
    ];
    let (code, v, err) = boot(&out, &[&[m.to_str().unwrap()][..], &args[..]].concat());
    let r = only_result(&v);
    assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["test"], "kunit");
    assert!(strings(&r["qemu_command"])
        .iter()
        .any(|a| a.contains("kunit.enable=1")));
    let st = |c: &str, changed: &str| {
        if c == SKIPPED {
            format!("{c} skip")
        } else {
            format!("{c} {changed}")
        }
    };
    let want: Vec<String> = CASES.iter().map(|c| st(c, "ok")).collect();
    assert_eq!(cases(r), want, "{r:#}");
    let suites: Vec<&str> = r["kunit"]["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(suites, ["damon", "damon-operations", "slub_test"]);
    assert!(
        r["kunit"]["problems"].as_array().unwrap().is_empty(),
        "{r:#}"
    );
    assert!(strings(&r["complaints"]).is_empty(), "{r:#}");
    // the guest's own KTAP is still read (after the kernel's)
    assert_eq!(r["ktap"][0]["line"], "ok 1 kunit");
    assert_no_qemu_left(r);

    // KCIDB of that runtime run, validated by kcidb-io.
    let doc = out.join("kcidb.json");
    let (code, _, e) = common::run(
        common::kcross()
            .args(["report", "--format", "kcidb", "--from"])
            .arg(&out)
            .arg("-o")
            .arg(&doc),
    );
    assert_eq!(code, 0, "{e}");
    let (code, o, e) = common::kcidb_validate(&doc);
    assert_eq!(code, 0, "kcidb-io rejects the export:\n{o}\n{e}");
    let k: Value = serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();
    let tests = k["tests"].as_array().unwrap();
    let path_status = |p: &str| {
        tests
            .iter()
            .find(|t| t["path"] == p)
            .map(|t| t["status"].as_str().unwrap().to_string())
    };
    assert_eq!(path_status("kcross.boot.kunit").as_deref(), Some("PASS"));
    for c in CASES {
        let want = if c == SKIPPED { "SKIP" } else { "PASS" };
        assert_eq!(
            path_status(&format!("kunit.{c}")).as_deref(),
            Some(want),
            "{c}"
        );
    }
    assert_eq!(tests.len(), 1 + CASES.len());

    // Counter-case: one expectation changed in the copy; one object rebuilt, one case fails.
    set_file(
        &copy,
        SLUB,
        &pristine.replace(EXPECT, "KUNIT_EXPECT_EQ(test, 4, slab_errors);"),
    );
    let (code, v, err) = boot(&out, &[&[m.to_str().unwrap()][..], &args[..]].concat());
    let r = only_result(&v);
    assert_eq!(r["verdict"], "fail", "{r:#}\n{err}");
    assert_eq!(code, 1);
    let got = cases(r);
    let want: Vec<String> = CASES
        .iter()
        .map(|c| {
            if *c == "slub_test.test_next_pointer" {
                st(c, "not-ok")
            } else {
                st(c, "ok")
            }
        })
        .collect();
    assert_eq!(got, want, "{r:#}");
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "kunit: 1 of 30 case(s) failed, first: slub_test.test_next_pointer: not ok 2 \
             test_next_pointer: "
        ) && reason.contains("EXPECTATION FAILED at lib/slub_kunit.c:67")
            && reason.contains("Expected 4 == slab_errors"),
        "{reason}"
    );
    let slub = &r["kunit"]["suites"][2];
    assert_eq!(slub["status"], "not-ok");
    assert!(slub["line"]
        .as_str()
        .unwrap()
        .starts_with("not ok 3 slub_test"));
    set_file(&copy, SLUB, &pristine);
}

/// The same suites without the matrix's kunit.config line that turns SLUB_TINY off: the
/// kconfig verification drops SLUB_KUNIT_TEST at configure, naming its unmet dependency
/// (SLUB_DEBUG, which !SLUB_TINY blocks), and nothing is built or booted.
#[test]
fn a_kunit_symbol_whose_dependency_is_off_is_dropped_at_configure_with_the_reason() {
    let (_, copy) = kunit_tree();
    let d = tempfile::tempdir().unwrap();
    let frag = d.path().join("no-slub-debug.config");
    std::fs::write(
        &frag,
        "CONFIG_RUNTIME_TESTING_MENU=y\nCONFIG_DAMON=y\nCONFIG_DAMON_VADDR=y\n",
    )
    .unwrap();
    let mdir = common::repo().join("matrices");
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"kunit-dropped\"\n[defaults]\nconfig = \"tinyconfig\"\nfragments = [\"{}\", \"{}\"]\n\
             [[build]]\nname = \"kunit\"\narch = \"x86_64\"\nfragments = [\"{}\"]\n\
             [runtime]\ntests = [\"kunit\"]\nkunit = [\"SLUB_KUNIT_TEST\", \"DAMON_KUNIT_TEST\"]\n",
            mdir.join("pud-helpers/boot.config").display(),
            frag.display(),
            mdir.join("kunit-mm/x86_64.config").display()
        ),
    )
    .unwrap();
    let out = common::out_dir("kunit-dropped");
    let (code, stdout, stderr) = common::run(
        common::kcross()
            .arg("build")
            .arg(&m)
            .arg("--source")
            .arg(&copy)
            .arg("--out")
            .arg(&out)
            .args(["-j", "2", "--json"]),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let c = &v["cells"][0];
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["failed_stage"], "configure");
    let reason = c["reason"].as_str().unwrap();
    assert!(
        reason.contains("CONFIG_SLUB_KUNIT_TEST=y requested at")
            && reason.contains("[runtime] kunit")
            && reason.contains("depends on SLUB_DEBUG (=n)"),
        "{reason}"
    );
    // DAMON_KUNIT_TEST's dependencies are met: it is not the one reported
    assert!(!reason.contains("DAMON_KUNIT_TEST"), "{reason}");
}
