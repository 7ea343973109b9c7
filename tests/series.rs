//! `kcross series`: gating patch series on real kernels (linux-source-6.12), x86_64 and
//! powerpc64le, small targets (tests/fixtures/series/matrix.toml). The build dirs and the
//! series working copy live in the suite's shared cache, so only the first run of the suite
//! pays for the base builds.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    common::repo().join("tests/fixtures/series").join(p)
}

/// The real series, in shared/ beside the repository (as in CI).
fn shared_series(p: &str) -> PathBuf {
    common::repo().join("../shared/series").join(p)
}

fn matrix() -> String {
    fixture("matrix.toml").display().to_string()
}

/// `kcross series SERIES MATRIX --out OUT -j 2 [extra]`
fn series(name: &str, series: &str, extra: &[&str]) -> (i32, String, String, PathBuf) {
    let out = common::out_dir(name);
    let mut cmd = common::kcross();
    cmd.arg("series")
        .arg(series)
        .arg(matrix())
        .arg("--out")
        .arg(&out)
        .args(["-j", "2"])
        .args(extra);
    let (code, stdout, stderr) = common::run(&mut cmd);
    (code, stdout, stderr, out)
}

fn load(out: &Path) -> Value {
    let p = out.join("latest-series/series.json");
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

fn findings<'a>(r: &'a Value, patch: &str, kind: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["patch"] == patch && f["kind"] == kind)
        .collect()
}

fn arches(f: &Value) -> Vec<&str> {
    f["arches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// The cached (unpacked) source must never be written by a series gate.
fn cached_source_untouched() {
    let src = common::cache().join("src");
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let tree = entry.path().join("linux-source-6.12");
        if !tree.is_dir() {
            continue;
        }
        for (file, needle) in [
            ("mm/huge_memory.c", "pud_sanitize_prot"),
            ("mm/mprotect.c", "nr_huge_puds"),
            ("arch/x86/include/asm/pgtable.h", "pud_sanitize_prot"),
        ] {
            let text = std::fs::read_to_string(tree.join(file)).unwrap();
            assert!(
                !text.contains(needle),
                "the cached source {} was written",
                tree.join(file).display()
            );
        }
    }
}

#[test]
fn v1_on_plain_6_12_stops_at_patch_1_before_building_anything() {
    let (code, stdout, stderr, out) = series(
        "series-v1-612",
        shared_series("pud-v1-with-cover.mbox").to_str().unwrap(),
        &[],
    );
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 2, "{all}");
    assert!(
        stderr.contains("patch 1/7 \"mm/dax: Dump start address in fault handler\""),
        "{all}"
    );
    assert!(stderr.contains("does not apply: drivers/dax/device.c: hunk #1 `@@ -235,9 +235,9 @@ static vm_fault_t dev_dax_huge_fault("), "{all}");
    assert!(!stderr.contains("step 1/"), "nothing may be built: {all}");
    assert!(
        !out.join("runs").exists() && !out.join("latest").exists(),
        "no results may be written"
    );
    cached_source_untouched();
}

#[test]
fn a_patch_that_does_not_apply_names_patch_file_and_hunk_and_writes_nothing() {
    let dir = fixture("does-not-apply");
    let (code, stdout, stderr, out) = series("series-no-apply", dir.to_str().unwrap(), &[]);
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 2, "{all}");
    assert!(
        stderr.contains("patch 2/2 \"mm/huge_memory: written against another tree\""),
        "{all}"
    );
    assert!(
        stderr.contains("0002-mm-huge_memory-written-against-another-tree.patch"),
        "{all}"
    );
    assert!(
        stderr.contains("mm/huge_memory.c: hunk #2 `@@ -2616,7 +2616,7 @@ int zap_huge_pud("),
        "{all}"
    );
    assert!(stderr.contains("nothing was built or written"), "{all}");
    assert!(
        !out.join("runs").exists() && !out.join("latest").exists(),
        "no results may be written"
    );
    cached_source_untouched();
}

#[test]
fn a_missing_series_or_patch_number_is_bad_input() {
    let (code, _, stderr, out) = series("series-missing", "/nonexistent/series.mbox", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("/nonexistent/series.mbox") && stderr.contains("no such file"),
        "{stderr}"
    );
    assert!(!out.join("runs").exists());
}

