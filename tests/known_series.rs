//! Known issues in the series gate, on the real test series (tests/fixtures/series/
//! pud-test.mbox on linux-source-6.12, its objects only: tests/fixtures/series/matrix.toml).
//! Patch 1 brings new errors on powerpc64le only, patch 3 a new unused-variable warning on
//! both cells. With the errors known on powerpc64le, patch 1 no longer gates; with the
//! warning known on x86_64 only, it still gates on powerpc64le (the counter-case, in the same
//! run), so the gate fails on exactly that. `--last-only` with the warning known everywhere
//! passes, and the entry for patch 1's errors (fixed within the series) is stale, shown first.
//! A separate test binary from tests/known.rs, so that the two never build at once.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

const X86: &str = "x86_64-gcc-pud";
const PPC: &str = "powerpc64le-gcc-pud";

/// The series fixture matrix with absolute fragment paths (the fragments' text, not their
/// paths, keys the build dirs: the same dirs as tests/series.rs) and `known` appended.
fn matrix(dir: &Path, name: &str, known: &str) -> PathBuf {
    let fixture = common::repo().join("tests/fixtures/series/matrix.toml");
    let text = std::fs::read_to_string(&fixture).unwrap().replace(
        "../../../matrices/",
        &format!("{}/matrices/", common::repo().display()),
    );
    let p = dir.join(name);
    std::fs::write(&p, format!("{text}\n{known}")).unwrap();
    p
}

fn fixture_lines() -> usize {
    std::fs::read_to_string(common::repo().join("tests/fixtures/series/matrix.toml"))
        .unwrap()
        .lines()
        .count()
}

fn series(name: &str, m: &Path, extra: &[&str]) -> (i32, String, String, Value, String) {
    let out = common::out_dir(name);
    let mbox = common::repo().join("tests/fixtures/series/pud-test.mbox");
    let (code, stdout, stderr) = common::run(
        common::kcross()
            .arg("series")
            .arg(&mbox)
            .arg(m)
            .arg("--out")
            .arg(&out)
            .args(["-j", "2"])
            .args(extra),
    );
    let dir = out.join("latest-series");
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("series.json"))
            .unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}")),
    )
    .unwrap();
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    (code, stdout, stderr, r, junit)
}

/// The JUnit test case of `patch` in the suite of `cell`.
fn case<'a>(junit: &'a str, cell: &str, patch: &str) -> &'a str {
    let suite = junit
        .find(&format!("<testsuite name=\"{cell}\""))
        .unwrap_or_else(|| panic!("no suite {cell}:\n{junit}"));
    let s = &junit[suite..];
    let s = &s[..s.find("</testsuite>").unwrap()];
    let start = s
        .find(&format!("<testcase name=\"[{patch}]"))
        .unwrap_or_else(|| panic!("no case {patch} in {cell}:\n{s}"));
    let c = &s[start..];
    &c[..c.find("</testcase>").map_or(c.len(), |i| i + 11)]
}

#[test]
fn a_new_error_that_is_known_does_not_gate() {
    let d = tempfile::tempdir().unwrap();
    let errors = "[[known]]\nfile = \"mm/huge_memory.c\"\nseverity = \"error\"\ncells = [\"powerpc64le\"]\nreason = \"pud_sanitize_prot() lands on powerpc in patch 2\"\nlink = \"https://example.org/pud/2\"\n";
    let m = matrix(
        d.path(),
        "m.toml",
        &format!("{errors}\n[[known]]\nfile = \"mm/mprotect.c\"\npattern = \"unused variable\"\ncells = [\"x86_64\"]\nreason = \"the x86 maintainers know\"\n"),
    );
    let (code, stdout, stderr, r, junit) = series("known-series", &m, &[]);
    let all = format!("{stdout}\n{stderr}");
    // Only patch 3's warning on powerpc64le gates: the gate fails on that alone.
    assert_eq!(code, 1, "{all}");
    let findings = r["findings"].as_array().unwrap();
    let new = |patch: &str| -> Vec<&Value> {
        findings
            .iter()
            .filter(|f| f["patch"] == patch && f["kind"] == "new")
            .collect()
    };
    let p1 = new("1/4");
    assert!(!p1.is_empty(), "{all}");
    for f in &p1 {
        assert_eq!(f["severity"], "error", "{f}");
        assert_eq!(f["cells"], serde_json::json!([PPC]));
        assert_eq!(f["gating"], false, "a known new error does not gate: {f}");
        let at = f["known"][PPC].as_str().unwrap();
        assert!(
            at.ends_with(&format!("m.toml:{}:1", fixture_lines() + 2)),
            "{f}"
        );
    }
    let p3 = new("3/4");
    assert_eq!(p3.len(), 1, "{all}");
    let w = p3[0];
    assert_eq!(w["severity"], "warning");
    assert!(
        w["known"][X86].is_string() && w["known"][PPC].is_null(),
        "{w}"
    );
    assert_eq!(w["gating"], true, "still gates where it is not known: {w}");
    let gating: Vec<&Value> = findings.iter().filter(|f| f["gating"] == true).collect();
    assert_eq!(gating.len(), 1, "{gating:#?}");
    // JUnit: known where known (skipped, with the reason and link), failing where not.
    let c = case(&junit, PPC, "1/4");
    assert!(
        c.contains("<skipped") && c.contains("known issue: pud_sanitize_prot() lands on powerpc in patch 2 (https://example.org/pud/2)"),
        "{c}"
    );
    assert!(case(&junit, X86, "3/4").contains("<skipped"), "{junit}");
    assert!(case(&junit, PPC, "3/4").contains("<failure"), "{junit}");
    // Both entries occurred: none is stale.
    let states: Vec<&str> = r["known"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["known", "known"], "{all}");
    // The file-wide entry, errors only, matched exactly patch 1's errors (not the base's
    // -Wshadow warnings in the same file).
    let matched: Vec<&str> = r["known"]["entries"][0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["fingerprint"].as_str().unwrap())
        .collect();
    let mut p1_fps: Vec<&str> = p1
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    p1_fps.sort();
    let mut sorted = matched.clone();
    sorted.sort();
    assert_eq!(sorted, p1_fps, "{all}");

    // --last-only, the warning known everywhere: the gate passes, and the entry for patch
    // 1's errors, fixed within the series, never occurs in a step: stale, shown first.
    let m = matrix(
        d.path(),
        "last.toml",
        "[[known]]\nfile = \"mm/huge_memory.c\"\npattern = \"pud_sanitize_prot\"\ncells = [\"powerpc64le\"]\nreason = \"fixed by patch 2\"\n\n[[known]]\nfile = \"mm/mprotect.c\"\npattern = \"unused variable\"\nreason = \"known everywhere\"\n",
    );
    let (code, stdout, stderr, r, _) = series("known-series-last", &m, &["--last-only"]);
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 0, "{all}");
    let e = r["known"]["entries"].as_array().unwrap();
    assert_eq!(e[0]["state"], "stale", "{all}");
    assert_eq!(e[0]["issue"]["reason"], "fixed by patch 2");
    assert_eq!(e[1]["state"], "known");
    assert!(
        stdout.starts_with("1 stale known issue(s)"),
        "stale first in the terminal output:\n{stdout}"
    );
    assert!(stdout.contains("PASS: 1 new warning, 1 known"), "{stdout}");
}
