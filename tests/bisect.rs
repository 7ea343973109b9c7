//! `kcross bisect` on a real git history: linux-source-6.12 committed once, then 16 small
//! real changes in mm/ and arch/ made by this test (fixed author and dates, built once under
//! the suite's cache, with a lock and a done-marker). Commit 5 brings an error on powerpc64le
//! only, commit 8 breaks the build of every arch another way and commit 9 mends it, commit 11
//! brings a new warning on every arch. Objects builds only (tests/fixtures/bisect/matrix.toml).

mod common;

use common::git_history::{after, before, history, repo_state, Change};
use serde_json::Value;
use std::path::{Path, PathBuf};

const POWERPC_ERROR: usize = 5;
const BREAKS: usize = 8;
const WARNING: usize = 11;

/// The 16 commits: small real changes to the three objects the matrix builds.
fn changes() -> Vec<Change> {
    let x86 = "arch/x86/mm/pgtable.c";
    let mpr = "mm/mprotect.c";
    let ppc = "arch/powerpc/mm/book3s64/pgtable.c";
    let thp = "mm/huge_memory.c";
    let pgd_free = "void pgd_free(struct mm_struct *mm, pgd_t *pgd)\n{\n";
    let pages = "\tlong pages = 0, ret;\n";
    let ppc_top = "#ifdef CONFIG_TRANSPARENT_HUGEPAGE\n/*\n * This is called when relaxing";
    let thp_init =
        "static int __init hugepage_init(void)\n{\n\tint err;\n\tstruct kobject *hugepage_kobj;\n";
    let stray = "\tstruct kobject *hugepage_kobj;\n\thugepage_init_defaults();\n";
    vec![
        after(
            x86,
            pgd_free,
            "\t/* the pmds go first, then the pgd itself */\n",
            "x86/mm: say in pgd_free() what goes first",
        ),
        after(
            mpr,
            pages,
            "\t/* pages: how many entries changed, or an error */\n",
            "mm/mprotect: document the pages count",
        ),
        before(
            ppc,
            ppc_top,
            "/* book3s64: the THP helpers follow */\n",
            "powerpc/book3s64: mark where the THP helpers start",
        ),
        after(
            thp,
            thp_init,
            "\t/* hugepage_kobj: the /sys/kernel/mm/transparent_hugepage directory */\n",
            "mm/huge_memory: name what hugepage_kobj is",
        ),
        // 5: an error on powerpc64le only (the file is powerpc's).
        before(
            ppc,
            ppc_top,
            "int book3s64_thp_flags = BOOK3S64_THP_DEFAULT_FLAGS;\n",
            "powerpc/book3s64: add THP flags",
        ),
        after(
            x86,
            pgd_free,
            "\t/* paravirt hooks see the pgd before it is freed */\n",
            "x86/mm: note the paravirt order in pgd_free()",
        ),
        after(
            mpr,
            pages,
            "\t/* ret: what change_prepare() said */\n",
            "mm/mprotect: document ret",
        ),
        // 8: breaks every arch another way (an undeclared function); 9 mends it.
        after(
            thp,
            thp_init,
            "\thugepage_init_defaults();\n",
            "mm/huge_memory: set the defaults first",
        ),
        Change {
            file: thp,
            old: stray,
            new: "\tstruct kobject *hugepage_kobj;\n".into(),
            subject: "mm/huge_memory: drop the stray defaults call",
        },
        before(
            ppc,
            ppc_top,
            "/* radix and hash share these */\n",
            "powerpc/book3s64: say who shares the THP helpers",
        ),
        // 11: a new warning on every arch (-Wunused-variable).
        after(
            mpr,
            pages,
            "\tint nr_skipped;\n",
            "mm/mprotect: count skipped entries",
        ),
        after(
            thp,
            thp_init,
            "\t/* err: the first failure, unwound below */\n",
            "mm/huge_memory: document err",
        ),
        after(
            x86,
            pgd_free,
            "\t/* a pgd of a dying mm */\n",
            "x86/mm: say whose pgd pgd_free() frees",
        ),
        after(
            mpr,
            pages,
            "\t/* walked pgd by pgd */\n",
            "mm/mprotect: say how the range is walked",
        ),
        before(
            ppc,
            ppc_top,
            "/* see also arch/powerpc/mm/pgtable.c */\n",
            "powerpc/book3s64: point at the generic helpers",
        ),
        after(
            thp,
            thp_init,
            "\t/* called once, at boot */\n",
            "mm/huge_memory: say when hugepage_init() runs",
        ),
    ]
}