/// The test series, patch by patch: patch 1 breaks powerpc64le only, patch 2 fixes it, patch
/// 3 adds an unused variable on both, patch 4 moves base warnings and is clean.
#[test]
fn per_patch_gate_attributes_new_and_fixed_diagnostics() {
    let mbox = fixture("pud-test.mbox");
    let (code, stdout, stderr, out) = series("series-gate", mbox.to_str().unwrap(), &[]);
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 1, "new errors and warnings fail the gate: {all}");
    let r = load(&out);
    let steps = r["steps"].as_array().unwrap();
    let labels: Vec<&str> = steps.iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["base", "1/4", "2/4", "3/4", "4/4"], "{all}");
    // The base builds on both cells, with -Wshadow warnings.
    for c in steps[0]["cells"].as_array().unwrap() {
        assert_eq!(c["result"]["verdict"], "pass", "{}", c["result"]["reason"]);
        assert!(
            c["result"]["warnings"].as_u64().unwrap() >= 3,
            "the base must have warnings: {c}"
        );
    }

    // 1/4: new errors on powerpc64le only, attributed to patch 1 and its subject.
    let new1 = findings(&r, "1/4", "new");
    assert!(!new1.is_empty(), "{all}");
    for f in &new1 {
        assert_eq!(arches(f), ["powerpc64le"], "{f}");
        assert_eq!(f["severity"], "error");
        assert_eq!(
            f["subject"],
            "mm/huge_memory: drop software bits when changing a huge PUD"
        );
        assert_eq!(f["diagnostic"]["file"], "mm/huge_memory.c");
        assert!(f["gating"].as_bool().unwrap());
    }
    assert!(
        new1.iter().any(|f| f["diagnostic"]["message"]
            .as_str()
            .unwrap()
            .contains("pud_sanitize_prot")),
        "{all}"
    );

    // 2/4: the same diagnostics fixed there, nothing new anywhere.
    let fixed2 = findings(&r, "2/4", "fixed");
    let mut fp1: Vec<&str> = new1
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let mut fp2: Vec<&str> = fixed2
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    fp1.sort();
    fp2.sort();
    assert_eq!(fp1, fp2, "{all}");
    assert!(fixed2.iter().all(|f| arches(f) == ["powerpc64le"]));
    assert!(findings(&r, "2/4", "new").is_empty(), "{all}");

    // 3/4: one new warning, on both arches.
    let new3 = findings(&r, "3/4", "new");
    assert_eq!(new3.len(), 1, "{all}");
    assert_eq!(new3[0]["severity"], "warning");
    assert_eq!(new3[0]["diagnostic"]["flag"], "-Wunused-variable");
    assert!(new3[0]["diagnostic"]["message"]
        .as_str()
        .unwrap()
        .contains("nr_huge_puds"));
    assert_eq!(new3[0]["diagnostic"]["file"], "mm/mprotect.c");
    assert_eq!(arches(new3[0]), ["x86_64", "powerpc64le"]);

    // 4/4 moves the base's warnings in mm/huge_memory.c down 6 lines: nothing new, nothing
    // fixed, and no base warning is ever reported as new.
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["step"] != 4),
        "{all}"
    );
    let shadow = |step: &Value| -> Vec<u64> {
        let mut v: Vec<u64> = step["cells"][0]["result"]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["file"] == "mm/huge_memory.c" && d["flag"] == "-Wshadow")
            .map(|d| d["line"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    let (before, after) = (shadow(&steps[3]), shadow(&steps[4]));
    assert!(
        !before.is_empty(),
        "the base has -Wshadow warnings in mm/huge_memory.c: {all}"
    );
    assert_eq!(
        after,
        before.iter().map(|l| l + 6).collect::<Vec<_>>(),
        "patch 4 moves them"
    );
    let base_fps: Vec<&str> = steps[0]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["result"]["diagnostics"].as_array().unwrap())
        .map(|d| d["fingerprint"].as_str().unwrap())
        .collect();
    for f in r["findings"].as_array().unwrap() {
        if f["kind"] == "new" {
            assert!(
                !base_fps.contains(&f["fingerprint"].as_str().unwrap()),
                "a base diagnostic reported as new: {f}"
            );
        }
    }

    // Incremental: a patch step recompiles a handful of units, not the tree.
    for s in &steps[1..] {
        for c in s["cells"].as_array().unwrap() {
            assert!(
                c["rebuilt"].as_u64().unwrap() <= 10,
                "step {} rebuilt {}",
                s["label"],
                c["rebuilt"]
            );
        }
    }

    // The grid, JUnit and the reply.
    assert!(
        stdout.contains("+2E") && stdout.contains("fixed 2") && stdout.contains("+1W"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL:"), "{stdout}");
    let junit = std::fs::read_to_string(out.join("latest/junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 8, "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 3, "{junit}");
    assert!(junit.contains("pud_sanitize_prot"), "{junit}");
    let md = std::fs::read_to_string(out.join("latest/report.md")).unwrap();
    assert!(
        md.starts_with("Subject: Re: [PATCH v2 0/4] kcross test series"),
        "{md}"
    );
    assert!(
        md.contains(
            "## [PATCH v2 1/4] mm/huge_memory: drop software bits when changing a huge PUD"
        ),
        "{md}"
    );
    assert!(md.contains("powerpc64le: 2 new errors:"), "{md}");
    assert!(md.contains("mm/huge_memory.c:2429:"), "{md}");
    assert!(md.contains("x86_64, powerpc64le: 1 new warning:"), "{md}");
    assert!(md.contains("mm/mprotect.c:436:"), "{md}");
    cached_source_untouched();
}

/// --last-only: base and the whole series. Patch 1's error is fixed within the series, so
/// only patch 3's warning is new; --fail-on new-errors lets it pass.
#[test]
fn last_only_with_fail_on_new_errors() {
    let mbox = fixture("pud-test.mbox");
    let (code, stdout, stderr, out) = series(
        "series-last-only",
        mbox.to_str().unwrap(),
        &["--last-only", "--fail-on", "new-errors"],
    );
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 0, "{all}");
    let r = load(&out);
    let labels: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["base", "1-4/4"]);
    let new = findings(&r, "1-4/4", "new");
    assert_eq!(new.len(), 1, "{all}");
    assert_eq!(new[0]["severity"], "warning");
    assert_eq!(new[0]["gating"], false);
    assert!(
        stdout.contains("PASS: 1 new warning, not gated (--fail-on new-errors)"),
        "{stdout}"
    );
    cached_source_untouched();
}

/// The real series on its real base: v5 (as merged in v6.11) gates clean, patch by patch, on
/// x86_64 and powerpc64le; v1 on the same base breaks powerpc64le at 4/7. Needs a git tree
/// (made once in the suite's cache: the 6.12 tarball, committed with a fixed identity and
/// date so its key is stable, then shared/series/make-v5-base). It builds only the objects
/// the series touches (tests/fixtures/series/matrix.toml): about 5 minutes cold on 2 cores
/// (unpack, git add, copy, two base builds), in the suite like every other test.
#[test]
fn real_v5_and_v1_on_the_v5_base() {
    let root = common::cache().join("v5-git");
    let tree = root.join("linux-source-6.12");
    let done = root.join("v5-base.done");
    std::fs::create_dir_all(&root).unwrap();
    let _lock = kcross::util::FileLock::acquire(&root.join("lock")).unwrap();
    let sh = |cmd: &mut std::process::Command| {
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&tree);
        sh(std::process::Command::new("tar")
            .args(["-xf", "/usr/src/linux-source-6.12.tar.xz", "-C"])
            .arg(&root));
        let git = |args: &[&str]| {
            let mut c = std::process::Command::new("git");
            c.arg("-C").arg(&tree).args(args);
            for (k, v) in [
                ("GIT_AUTHOR_NAME", "kcross"),
                ("GIT_AUTHOR_EMAIL", "kcross@example.org"),
                ("GIT_COMMITTER_NAME", "kcross"),
                ("GIT_COMMITTER_EMAIL", "kcross@example.org"),
                ("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z"),
                ("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z"),
            ] {
                c.env(k, v);
            }
            c
        };
        sh(&mut git(&["init", "-q"]));
        sh(&mut git(&["add", "-A", "-f"]));
        sh(&mut git(&["commit", "-q", "-m", "linux-source-6.12"]));
        sh(std::process::Command::new(shared_series("make-v5-base")).arg(&tree));
        std::fs::write(&done, "").unwrap();
    }
    let src = tree.display().to_string();

    let (code, stdout, stderr, out) = series(
        "series-v5",
        shared_series("pud-v5-with-cover.mbox").to_str().unwrap(),
        &[
            "--source",
            &src,
            "--format",
            "patchwork",
            "--patchwork-url",
            "https://patchwork.example.org",
        ],
    );
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 0, "{all}");
    let r = load(&out);
    // Patchwork: every patch succeeds on both cells; stdout holds the requests.
    let checks = patchwork_checks(&out);
    assert_eq!(checks.len(), 14, "{all}");
    assert!(
        checks.iter().all(|c| c["check"]["state"] == "success"),
        "{checks:?}"
    );
    let requests: Vec<Value> = serde_json::from_str(&stdout).expect("requests on stdout");
    assert_eq!(
        requests.iter().filter(|q| q["method"] == "GET").count(),
        7,
        "{stdout}"
    );
    assert_eq!(
        requests[0]["url"],
        "https://patchwork.example.org/api/patches/?msgid=20240812181225.1360970-2-peterx%40redhat.com"
    );
    assert!(out.join("latest-series/patchwork-requests.json").is_file());
    assert!(
        replies(&out).is_empty(),
        "a clean series gets no mail: {:?}",
        replies(&out)
    );
    assert_eq!(r["steps"].as_array().unwrap().len(), 8, "base + 7: {all}");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "new"),
        "{all}"
    );
    for s in r["steps"].as_array().unwrap() {
        for c in s["cells"].as_array().unwrap() {
            assert_eq!(
                c["result"]["verdict"], "pass",
                "{} {}: {all}",
                s["label"], c["result"]["cell"]
            );
        }
    }

    let (code, stdout, stderr, out) = series(
        "series-v1-on-v5-base",
        shared_series("pud-v1-with-cover.mbox").to_str().unwrap(),
        &["--source", &src, "--format", "mail"],
    );
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 1, "{all}");
    let r = load(&out);
    let new: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "new")
        .collect();
    assert!(!new.is_empty(), "{all}");
    for f in &new {
        assert_eq!(f["patch"], "4/7", "{f}");
        assert_eq!(f["subject"], "mm/powerpc: Add missing pud helpers");
        assert_eq!(arches(f), ["powerpc64le"]);
        assert_eq!(
            f["diagnostic"]["file"],
            "arch/powerpc/mm/book3s64/pgtable.c"
        );
    }
    assert!(
        new.iter().any(|f| f["diagnostic"]["message"]
            .as_str()
            .unwrap()
            .contains("conflicting types for ‘pudp_invalidate’")),
        "{all}"
    );

    // Patchwork (from the run's files, as posted): 4/7 fails on powerpc64le, nothing else.
    let checks = patchwork_checks(&out);
    assert_eq!(checks.len(), 14);
    for c in &checks {
        let fail = c["patch"] == "4/7" && c["cell"] == "powerpc64le-gcc-pud";
        assert_eq!(
            c["check"]["state"],
            if fail { "fail" } else { "success" },
            "{c}"
        );
        assert_eq!(
            c["check"]["context"],
            format!("kcross-{}", c["cell"].as_str().unwrap())
        );
    }
    // Mail: one reply, to 4/7, threaded under it; `>>` on exactly the new diagnostics.
    let mails = replies(&out);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (name, mail) = &mails[0];
    assert_eq!(name, "reply-4.eml");
    assert!(
        mail.contains("\nIn-Reply-To: <20240621142504.1940209-5-peterx@redhat.com>\n"),
        "{mail}"
    );
    assert!(mail.contains("\nkcross noticed the following build errors:\n"));
    assert!(mail.contains("\nAll errors (new ones prefixed by >>):\n"));
    let marked: Vec<&str> = mail.lines().filter_map(|l| l.strip_prefix(">> ")).collect();
    assert_eq!(marked.len(), new.len(), "{mail}");
    for f in &new {
        let d = &f["diagnostic"];
        let at = format!(
            "{}:{}:{}: error: {}",
            d["file"].as_str().unwrap(),
            d["line"],
            d["column"],
            d["message"].as_str().unwrap()
        );
        assert!(
            marked.iter().any(|m| m.starts_with(&at)),
            "{at} not marked in\n{mail}"
        );
    }
    // The unit's pre-existing -Wshadow warning (arch/powerpc/include/asm/kexec.h, included
    // from pgtable.c) is there, unmarked.
    assert!(
        mail.lines().any(
            |l| l.starts_with("   arch/powerpc/include/asm/kexec.h:") && l.contains("warning:")
        ),
        "{mail}"
    );
    // stdout (--format mail) is the same reply, as an mbox.
    assert!(stdout.starts_with("From kcross "), "{stdout}");
    assert!(stdout.contains(mail.as_str()));
}

