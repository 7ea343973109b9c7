//! `--partition K/N` and `kcross merge` on a real 9-cell matrix (two objects each of x86_64,
//! arm64, riscv64 and powerpc64le tinyconfigs, plus a third x86_64 object; gcc only, in the
//! tinyconfig build dirs the other tests share, so the matrix costs its 9 objects):
//! the three shards cover every cell once, merging their real results equals the
//! unpartitioned run, and merges that would not are refused (exit 2, both dirs named).

mod common;

use common::{kcross, out_dir, repo, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn nine() -> PathBuf {
    repo().join("tests/fixtures/shards/nine.toml")
}

fn plan_ids(matrix: &Path, partition: Option<&str>) -> Vec<String> {
    let mut c = kcross();
    c.arg("plan").arg(matrix).arg("--json");
    if let Some(p) = partition {
        c.args(["--partition", p]);
    }
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn build(matrix: &Path, out: &Path, partition: Option<&str>) -> Value {
    let mut c = kcross();
    c.arg("build")
        .arg(matrix)
        .arg("--out")
        .arg(out)
        .args(["-j2"]);
    if let Some(p) = partition {
        c.args(["--partition", p]);
    }
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    summary(out)
}

fn summary(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("latest-build/summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What a run found, cell by cell, in order: everything but times and paths.
fn findings(s: &Value) -> Vec<Value> {
    s["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            serde_json::json!({
                "cell": c["cell"], "verdict": c["verdict"], "failed_stage": c["failed_stage"],
                "reason": c["reason"], "config_key": c["config_key"], "errors": c["errors"],
                "warnings": c["warnings"], "diagnostics": c["diagnostics"],
            })
        })
        .collect()
}

fn merge(dirs: &[&Path], out: &Path) -> (i32, String, String) {
    let mut c = kcross();
    c.arg("merge").args(dirs).arg("--out").arg(out);
    run(&mut c)
}

#[test]
fn three_shards_cover_the_matrix_once_and_merge_into_the_unpartitioned_run() {
    let all = plan_ids(&nine(), None);
    assert_eq!(all.len(), 9);
    let shards: Vec<Vec<String>> = ["1/3", "2/3", "3/3"]
        .iter()
        .map(|p| plan_ids(&nine(), Some(p)))
        .collect();
    let mut covered: Vec<String> = shards.iter().flatten().cloned().collect();
    covered.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(covered, want, "every cell in exactly one shard");
    assert!(shards.iter().all(|s| s.len() == 3), "{shards:?}");
    // Pinned: the hash and the dealing must not change between kcross versions.
    assert_eq!(
        shards[0],
        [
            "arm64-gcc-tinyconfig-mm_mprotect.o",
            "riscv64-gcc-tinyconfig-mm_mprotect.o",
            "riscv64-gcc-msync"
        ]
    );

    let whole_dir = out_dir("shards-whole");
    let whole = build(&nine(), &whole_dir, None);
    let outs: Vec<PathBuf> = (1..=3)
        .map(|k| out_dir(&format!("shards-{k}of3")))
        .collect();
    for (k, out) in outs.iter().enumerate() {
        let s = build(&nine(), out, Some(&format!("{}/3", k + 1)));
        let ids: Vec<&str> = s["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cell"].as_str().unwrap())
            .collect();
        assert_eq!(ids, shards[k], "shard {} built its plan's cells", k + 1);
        assert_eq!(s["shard"]["partition"]["k"], k + 1);
    }

    let merged_out = out_dir("shards-merged");
    let dirs: Vec<&Path> = outs.iter().map(PathBuf::as_path).collect();
    // Given in another order than 1, 2, 3: the merged run is in the plan's order anyway.
    let (code, _, err) = merge(&[dirs[2], dirs[0], dirs[1]], &merged_out);
    assert_eq!(code, 0, "{err}");
    let merged = summary(&merged_out);
    assert_eq!(findings(&merged), findings(&whole));
    assert_eq!(merged["known"], whole["known"]);
    assert!(
        merged.get("shard").is_none(),
        "the merged run is a whole run"
    );
    let run_dir = merged_out.join("latest-build");
    for id in &all {
        let cell = run_dir.join("cells").join(id);
        assert!(cell.join("build.log").is_file(), "{id}: build.log copied");
        let r: Value =
            serde_json::from_str(&std::fs::read_to_string(cell.join("result.json")).unwrap())
                .unwrap();
        assert_eq!(r["complete"], true);
        let dir = r["dir"].as_str().unwrap();
        assert!(
            dir.starts_with(merged_out.to_str().unwrap()) && dir.ends_with(id.as_str()),
            "{dir}"
        );
    }
    // The JUnit file has one test case per cell, in the plan's order, like the whole run's.
    let cases = |p: &Path| -> Vec<String> {
        let x = std::fs::read_to_string(p).unwrap();
        x.split("<testcase name=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        cases(&run_dir.join("junit.xml")),
        cases(
            &whole["out_dir"]
                .as_str()
                .map(PathBuf::from)
                .unwrap()
                .join("junit.xml")
        )
    );
    assert!(std::fs::read_to_string(run_dir.join("report.txt"))
        .unwrap()
        .contains("x86_64-gcc-memory"));

    // Counter-cases, each refused with exit 2 and nothing written.
    let refused = |dirs: &[&Path], why: &str, named: &[&Path]| {
        let out = out_dir("shards-refused");
        let (code, _, err) = merge(dirs, &out);
        assert_eq!(code, 2, "{why}: {err}");
        assert!(err.contains(why), "{why}: {err}");
        for d in named {
            assert!(err.contains(&d.display().to_string()), "{d:?} named: {err}");
        }
        assert!(!out.join("latest-build").exists(), "{err}");
        assert!(
            !out.join("runs").exists()
                || std::fs::read_dir(out.join("runs"))
                    .unwrap()
                    .next()
                    .is_none()
        );
    };
    // 1/3 with 1/3.
    refused(&[dirs[0], dirs[0]], "overlapping shards", &[dirs[0]]);
    // A missing shard.
    refused(&[dirs[0], dirs[1]], "3/3 of plan", &[]);
    // The unpartitioned run is no shard.
    refused(&[dirs[0], &whole_dir], "not a shard", &[&whole_dir]);
    // A shard of another matrix (the same cells under another name).
    let t = out_dir("shards-other-matrix");
    let other = t.join("other.toml");
    std::fs::write(
        &other,
        std::fs::read_to_string(nine())
            .unwrap()
            .replace("name = \"shards9\"", "name = \"other9\""),
    )
    .unwrap();
    let other_out = t.join("out");
    build(&other, &other_out, Some("2/3"));
    refused(
        &[dirs[0], &other_out, dirs[2]],
        "shards of different plans",
        &[dirs[0], &other_out],
    );
}

#[test]
fn a_run_that_is_no_shard_or_did_not_finish_is_refused() {
    let t = out_dir("shards-not-a-shard");
    // No results at all.
    let (code, _, err) = merge(&[&t], &t.join("merged"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a kcross results dir"), "{err}");
    // An interrupted run's summary ("complete": false).
    let run = t.join("runs/20260101-000000-shards9");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(
        run.join("summary.json"),
        r#"{"complete": false, "interrupted_by": "SIGTERM", "matrix": "shards9", "started_at": "x", "wall_s": 1.0, "cells": [], "interrupted_cells": ["a"]}"#,
    )
    .unwrap();
    let (code, _, err) = merge(&[&run], &t.join("merged"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("interrupted run"), "{err}");
    assert!(
        !t.join("merged").exists(),
        "a refused merge leaves no --out"
    );
}

#[test]
fn the_longest_expected_cell_starts_first_and_results_keep_the_plan_order() {
    // One cell at a time, no history: the arches' measured cold times rank the cells
    // (powerpc64le 1208 s, arm64 986, x86_64 707, riscv64 453), ties in the matrix's order.
    let out = out_dir("shards-order");
    let (code, _, err) = run(kcross()
        .arg("build")
        .arg(nine())
        .arg("--out")
        .arg(&out)
        .args(["-j2", "--cells-at-once", "1"]));
    assert_eq!(code, 0, "{err}");
    let started: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_suffix("] build")?.strip_prefix('['))
        .collect();
    let arches: Vec<&str> = started
        .iter()
        .map(|id| id.split('-').next().unwrap())
        .collect();
    assert_eq!(
        arches,
        [
            "powerpc64le",
            "powerpc64le",
            "arm64",
            "arm64",
            "x86_64",
            "x86_64",
            "x86_64",
            "riscv64",
            "riscv64"
        ],
        "{err}"
    );
    let s = summary(&out);
    let ids: Vec<String> = s["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cell"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        plan_ids(&nine(), None),
        "the summary in the plan's order"
    );
}
