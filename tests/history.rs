//! History store, nightly comparison and reports (issue 7). These tests construct runs
//! directly (real build outcomes are tested elsewhere), record them in a real SQLite file,
//! and check what the reports say.

mod history_support;

use history_support::*;
use kcross::build::{CellResult, Stage, Verdict};
use kcross::cli::nightly as cli;
use kcross::history::NightlyLock;
use kcross::history::{ChangeKind, History, PatchRow, RecordedRun};
use kcross::outcome::Outcome;
use kcross::report::html::Html;
use kcross::report::Export;
use kcross::report::Format;
use std::path::PathBuf;

#[test]
fn a_second_run_breaking_one_cell_reports_exactly_that_regression_first() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("history.sqlite")).unwrap();
    let r1 = h
        .record(&good_night(d.path(), "2026-11-23T02:00:00+00:00", 0, 0.0))
        .unwrap();
    // Run 2: warnings moved by three lines, times a little different, and one injected error.
    let r2 = h
        .record(&broken_night(d.path(), "2026-11-24T02:00:00+00:00"))
        .unwrap();
    assert_eq!(h.previous("pud-helpers", r2).unwrap(), Some(r1));
    let rep = h.report(r2, 25.0, 14).unwrap();
    let c = &rep.comparison;
    assert_eq!(c.regressions.len(), 1, "{:#?}", c.regressions);
    let reg = &c.regressions[0];
    assert_eq!(reg.kind, ChangeKind::CellFail);
    assert_eq!(reg.cell, "x86_64-gcc-pud");
    let dg = reg.diagnostic.as_ref().unwrap();
    assert_eq!(dg.location(), "mm/mprotect.c:421:9");
    assert!(c.fixes.is_empty(), "{:#?}", c.fixes);

    // HTML: the regressions section comes first, with exactly that row.
    let html = Html.render(&rep);
    let main = &html[html.find("<main>").unwrap()..];
    assert!(main
        .trim_start_matches("<main>")
        .trim_start()
        .starts_with("<section id=\"regressions\""));
    let regs = &main[..main.find("<section id=\"fixes\"").unwrap()];
    assert_eq!(
        regs.matches("<tr><td><span class=\"kind\">").count(),
        1,
        "{regs}"
    );
    assert!(
        regs.contains("cell-fail")
            && regs.contains("x86_64-gcc-pud")
            && regs.contains("mm/mprotect.c:421:9")
    );
    // Nothing else is marked new: one `new` diagnostic badge in the whole report.
    assert_eq!(
        html.matches("<span class=\"badge regressed\">new</span>")
            .count(),
        1
    );
    assert!(html.contains("No fixes since run #1."));

    // Markdown: the verdict line, then that regression.
    let md = Format::Markdown.render(&rep);
    let first = md.lines().next().unwrap();
    assert!(
        first.contains("REGRESSED: 1 regression, 0 fixes; 4 cells: 3 pass, 1 fail"),
        "{first}"
    );
    let after = &md[md.find("## Regressions (1)").unwrap()..];
    let item = after.lines().nth(2).unwrap();
    assert!(
        item.starts_with("- **cell-fail** `x86_64-gcc-pud`:")
            && item.contains("mm/mprotect.c:421:9"),
        "{item}"
    );
    assert!(md.contains("## Fixes (0)\n\n- none\n"));

    // JSON: the same, machine-readable with stable kinds.
    let j: serde_json::Value = serde_json::from_str(&Format::Json.render(&rep)).unwrap();
    assert_eq!(j["comparison"]["regressions"].as_array().unwrap().len(), 1);
    assert_eq!(j["comparison"]["regressions"][0]["kind"], "cell-fail");
    assert_eq!(j["baseline"]["id"], r1);
}