fn patchwork_checks(out: &Path) -> Vec<Value> {
    let p = out.join("latest-series/patchwork.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// (file name, text) of every reply-*.eml of the latest series run.
fn replies(out: &Path) -> Vec<(String, String)> {
    let dir = out.join("latest-series");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("reply-") && n.ends_with(".eml"))
        .map(|n| {
            let t = std::fs::read_to_string(dir.join(&n)).unwrap();
            (n, t)
        })
        .collect();
    v.sort();
    v
}

/// A series whose second patch writes through a symlink the first one created is refused
/// before anything is applied, naming the patch, the path and the link (series::policy).
#[test]
fn a_patch_writing_through_a_symlink_is_refused_before_anything_is_applied() {
    let dir = fixture("hostile");
    let (code, stdout, stderr, out) = series("series-hostile", dir.to_str().unwrap(), &[]);
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 2, "{all}");
    assert!(
        stderr.contains("patch 2/2 \"mm: write through the link\""),
        "{all}"
    );
    assert!(
        stderr.contains(
            "lib/into-mm/evil.c: goes through the symlink lib/into-mm an earlier patch created"
        ),
        "{all}"
    );
    assert!(
        stderr.contains("nothing was applied, built or written"),
        "{all}"
    );
    assert!(!stderr.contains("the series applies"), "{all}");
    assert!(
        !out.join("runs").exists() && !out.join("latest").exists(),
        "no results may be written"
    );
    cached_source_untouched();
}
