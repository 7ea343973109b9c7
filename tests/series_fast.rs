//! `kcross series` fast mode (the default) against `--every-patch`, on a real kernel
//! (linux-source-6.12, x86_64, target `mm/`): the same findings on the same patches, while
//! the patches between the base and the tip compile only the probe; and a file-less finding
//! that no probe sees, bisected over the series with full builds.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn gate(name: &str, extra: &[&str]) -> (i32, String, Value) {
    gate_series("pud-test.mbox", name, extra)
}

fn gate_series(mbox: &str, name: &str, extra: &[&str]) -> (i32, String, Value) {
    let out = common::out_dir(name);
    let mut cmd = common::kcross();
    cmd.arg("series")
        .arg(common::repo().join("tests/fixtures/series").join(mbox))
        .arg(common::repo().join("tests/fixtures/series/fast.toml"))
        .arg("--out")
        .arg(&out)
        .args(["-j", "2"])
        .args(extra);
    let (code, stdout, stderr) = common::run(&mut cmd);
    let p = out.join("latest-series/series.json");
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}\n{stderr}", p.display()));
    (
        code,
        format!("{stdout}\n{stderr}"),
        serde_json::from_str(&text).unwrap(),
    )
}

/// (patch, kind, fingerprint) of every finding.
fn placed(r: &Value) -> BTreeSet<(String, String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["patch"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rebuilt(r: &Value, step: usize) -> u64 {
    r["steps"][step]["cells"][0]["rebuilt"].as_u64().unwrap()
}

fn probe(r: &Value, step: usize) -> Vec<&str> {
    r["steps"][step]["cells"][0]["probe"]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// The mm/ objects a step's build compiled (its build.log's `  CC      mm/x.o` lines).
fn mm_compiled(r: &Value, step: usize) -> Vec<String> {
    let dir = Path::new(r["steps"][step]["dir"].as_str().unwrap()).join("x86_64-gcc-pud");
    let log = std::fs::read_to_string(dir.join("build.log")).unwrap();
    log.lines()
        .filter_map(|l| l.strip_prefix("  CC      mm/"))
        .map(|o| format!("mm/{}", o.trim()))
        .collect()
}

fn assert_in(p: &Path, needle: &str) {
    let t = std::fs::read_to_string(p).unwrap();
    assert!(t.contains(needle), "{}: {t}", p.display());
}

#[test]
fn fast_mode_places_every_finding_where_every_patch_does() {
    let (fcode, fall, fast) = gate("series-fast", &[]);
    let (ecode, eall, every) = gate("series-every-patch", &["--every-patch"]);
    assert_eq!(fast["mode"], "fast", "{fall}");
    assert_eq!(every["mode"], "every-patch", "{eall}");
    assert!(
        fall.contains("mode fast: the base and the tip build in full"),
        "{fall}"
    );

    // The same verdict and the same findings on the same patches. On x86_64 the series
    // brings one warning, in patch 3 (mm/mprotect.c), which patch 4 keeps: fast mode must put
    // it on 3/4, not on the tip it first built.
    assert_eq!((fcode, ecode), (1, 1), "{fall}\n{eall}");
    assert_eq!(placed(&fast), placed(&every), "{fall}\n{eall}");
    let new: Vec<&Value> = fast["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{fall}");
    assert_eq!(new[0]["patch"], "3/4");
    assert_eq!(new[0]["diagnostic"]["file"], "mm/mprotect.c");
    assert!(new[0].get("unattributed").is_none(), "{}", new[0]);

    // What separates them: fast mode's patches 1-3 compiled the probe only (the series' two
    // .c files and the finding's unit, all in mm/), while --every-patch rebuilt mm/ after
    // patch 1 changed x86's pgtable.h. The tip is a full build in both.
    for s in 1..=3 {
        let p = probe(&fast, s);
        assert_eq!(p, ["mm/huge_memory.o", "mm/mprotect.o"], "{fall}");
        let compiled = mm_compiled(&fast, s);
        assert!(
            compiled.iter().all(|o| p.contains(&o.as_str())),
            "step {s} compiled outside its probe: {compiled:?}"
        );
        assert!(probe(&every, s).is_empty());
    }
    assert!(probe(&fast, 4).is_empty());
    assert!(
        mm_compiled(&every, 1).len() > 10,
        "every-patch rebuilds pgtable.h's dependents: {:?}",
        mm_compiled(&every, 1)
    );
    assert!(rebuilt(&fast, 4) > 10, "the tip is a full build");
    // The reports say which mode ran and what it proves.
    let md = fast["run_dir"].as_str().unwrap();
    assert_in(&Path::new(md).join("report.md"), "in fast mode");
    assert_in(
        &Path::new(md).join("report.md"),
        "does not prove that the states in between link",
    );
    let md = every["run_dir"].as_str().unwrap();
    assert_in(&Path::new(md).join("report.md"), "patch by patch");
}

/// The new findings: (patch, message, unattributed, bisected).
fn new_findings(r: &Value) -> Vec<(String, String, bool, bool)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "new")
        .map(|f| {
            (
                f["patch"].as_str().unwrap().to_string(),
                f["diagnostic"]["message"].as_str().unwrap().to_string(),
                f.get("unattributed").is_some_and(|v| v == true),
                f.get("bisected").is_some_and(|v| v == true),
            )
        })
        .collect()
}

#[test]
fn a_make_error_no_probe_sees_is_bisected_to_its_patch() {
    // make-error.mbox: patch 2 of 3 adds an object without a source to mm/Makefile, so the
    // full build of mm/ fails with make's "No rule to make target": a finding without a
    // file. The probes (single objects) never see it.
    let series = "make-error.mbox";
    let (fcode, fall, fast) = gate_series(series, "series-make-error-fast", &[]);
    let (ncode, nall, nob) = gate_series(series, "series-make-error-no-bisect", &["--no-bisect"]);
    let (ecode, eall, every) = gate_series(series, "series-make-error-every", &["--every-patch"]);
    assert_eq!((fcode, ncode, ecode), (1, 1, 1), "{fall}\n{nall}\n{eall}");
    for r in [&fast, &nob] {
        assert_eq!(r["mode"], "fast");
    }

    // --every-patch builds patch 2 in full: the error is on 2/3.
    let e = new_findings(&every);
    assert_eq!(e.len(), 1, "{eall}");
    assert_eq!(e[0].0, "2/3", "{eall}");
    assert!(e[0].1.contains("No rule to make target"), "{:?}", e[0]);
    assert!(e[0].1.contains("kcross-missing.o"), "{:?}", e[0]);
    assert!(!e[0].2 && !e[0].3, "{:?}", e[0]);

    // Without the bisection, fast mode can only put it on the tip, and says so.
    let n = new_findings(&nob);
    assert_eq!(n.len(), 1, "{nall}");
    assert_eq!(
        (n[0].0.as_str(), n[0].2, n[0].3),
        ("3/3", true, false),
        "{nall}"
    );
    assert!(
        nall.contains("unattributed: first seen at the tip"),
        "{nall}"
    );
    assert!(nob.get("bisect_builds").is_none(), "{nall}");

    // The default bisects it: the same patch as --every-patch, from full builds of the
    // states 1-2 (has it) and 1-1 (has it not), in that order.
    let f = new_findings(&fast);
    assert_eq!(f.len(), 1, "{fall}");
    assert_eq!(
        (f[0].0.as_str(), f[0].2, f[0].3),
        ("2/3", false, true),
        "{fall}"
    );
    assert_eq!(placed(&fast), placed(&every), "{fall}\n{eall}");
    let builds = fast["bisect_builds"].as_array().expect("bisect builds");
    let states: Vec<(u64, bool)> = builds
        .iter()
        .map(|b| {
            (
                b["patches"].as_u64().unwrap(),
                !b["present"].as_array().unwrap().is_empty(),
            )
        })
        .collect();
    assert_eq!(states, [(2, true), (1, false)], "{fall}");
    for b in builds {
        // Full builds of mm/: the make error is in the log of state 2 only.
        let log = std::fs::read_to_string(Path::new(b["dir"].as_str().unwrap()).join("build.log"))
            .unwrap();
        assert_eq!(
            log.contains("No rule to make target"),
            b["patches"] == 2,
            "{}",
            b["dir"]
        );
    }
    assert!(
        fall.contains("placed by bisecting the series with full builds (2 build(s))"),
        "{fall}"
    );
    // The step cells agree with the findings: the error is new on 2/3, not on the tip.
    let new_at = |r: &Value, s: usize| r["steps"][s]["cells"][0]["new"].as_array().unwrap().len();
    assert_eq!((new_at(&fast, 2), new_at(&fast, 3)), (1, 0), "{fall}");
    assert_eq!((new_at(&nob, 2), new_at(&nob, 3)), (0, 1), "{nall}");
}