#[test]
fn each_kind_of_regression_is_found_and_a_fix_is_a_fix() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    h.record(&good_night(d.path(), "n1", 0, 0.0)).unwrap();
    let mut b = good_night(d.path(), "n2", 0, 0.0);
    // powerpc64le: a new warning; arm64: 60% slower; riscv64: a helper went missing;
    // x86_64: the runtime test fails.
    b.summary.cells[1].diagnostics.push(warning(
        "powerpc64le-gcc-pud",
        "mm/mprotect.c",
        400,
        "newvar",
    ));
    b.summary.cells[1].warnings += 1;
    b.summary.cells[2].timings.build_s *= 1.6;
    b.check[7].verdict = "missing".into();
    b.check[7].outcome = Outcome::Fail;
    b.runtime[0].verdict = "fail".into();
    b.runtime[0].outcome = Outcome::Fail;
    b.runtime[0].detail = "guest: mprotect returned -EINVAL".into();
    let id = h.record(&b).unwrap();
    let rep = h.report(id, 25.0, 14).unwrap();
    let got: Vec<(&str, &str)> = rep
        .comparison
        .regressions
        .iter()
        .map(|c| (c.kind.as_str(), c.cell.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("runtime-fail", "x86_64-gcc-pud"),
            ("check-missing", "riscv64-gcc-pud"),
            ("new-warning", "powerpc64le-gcc-pud"),
            ("slower", "arm64-gcc-pud"),
        ]
    );
    assert_eq!(
        rep.comparison.regressions[2]
            .diagnostic
            .as_ref()
            .unwrap()
            .location(),
        "mm/mprotect.c:400:9"
    );
    // The night after, everything is back: four fixes (slower has no fix), no regressions.
    let id3 = h.record(&good_night(d.path(), "n3", 0, 0.0)).unwrap();
    let rep = h.report(id3, 25.0, 14).unwrap();
    assert!(
        rep.comparison.regressions.is_empty(),
        "{:#?}",
        rep.comparison.regressions
    );
    let fixed: Vec<&str> = rep
        .comparison
        .fixes
        .iter()
        .map(|c| c.kind.as_str())
        .collect();
    assert_eq!(fixed, ["runtime-fail", "check-missing", "new-warning"]);
}

#[test]
fn nightly_records_writes_three_reports_and_exits_1_only_on_a_regression() {
    let d = tempfile::tempdir().unwrap();
    let hist = d.path().join("history.sqlite");
    let lock = NightlyLock::acquire(&hist).unwrap();
    let night = |n: u32, broken: bool| {
        let out = d.path().join("runs").join(format!("night{n}"));
        std::fs::create_dir_all(&out).unwrap();
        let started = format!("2026-11-2{n}T02:00:00+00:00");
        if broken {
            broken_night(&out, &started)
        } else {
            good_night(&out, &started, 0, 0.0)
        }
    };
    let o1 = cli::record_nightly(&lock, &hist, &night(1, false), &opts()).unwrap();
    assert_eq!(o1.exit_code, 0);
    let names: Vec<String> = o1
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.html", "report.md", "report.json"]);
    for f in &o1.files {
        assert!(f.starts_with(d.path().join("runs/night1")) && f.metadata().unwrap().len() > 100);
    }
    let o2 = cli::record_nightly(&lock, &hist, &night(2, true), &opts()).unwrap();
    assert_eq!(o2.exit_code, 1, "a regression exits 1");
    // Still broken the next night: nothing got worse, exit 0 (the failure shows in the report).
    let o3 = cli::record_nightly(&lock, &hist, &night(3, true), &opts()).unwrap();
    assert_eq!(o3.exit_code, 0);
    assert_eq!(o3.report.headline(), "NO NEW FAILURES");
    let md = std::fs::read_to_string(d.path().join("runs/night3/report.md")).unwrap();
    assert!(
        md.starts_with(
            "kcross nightly pud-helpers run #3: NO NEW FAILURES: 0 regressions, 0 fixes"
        ),
        "{md}"
    );
    assert_eq!(o3.report.trend.len(), 3);
}

#[test]
fn a_second_nightly_is_refused_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let hist = d.path().join("history.sqlite");
    let first = NightlyLock::acquire(&hist).unwrap();
    assert_eq!(first.path(), d.path().join("history.sqlite.nightly.lock"));
    let e = match NightlyLock::acquire(&hist) {
        Ok(_) => panic!("a second nightly got the lock"),
        Err(e) => e,
    };
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("another kcross nightly is running"),
        "{e}"
    );
    drop(first);
    NightlyLock::acquire(&hist).expect("free again once the first is done");
}

