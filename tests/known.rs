//! Known issues on a real kernel: one arm64 object (mm/mprotect.o, tinyconfig) of a copy of
//! linux-source-6.12 with an injected compile error. Without a `[[known]]` entry the build
//! fails (exit 1); with one matching the error (by its fingerprint, or by file + pattern) it
//! exits 0 and reports the cell known in the table, JSON and JUnit (skipped, with the reason
//! and link); an entry that matches nothing is stale, shown first, and fails nothing; an
//! entry whose pattern does not match leaves the build failing; the nightly reports a known
//! failure apart from regressions (exit 0). Bad entries exit 2 naming
//! file:line:col. All builds share one build dir (the copy sits at a fixed path, and build
//! dirs of a directory source are keyed by its path), so only the first one is cold.

mod common;

use common::{kcross, out_dir, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

const CELL: &str = "arm64-gcc-obj";
const HEAD: &str = "name = \"known-test\"\n[[build]]\nname = \"obj\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The tree copy with the injected error, at a fixed path (remade on every run).
fn broken_copy() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("known-tree");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let (tree, copy) = common::tree_copy_612(&base);
    common::append_to_copy(
        &tree,
        &copy,
        "mm/mprotect.c",
        "\nint kcross_known_break(void) { return kcross_known_undeclared; }\n",
    );
    copy
}

/// `kcross build MATRIX --json`: (exit code, JSON, stderr, junit.xml).
fn build(m: &Path, copy: &Path, name: &str) -> (i32, Value, String, String) {
    let out = out_dir(name);
    let (code, stdout, stderr) = run(kcross()
        .arg("build")
        .arg(m)
        .arg("--source")
        .arg(copy)
        .args(["-j", "2", "--json", "--out"])
        .arg(&out));
    let v: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON ({e}):\n{stdout}\n{stderr}"));
    let junit = std::fs::read_to_string(out.join("latest-build/junit.xml")).unwrap();
    (code, v, stderr, junit)
}

/// The `<testcase name=NAME ...>...</testcase>` element of a JUnit file.
fn testcase<'a>(junit: &'a str, name: &str) -> &'a str {
    let start = junit
        .find(&format!("<testcase name=\"{name}\""))
        .unwrap_or_else(|| panic!("no testcase {name}:\n{junit}"));
    let rest = &junit[start..];
    let end = rest
        .find("</testcase>")
        .map(|i| i + "</testcase>".len())
        .or_else(|| rest.find("/>").map(|i| i + 2))
        .unwrap();
    &rest[..end]
}