fn matrix() -> String {
    common::repo()
        .join("tests/fixtures/bisect/matrix.toml")
        .display()
        .to_string()
}

/// `kcross bisect ... --json`: (exit code, the JSON result or Null, stderr).
fn bisect(name: &str, tree: &Path, args: &[&str]) -> (i32, Value, String, PathBuf) {
    let out = common::out_dir(name);
    let mut cmd = common::kcross();
    cmd.arg("bisect")
        .arg(matrix())
        .arg("--source")
        .arg(tree)
        .arg("--out")
        .arg(&out)
        .args(["-j", "2", "--json"])
        .args(args);
    let (code, stdout, stderr) = common::run(&mut cmd);
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (code, v, stderr, out)
}

fn sha(c: &Value) -> &str {
    c["sha"].as_str().unwrap()
}

fn roles<'a>(r: &'a Value, role: &str) -> Vec<&'a Value> {
    r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == role)
        .collect()
}

#[test]
fn bisects_a_real_history_to_the_error_and_the_warning_and_skips_the_breakage() {
    let (tree, revs) = history("bisect-git", &changes());
    let before = repo_state(&tree);
    let (good, bad) = (revs[0].as_str(), revs[16].as_str());

    // The powerpc64le-only error: the first new error by default.
    let (code, r, err, out) = bisect(
        "bisect-error",
        &tree,
        &[
            "--good",
            good,
            "--bad",
            bad,
            "--cell",
            "powerpc64le-gcc-objs",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["status"], "found", "{err}");
    assert_eq!(sha(&r["culprit"]), revs[POWERPC_ERROR], "{err}");
    assert_eq!(r["culprit"]["subject"], "powerpc/book3s64: add THP flags");
    let d = &r["target"]["diagnostic"];
    assert_eq!(d["file"], "arch/powerpc/mm/book3s64/pgtable.c", "{d}");
    assert_eq!(d["severity"], "error");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("BOOK3S64_THP_DEFAULT_FLAGS"),
        "{d}"
    );
    let steps = r["bisect_steps"].as_u64().unwrap();
    assert!(steps <= 5, "{steps} steps: {err}");
    assert_eq!(roles(&r, "step").len() as u64, steps);
    // Verification: the parent good and the culprit bad, each from a clean build dir.
    assert_eq!(r["verification"]["verdict"], "verified", "{err}");
    let checks = r["verification"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(sha(&checks[0]["commit"]), revs[POWERPC_ERROR - 1]);
    assert_eq!(checks[0]["verdict"], "good");
    assert_eq!(sha(&checks[1]["commit"]), revs[POWERPC_ERROR]);
    assert_eq!(checks[1]["verdict"], "bad");
    assert!(checks
        .iter()
        .all(|c| c["clean"] == true && c["cold"] == true));
    // The line, the mail, the JSON in the run dir, the history.
    let run = PathBuf::from(r["run_dir"].as_str().unwrap());
    let line = std::fs::read_to_string(run.join("first-bad.txt")).unwrap();
    assert!(
        line.starts_with(&format!(
            "first bad commit: {} powerpc/book3s64: add THP flags (powerpc64le-gcc-objs: arch/powerpc/mm/book3s64/pgtable.c:",
            revs[POWERPC_ERROR]
        )),
        "{line}"
    );
    let mail = std::fs::read_to_string(run.join("mail.txt")).unwrap();
    assert!(
        mail.starts_with("To: Ada Example <ada@example.org>\n"),
        "{mail}"
    );
    assert!(
        mail.contains("Hi Ada Example,") && mail.contains("\nReported-by: "),
        "{mail}"
    );
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("bisect.json")).unwrap()).unwrap();
    assert_eq!(on_disk["culprit"], r["culprit"]);
    let h = kcross::history::History::open(&out.join("history.sqlite")).unwrap();
    let rows = h.bisects().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].culprit.as_deref(),
        Some(revs[POWERPC_ERROR].as_str())
    );
    assert!(rows[0].verified);
    let fp = d["fingerprint"].as_str().unwrap().to_string();

    // The warning on x86_64: commit 8 fails another way (skipped, never blamed).
    let (code, r, err, _) = bisect(
        "bisect-warning",
        &tree,
        &[
            "--good",
            good,
            "--bad",
            bad,
            "--cell",
            "x86_64-gcc-objs",
            "--warning",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(sha(&r["culprit"]), revs[WARNING], "{err}");
    let d = &r["target"]["diagnostic"];
    assert_eq!(d["file"], "mm/mprotect.c", "{d}");
    assert_eq!(d["flag"], "-Wunused-variable", "{d}");
    let skipped: Vec<&str> = r["skipped"].as_array().unwrap().iter().map(sha).collect();
    assert_eq!(skipped, vec![revs[BREAKS].as_str()], "{err}");
    let skip = roles(&r, "step")
        .into_iter()
        .find(|s| s["verdict"] == "skip")
        .unwrap();
    assert!(
        skip["reason"]
            .as_str()
            .unwrap()
            .contains("fails for another reason: mm/huge_memory.c:"),
        "{skip}"
    );
    assert_eq!(r["verification"]["verdict"], "verified", "{err}");

    // Bad input: exit 2, a clear message, nothing built.
    let (code, _, err, _) = bisect(
        "bisect-no-rev",
        &tree,
        &[
            "--good",
            "v0.0-nonexistent",
            "--bad",
            bad,
            "--cell",
            "x86_64-gcc-objs",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--good v0.0-nonexistent: no such commit"),
        "{err}"
    );
    let (code, _, err, _) = bisect(
        "bisect-not-ancestor",
        &tree,
        &[
            "--good",
            bad,
            "--bad",
            &revs[POWERPC_ERROR],
            "--cell",
            "x86_64-gcc-objs",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not an ancestor of --bad"), "{err}");
    let (code, _, err) = common::run(
        common::kcross()
            .arg("bisect")
            .arg(matrix())
            .args(["--source", "linux-source-6.12", "--good", "a", "--bad", "b"])
            .args(["--cell", "x86_64-gcc-objs", "--out"])
            .arg(common::out_dir("bisect-not-git")),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bisect needs a git tree"), "{err}");
    // A good commit that is bad: it has the error chased.
    let (code, _, err, _) = bisect(
        "bisect-good-is-bad",
        &tree,
        &[
            "--good",
            &revs[POWERPC_ERROR + 1],
            "--bad",
            bad,
            "--cell",
            "powerpc64le-gcc-objs",
            "--error",
            &fp,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the good commit is bad for error"), "{err}");

    // The user's repository is exactly as it was.
    assert_eq!(repo_state(&tree), before);
}

/// A clone of the test history for a user whose nightly follows master: made once under the
/// cache; the test moves its HEAD as a user's `git pull` would.
fn follower(tree: &Path) -> PathBuf {
    let root = common::cache().join("bisect-nightly");
    let clone = root.join("linux");
    let done = root.join("clone.done");
    std::fs::create_dir_all(&root).unwrap();
    let _lock = kcross::util::FileLock::acquire(&root.join("lock")).unwrap();
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&clone);
        common::git_history::sh(
            std::process::Command::new("git")
                .args(["clone", "-q", "--shared"])
                .arg(tree)
                .arg(&clone),
        );
        std::fs::write(&done, "").unwrap();
    }
    clone
}

fn nightly(tree: &Path, out: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut cmd = common::kcross();
    cmd.arg("nightly")
        .arg(matrix())
        .args(["--arch", "powerpc64le", "--source"])
        .arg(tree)
        .arg("--out")
        .arg(out)
        .args(["-j", "2", "--format", "json"])
        .args(extra);
    let (code, stdout, stderr) = common::run(&mut cmd);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

#[test]
fn a_nightly_bisects_its_regression_and_shows_the_culprit_beside_it() {
    let (tree, revs) = history("bisect-git", &changes());
    let user = follower(&tree);
    let checkout = |rev: &str| {
        common::git_history::sh(&mut common::git_history::git_at(
            &user,
            &["checkout", "-q", "--detach", rev],
        ))
    };
    let out = common::out_dir("bisect-nightly");
    // Night 1 on the commit before the powerpc64le error: the baseline.
    checkout(&revs[POWERPC_ERROR - 1]);
    let (code, _, err) = nightly(&user, &out, &[]);
    assert_eq!(code, 0, "{err}");

    // Night 2, two commits later: the new error is a regression. Without budget nothing is
    // bisected, and the report says why beside the regression (the counter-case).
    checkout(&revs[POWERPC_ERROR + 1]);
    let (code, r, err) = nightly(&user, &out, &["--bisect", "--bisect-budget", "0s"]);
    assert_eq!(code, 1, "{err}");
    let regs = r["comparison"]["regressions"].as_array().unwrap();
    assert!(!regs.is_empty(), "{r}");
    let k = &regs[0]["culprit"];
    assert_eq!(k["status"], "not-bisected", "{k}");
    assert!(k["line"].as_str().unwrap().contains("budget"), "{k}");
    assert!(k["commit"].is_null());

    // Night 3 on the same commit again would compare with night 2 (no regression): go back
    // to the baseline's state by comparing against night 1 — a fresh history with both nights.
    let out = common::out_dir("bisect-nightly-2");
    checkout(&revs[POWERPC_ERROR - 1]);
    let (code, _, err) = nightly(&user, &out, &[]);
    assert_eq!(code, 0, "{err}");
    checkout(&revs[POWERPC_ERROR + 1]);
    let (code, r, err) = nightly(&user, &out, &["--bisect", "--bisect-budget", "30m"]);
    assert_eq!(code, 1, "{err}");
    let reg = &r["comparison"]["regressions"][0];
    assert_eq!(reg["kind"], "cell-fail", "{reg}");
    let k = &reg["culprit"];
    assert_eq!(k["status"], "found", "{k}\n{err}");
    assert_eq!(k["commit"]["sha"], revs[POWERPC_ERROR].as_str(), "{k}");
    assert_eq!(k["verified"], true, "{k}\n{err}");
    assert!(
        k["line"].as_str().unwrap().starts_with(&format!(
            "first bad commit: {} powerpc/book3s64: add THP flags",
            revs[POWERPC_ERROR]
        )),
        "{k}"
    );
    // Beside the regression in the markdown and HTML reports, and in the history.
    let run = PathBuf::from(r["run"]["summary"]["out_dir"].as_str().unwrap());
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let at = md.find("**cell-fail** `powerpc64le-gcc-objs`").expect(&md);
    let culprit_line = md[at..].lines().nth(1).unwrap();
    assert!(
        culprit_line.starts_with("  - culprit (verified): `first bad commit: ")
            && culprit_line.contains(&revs[POWERPC_ERROR]),
        "{md}"
    );
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<th>culprit</th>"), "{html}");
    assert!(html.contains(&format!("first bad commit: {}", revs[POWERPC_ERROR])));
    let h = kcross::history::History::open(&out.join("history.sqlite")).unwrap();
    let rows = h.bisects().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].culprit.as_deref(),
        Some(revs[POWERPC_ERROR].as_str())
    );
}