/// The child half of `a_run_killed_while_recording_leaves_the_history_as_it_was`: does
/// nothing unless that test started it.
#[test]
fn killed_child_helper() {
    let Some(dir) = std::env::var_os("KCROSS_HISTORY_KILL_CHILD") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let mut h = History::open(&dir.join("history.sqlite")).unwrap();
    // A big run: 400 cells, 50 diagnostics and a 16 KiB log tail each (> SQLite's page cache,
    // so part of the transaction is already in the WAL when the kill comes).
    let out = dir.join("big");
    let cells: Vec<CellResult> = (0..400)
        .map(|i| {
            let id = format!("a{i}-gcc-pud");
            let diags = (0..50)
                .map(|j| warning(&id, &format!("f{j}.c"), j, "v"))
                .collect();
            cell(&out, &format!("a{i}"), "gcc", "pud", 10.0, diags)
        })
        .collect();
    let mut run = RecordedRun::new(summary(&out, "pud-helpers", "big", cells), vec![], vec![]);
    for c in &run.summary.cells {
        run.log_tails.insert(c.cell.clone(), "x".repeat(16 * 1024));
    }
    let marker = dir.join("in-transaction");
    h.record_with_progress(&run, &mut |done, _| {
        if done == 200 {
            std::fs::write(&marker, b"200").unwrap();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    })
    .unwrap();
    unreachable!("the parent kills us in the middle of the transaction");
}

#[test]
fn a_run_killed_while_recording_leaves_the_history_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("history.sqlite");
    let mut h = History::open(&path).unwrap();
    let r1 = h
        .record(&good_night(d.path(), "2026-11-23T02:00:00+00:00", 0, 0.0))
        .unwrap();
    let before = html_of(&h, r1);
    let before_md = Format::Markdown.render(&h.report(r1, 25.0, 14).unwrap());

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "killed_child_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KCROSS_HISTORY_KILL_CHILD", d.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let marker = d.path().join("in-transaction");
    let t0 = std::time::Instant::now();
    while !marker.exists() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the child ended before it was killed: {st}");
        }
        assert!(t0.elapsed().as_secs() < 300, "the child never got half-way");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Mid-transaction: other readers still see only run 1.
    assert_eq!(h.runs(None).unwrap().len(), 1);
    let wal = std::fs::metadata(d.path().join("history.sqlite-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        wal > 1 << 20,
        "the uncommitted half of the run is in the WAL ({wal} bytes)"
    );
    child.kill().unwrap(); // SIGKILL
    let st = child.wait().unwrap();
    assert!(!st.success());
    drop(h);

    let mut h = History::open(&path).unwrap();
    assert_eq!(h.integrity_check().unwrap(), "ok");
    let runs = h.runs(None).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [r1],
        "only the committed run"
    );
    assert_eq!(h.latest(Some("pud-helpers")).unwrap(), Some(r1));
    assert_eq!(
        html_of(&h, r1),
        before,
        "the previous report renders byte-identical"
    );
    assert_eq!(
        Format::Markdown.render(&h.report(r1, 25.0, 14).unwrap()),
        before_md
    );
    // And the history keeps working.
    let r2 = h
        .record(&broken_night(d.path(), "2026-11-24T02:00:00+00:00"))
        .unwrap();
    assert_eq!(h.previous("pud-helpers", r2).unwrap(), Some(r1));
    assert_eq!(
        h.report(r2, 25.0, 14).unwrap().comparison.regressions.len(),
        1
    );
}

#[test]
fn a_recorded_run_reads_back_exactly() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    let mut run = broken_night(d.path(), "2026-11-24T02:00:00+00:00");
    run.patches.push(PatchRow {
        id: "abc123".into(),
        subject: "mm/mprotect: fix dax puds".into(),
        sha256: None,
        message_id: None,
    });
    run.summary.cells[1].image = Some("/b/arch/powerpc/boot/zImage".into());
    run.summary.cells[2].verdict = Verdict::Skipped;
    run.summary.cells[2].diagnostics[0].notes = vec!["note: declared here".into()];
    run.summary.cells[2].diagnostics[0].line = None;
    let id = h.record(&run).unwrap();
    let back = h.load(id).unwrap();
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(&run).unwrap()
    );
    assert_eq!(h.schema_version().unwrap(), kcross::history::SCHEMA_VERSION);
    let info = h.info(id).unwrap().unwrap();
    assert_eq!((info.cells, info.failed, info.warnings), (4, 1, 6));
    assert!(h.load(id + 1).is_err());
}

#[test]
fn log_tails_are_kept_in_the_history_not_read_from_the_results_dir() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    let mut s = good_night(&out, "n1", 0, 0.0).summary;
    s.cells.truncate(2);
    s.cells[1].failed_stage = Some(Stage::Configure);
    s.cells[1].verdict = Verdict::Fail;
    for c in &s.cells {
        std::fs::create_dir_all(&c.dir).unwrap();
        let log: String = (0..500).map(|i| format!("{} line {i}\n", c.cell)).collect();
        std::fs::write(c.dir.join("build.log"), log).unwrap();
        std::fs::write(
            c.dir.join("configure.log"),
            "scripts/kconfig/conf  --olddefconfig Kconfig\nfragment dropped CONFIG_ZONE_DEVICE\n",
        )
        .unwrap();
    }
    let run = RecordedRun::new(s, vec![], vec![]);
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    let id = h.record(&run).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    let back = h.load(id).unwrap();
    let t0 = &back.log_tails["x86_64-gcc-pud"];
    assert_eq!(t0.lines().count(), kcross::history::LOG_TAIL_LINES);
    assert!(t0.ends_with("x86_64-gcc-pud line 499\n"));
    // Configure failed: the configure log is the one that matters.
    assert!(back.log_tails["powerpc64le-gcc-pud"].contains("fragment dropped CONFIG_ZONE_DEVICE"));
    assert!(html_of(&h, id).contains("x86_64-gcc-pud line 499"));
}