#[test]
fn a_known_issue_turns_a_real_failure_green_and_a_stale_one_is_reported_first() {
    let copy = broken_copy();
    let d = tempfile::tempdir().unwrap();

    // 1. No entry: the injected code fails the build, with two errors (gcc also makes
    //    `-Werror=return-type` of the missing return on arm64).
    let m = write(d.path(), "plain.toml", HEAD);
    let (code, v, stderr, junit) = build(&m, &copy, "known-plain");
    assert_eq!(code, 1, "{stderr}");
    let errors: Vec<Value> = v["cells"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .cloned()
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors.iter().all(|e| e["file"] == "mm/mprotect.c"));
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("kcross_known_undeclared"));
    let fp: Vec<String> = errors
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert!(v["known"]["known_cells"].as_object().unwrap().is_empty());
    assert!(testcase(&junit, CELL).contains("<failure"), "{junit}");

    // 2a. Counter-case: only the first error known by its fingerprint: the entry occurs,
    //     but the other error still fails the cell and the run.
    let entry = |fp: &str| {
        format!("\n[[known]]\nfingerprint = \"{fp}\"\nreason = \"broken on purpose <by the test>\"\nlink = \"https://example.org/bug/13\"\n")
    };
    let m = write(d.path(), "fp1.toml", &format!("{HEAD}{}", entry(&fp[0])));
    let (code, v, stderr, junit) = build(&m, &copy, "known-fp1");
    assert_eq!(code, 1, "one error is not known:\n{stderr}");
    assert_eq!(v["known"]["entries"][0]["state"], "known");
    assert!(v["known"]["known_cells"].as_object().unwrap().is_empty());
    assert!(testcase(&junit, CELL).contains("<failure"), "{junit}");

    // 2b. Both errors known by their fingerprints: exit 0, the cell is known everywhere.
    let m = write(
        d.path(),
        "fp.toml",
        &format!("{HEAD}{}{}", entry(&fp[0]), entry(&fp[1])),
    );
    let (code, v, stderr, junit) = build(&m, &copy, "known-fp");
    assert_eq!(code, 0, "a known failure does not fail the run:\n{stderr}");
    assert_eq!(
        v["cells"][0]["verdict"], "fail",
        "the verdict stays what happened"
    );
    let at = |line: usize| format!("{}:{line}:1", m.display());
    assert_eq!(
        v["known"]["known_cells"][CELL],
        serde_json::json!([at(8), at(13)])
    );
    let entries = v["known"]["entries"].as_array().unwrap();
    for (e, fp) in entries.iter().zip(&fp) {
        assert_eq!(e["state"], "known");
        assert_eq!(e["matches"][0]["fingerprint"], fp.as_str());
        assert_eq!(e["matches"][0]["cell"], CELL);
    }
    let tc = testcase(&junit, CELL);
    assert!(tc.contains("<skipped"), "{tc}");
    assert!(!tc.contains("<failure"), "{tc}");
    assert!(
        tc.contains(
            "known issue: broken on purpose &lt;by the test&gt; (https://example.org/bug/13)"
        ),
        "reason and link in the skipped message, escaped:\n{tc}"
    );
    assert!(stderr.contains("1 cell(s), 0 failed, 1 known"), "{stderr}");

    // 3. Known by file + pattern, with a second entry that matches nothing: exit 0, the
    //    second is stale and comes first (in JSON and in the terminal text).
    let m = write(
        d.path(),
        "pattern.toml",
        &format!("{HEAD}\n[[known]]\nfile = \"mm/*.c\"\npattern = \"'kcross_known_[a-z]+' undeclared|control reaches end\"\ncells = [\"arm64\"]\nreason = \"injected\"\n\n[[known]]\nfile = \"mm/huge_memory.c\"\npattern = \"gone long ago\"\nreason = \"fixed upstream\"\nlink = \"https://example.org/bug/7\"\n"),
    );
    let (code, v, stderr, junit) = build(&m, &copy, "known-pattern");
    assert_eq!(code, 0, "{stderr}");
    let entries = v["known"]["entries"].as_array().unwrap();
    assert_eq!(entries[0]["state"], "stale");
    assert_eq!(entries[0]["issue"]["at"], format!("{}:14:1", m.display()));
    assert_eq!(entries[0]["applies_to"], serde_json::json!([CELL]));
    assert_eq!(entries[1]["state"], "known");
    assert!(v["known"]["known_cells"][CELL].is_array());
    // The human text (on stderr with --json) starts with the stale entry, before the table.
    let stale_at = stderr.find("stale known issue(s)").expect(&stderr);
    let table_at = stderr.find("CELL").expect(&stderr);
    assert!(stale_at < table_at, "stale first:\n{stderr}");
    assert!(stderr.contains("fixed upstream (https://example.org/bug/7)"));
    assert!(testcase(&junit, CELL).contains("<skipped"), "{junit}");
    let stale = testcase(&junit, &format!("{}:14:1", m.display()));
    assert!(
        stale.contains("type=\"stale\"") && stale.contains("no longer occurs"),
        "{stale}"
    );

    // 4. Counter-case: the same file with a pattern that does not match the error: the
    //    build fails again, and the entry is stale.
    let m = write(
        d.path(),
        "miss.toml",
        &format!("{HEAD}\n[[known]]\nfile = \"mm/mprotect.c\"\npattern = \"implicit declaration\"\nreason = \"something else\"\n"),
    );
    let (code, v, stderr, junit) = build(&m, &copy, "known-miss");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(v["known"]["entries"][0]["state"], "stale");
    assert!(v["known"]["known_cells"].as_object().unwrap().is_empty());
    assert!(testcase(&junit, CELL).contains("<failure"), "{junit}");

    // 5. The nightly, each on a fresh history: a failing new cell is a regression (exit 1),
    //    unless its failure is known (exit 0, listed as known; the reports, rendered from
    //    the history, show the stale entry first).
    let nightly = |m: &Path, name: &str| {
        let out = out_dir(name);
        let (code, stdout, stderr) = run(kcross()
            .arg("nightly")
            .arg(m)
            .arg("--source")
            .arg(&copy)
            .args(["-j", "2", "--out"])
            .arg(&out));
        let dir = std::fs::canonicalize(out.join("latest")).unwrap();
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        (code, format!("{stdout}\n{stderr}"), stdout, report, html)
    };
    let (code, all, _, report, html) = nightly(&d.path().join("plain.toml"), "known-night-plain");
    assert_eq!(code, 1, "{all}");
    assert_eq!(
        report["comparison"]["regressions"][0]["cell"], CELL,
        "{all}"
    );
    assert!(!html.contains("id=\"known\""));
    let (code, all, md, report, html) =
        nightly(&d.path().join("pattern.toml"), "known-night-pattern");
    assert_eq!(code, 0, "a known failure is no regression:\n{all}");
    let c = &report["comparison"];
    assert!(c["regressions"].as_array().unwrap().is_empty(), "{c}");
    assert_eq!(c["known"][0]["cell"], CELL, "{c}");
    assert_eq!(
        report["run"]["summary"]["known"]["entries"][0]["state"], "stale",
        "read back from the history"
    );
    let section = &html[html.find("<section id=\"known\"").expect(&html)..];
    let section = &section[..section.find("</section>").unwrap()];
    let stale = section.find("fixed upstream").expect(section);
    let known = section.find("injected").expect(section);
    assert!(stale < known, "stale first:\n{section}");
    assert!(
        section.contains("&#39;kcross_known_[a-z]+&#39;"),
        "escaped:\n{section}"
    );
    let stale_md = md.find("1 stale known issue(s)").expect(&md);
    assert!(stale_md < md.find("## Regressions").unwrap(), "{md}");
}

