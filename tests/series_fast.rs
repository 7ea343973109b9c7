//! `kcross series` fast mode (the default) against `--every-patch`, on a real kernel
//! (linux-source-6.12, x86_64, target `mm/`): the same findings on the same patches, while
//! the patches between the base and the tip compile only the probe.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn gate(name: &str, extra: &[&str]) -> (i32, String, Value) {
    let out = common::out_dir(name);
    let mut cmd = common::kcross();
    cmd.arg("series")
        .arg(common::repo().join("tests/fixtures/series/pud-test.mbox"))
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