#[test]
fn trends_previous_and_latest_follow_the_matrix() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    let a1 = h.record(&good_night(d.path(), "a1", 0, 0.0)).unwrap();
    let mut other = good_night(d.path(), "b1", 0, 0.0);
    other.summary.matrix = "other".into();
    let b1 = h.record(&other).unwrap();
    let a2 = h.record(&good_night(d.path(), "a2", 0, 5.0)).unwrap();
    let a3 = h.record(&broken_night(d.path(), "a3")).unwrap();
    assert_eq!(h.previous("pud-helpers", a2).unwrap(), Some(a1));
    assert_eq!(h.previous("other", b1).unwrap(), None);
    assert_eq!(h.latest(Some("other")).unwrap(), Some(b1));
    assert_eq!(h.latest(None).unwrap(), Some(a3));
    let t = h.trend("pud-helpers", a3, 2).unwrap();
    assert_eq!(t.iter().map(|p| p.run_id).collect::<Vec<_>>(), [a2, a3]);
    assert_eq!(t[1].cells[0].verdict, Verdict::Fail);
    assert_eq!(h.trend("pud-helpers", a2, 10).unwrap().len(), 2);
    // A first run has no baseline, and says so.
    let rep = h.report(b1, 25.0, 14).unwrap();
    assert!(rep.baseline.is_none() && rep.comparison.regressions.is_empty());
    assert!(Format::Markdown
        .render(&rep)
        .contains("first recorded run of this matrix"));
}

#[test]
fn a_history_from_a_newer_kcross_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("h.sqlite");
    drop(History::open(&p).unwrap());
    let c = rusqlite::Connection::open(&p).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    let e = History::open(&p).err().expect("refused");
    assert!(
        e.to_string().contains("schema version 99") && e.to_string().contains("newer kcross"),
        "{e}"
    );
    std::fs::write(d.path().join("junk.sqlite"), b"this is not a database, just some text....................................................................").unwrap();
    assert!(History::open(&d.path().join("junk.sqlite")).is_err());
}

/// The findings and workarounds of real runtime results (tests/fixtures/runtime) go into the
/// history (schema v3), come back, and the HTML cell page shows them.
#[test]
fn runtime_findings_and_workarounds_are_recorded_and_shown() {
    let d = tempfile::tempdir().unwrap();
    let mut h = History::open(&d.path().join("h.sqlite")).unwrap();
    let fixture = |n: &str| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        kcross::runtime::load_summary(&root.join("tests/fixtures/runtime").join(n)).unwrap()
    };
    let mut run = good_night(d.path(), "n1", 0, 0.0);
    run.runtime = kcross::history::rows::from_runtime(&fixture("powerpc64le-6.12.runtime.json"));
    run.runtime
        .extend(kcross::history::rows::from_runtime(&fixture(
            "x86_64-6.1.runtime.json",
        )));
    let id = h.record(&run).unwrap();
    let back = h.load(id).unwrap();
    assert_eq!(back.runtime, run.runtime);
    let ppc = &back.runtime[0];
    assert_eq!(ppc.workarounds.len(), 1);
    assert!(ppc.workarounds[0].starts_with("nvdimm-dax-info: kcross wrote"));
    assert!(ppc.workarounds[0].contains("(why: QEMU 10.0's TCG does not implement dcbstps"));
    let x86 = &back.runtime[1];
    assert!(x86.workarounds.is_empty());
    assert!(x86
        .findings
        .contains(&"pud: zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)".to_string()));
    let html = html_of(&h, id);
    assert!(
        html.contains(
            "<tr><td></td><td>finding</td><td></td><td class=\"ev\">pud: zapped by \
             mprotect(PROT_READ) (1 fault to read GiB 0 back)</td></tr>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<td>workaround</td><td></td><td class=\"ev\">nvdimm-dax-info: kcross wrote the device-dax info block into the nvdimm&#39;s backing file"),
        "{html}"
    );
    assert!(parse_html(&html).errors.is_empty());
}