#[test]
fn bad_known_entries_exit_2_naming_the_place() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[known]]\nfile = \"mm/x.c\"\nreason = \"r\"\ncolour = 1\n",
            ":11:1",
            "colour",
        ),
        (
            "[[known]]\npattern = \"a(b\"\nreason = \"r\"\n",
            ":9:11",
            "not a regular expression",
        ),
        ("[[known]]\nfile = \"mm/x.c\"\n", ":8:1", "needs a `reason`"),
        (
            "[[known]]\nreason = \"r\"\n",
            ":8:1",
            "needs a `fingerprint`",
        ),
        (
            "[[known]]\nfingerprint = \"xyz\"\nreason = \"r\"\n",
            ":9:15",
            "16 hex digits",
        ),
        (
            "[[known]]\nseverity = \"fatal\"\nfile = \"mm/x.c\"\nreason = \"r\"\n",
            ":9:12",
            "`error` or `warning`",
        ),
        (
            "[[known]]\nfile = \"mm/x.c\"\ncells = [\"riscv64\"]\nreason = \"r\"\n",
            ":8:1",
            "matches no cell or arch",
        ),
    ];
    for (i, (entry, at, what)) in cases.iter().enumerate() {
        let m = write(d.path(), &format!("m{i}.toml"), &format!("{HEAD}\n{entry}"));
        let (code, _, stderr) = run(kcross().arg("plan").arg(&m));
        assert_eq!(code, 2, "{entry}\n{stderr}");
        let want = format!("m{i}.toml{at}");
        assert!(
            stderr.contains(&want) && stderr.contains(what),
            "{entry}: want {want} and {what}:\n{stderr}"
        );
    }
    // The counter-case: an alias naming an arch of the matrix is fine.
    let m = write(
        d.path(),
        "ok.toml",
        &format!("{HEAD}\n[[known]]\nfile = \"mm/x.c\"\ncells = [\"aarch64\", \"arm64-*\"]\nreason = \"r\"\n"),
    );
    let (code, out, stderr) = run(kcross().arg("plan").arg(&m).arg("--json"));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["known"][0]["cells"],
        serde_json::json!(["arm64", "arm64-*"])
    );
}
