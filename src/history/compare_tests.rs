use super::*;
use crate::build::{RunSummary, Stage, Timings};
use crate::diag::{fingerprint, Tool};
use crate::history::{HelperVerdictRow, RuntimeRow};
use crate::outcome::Outcome;
use crate::source::{SourceKind, SourceTree};

fn diag(cell: &str, sev: Severity, file: &str, line: u32, msg: &str) -> Diagnostic {
    let mut d = Diagnostic {
        code: if sev == Severity::Error {
            "cc-error"
        } else {
            "cc-warning"
        }
        .into(),
        severity: sev,
        tool: Tool::Compiler,
        file: Some(file.into()),
        line: Some(line),
        column: Some(5),
        flag: (sev == Severity::Warning).then(|| "-Wunused-variable".to_string()),
        message: msg.into(),
        function: None,
        source_line: Some(format!("int {msg};")),
        notes: vec![],
        cell: cell.into(),
        fingerprint: String::new(),
    };
    d.fingerprint = fingerprint(&d);
    d
}

fn cell(id: &str, verdict: Verdict, build_s: f64, diags: Vec<Diagnostic>) -> CellResult {
    CellResult {
        cell: id.into(),
        arch: id.split('-').next().unwrap().into(),
        toolchain: "gcc".into(),
        config: "tiny".into(),
        targets: vec!["vmlinux".into()],
        config_key: String::new(),
        verdict,
        failed_stage: (verdict == Verdict::Fail).then_some(Stage::Build),
        reason: None,
        timings: Timings {
            configure_s: 1.0,
            build_s,
            total_s: build_s + 1.0,
        },
        config_reused: false,
        incremental: Some(false),
        printed: 0,
        errors: diags.iter().filter(|d| d.is_error()).count(),
        warnings: diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count(),
        diagnostics: diags,
        dir: "/nonexistent".into(),
        build_dir: "/nonexistent".into(),
        image: None,
        timeout: None,
        wrapper: None,
        sandboxed: false,
    }
}

fn run(cells: Vec<CellResult>) -> RecordedRun {
    RecordedRun {
        summary: RunSummary {
            kcross_version: "0".into(),
            matrix: "m".into(),
            matrix_origin: "m.toml".into(),
            source: SourceTree {
                kind: SourceKind::Dir,
                origin: "x".into(),
                root: "/x".into(),
                key: "k".into(),
                build_key: String::new(),
                version: "6.12.0".into(),
            },
            started_at: "t".into(),
            wall_s: 1.0,
            jobs: 2,
            out_dir: "/o".into(),
            cells,
            known: Default::default(),
            shard: None,
        },
        check: vec![],
        runtime: vec![],
        patches: vec![],
        steps: vec![],
        message_id: None,
        log_tails: Default::default(),
    }
}

fn kinds(v: &[Change]) -> Vec<(&str, &str)> {
    v.iter()
        .map(|c| (c.kind.as_str(), c.cell.as_str()))
        .collect()
}

#[test]
fn identical_runs_have_no_changes() {
    let a = run(vec![cell(
        "x86_64-gcc-tiny",
        Verdict::Pass,
        10.0,
        vec![diag("x", Severity::Warning, "a.c", 3, "unused")],
    )]);
    let c = compare(Some(&a), &a, 20.0);
    assert!(c.regressions.is_empty() && c.fixes.is_empty(), "{c:?}");
}

#[test]
fn a_warning_that_moved_lines_is_not_new() {
    let a = run(vec![cell(
        "x-gcc",
        Verdict::Pass,
        10.0,
        vec![diag("x", Severity::Warning, "a.c", 3, "unused")],
    )]);
    let b = run(vec![cell(
        "x-gcc",
        Verdict::Pass,
        10.0,
        vec![diag("x", Severity::Warning, "a.c", 30, "unused")],
    )]);
    assert!(compare(Some(&a), &b, 20.0).regressions.is_empty());
    let c = run(vec![cell(
        "x-gcc",
        Verdict::Pass,
        10.0,
        vec![
            diag("x", Severity::Warning, "a.c", 30, "unused"),
            diag("x", Severity::Warning, "b.c", 1, "other"),
        ],
    )]);
    let cmp = compare(Some(&a), &c, 20.0);
    assert_eq!(kinds(&cmp.regressions), [("new-warning", "x-gcc")]);
    assert_eq!(
        cmp.regressions[0].diagnostic.as_ref().unwrap().location(),
        "b.c:1:5"
    );
    // And back: the warning went away.
    let back = compare(Some(&c), &a, 20.0);
    assert_eq!(kinds(&back.fixes), [("new-warning", "x-gcc")]);
    assert!(back.regressions.is_empty());
}

#[test]
fn pass_to_fail_is_one_cell_fail_carrying_the_new_error() {
    let a = run(vec![
        cell("a-gcc", Verdict::Pass, 10.0, vec![]),
        cell("b-gcc", Verdict::Pass, 10.0, vec![]),
    ]);
    let b = run(vec![
        cell("a-gcc", Verdict::Pass, 10.0, vec![]),
        cell(
            "b-gcc",
            Verdict::Fail,
            4.0,
            vec![diag("b", Severity::Error, "mm/x.c", 12, "boom")],
        ),
    ]);
    let c = compare(Some(&a), &b, 20.0);
    assert_eq!(kinds(&c.regressions), [("cell-fail", "b-gcc")]);
    assert!(
        c.regressions[0]
            .summary
            .contains("mm/x.c:12:5: error: boom"),
        "{}",
        c.regressions[0].summary
    );
    let back = compare(Some(&b), &a, 20.0);
    assert_eq!(kinds(&back.fixes), [("cell-fail", "b-gcc")]);
    assert!(back.regressions.is_empty());
}

#[test]
fn still_failing_with_a_new_error() {
    let a = run(vec![cell(
        "a-gcc",
        Verdict::Fail,
        1.0,
        vec![diag("a", Severity::Error, "x.c", 1, "one")],
    )]);
    let b = run(vec![cell(
        "a-gcc",
        Verdict::Fail,
        1.0,
        vec![
            diag("a", Severity::Error, "x.c", 5, "one"),
            diag("a", Severity::Error, "y.c", 2, "two"),
        ],
    )]);
    let c = compare(Some(&a), &b, 20.0);
    assert_eq!(kinds(&c.regressions), [("new-error", "a-gcc")]);
    assert_eq!(
        c.regressions[0]
            .diagnostic
            .as_ref()
            .unwrap()
            .file
            .as_deref(),
        Some("y.c")
    );
}

#[test]
fn slower_needs_both_the_percentage_and_a_second() {
    let a = run(vec![
        cell("a-gcc", Verdict::Pass, 100.0, vec![]),
        cell("b-gcc", Verdict::Pass, 2.0, vec![]),
    ]);
    let b = run(vec![
        cell("a-gcc", Verdict::Pass, 130.0, vec![]),
        cell("b-gcc", Verdict::Pass, 2.9, vec![]),
    ]);
    assert_eq!(
        kinds(&compare(Some(&a), &b, 20.0).regressions),
        [("slower", "a-gcc")]
    );
    assert!(compare(Some(&a), &b, 40.0).regressions.is_empty());
}

#[test]
fn a_cold_build_is_never_slower_than_a_warm_one() {
    let mut warm = cell("a-gcc", Verdict::Pass, 5.0, vec![]);
    warm.incremental = Some(true);
    let cold = cell("a-gcc", Verdict::Pass, 700.0, vec![]);
    let (a, b) = (run(vec![warm.clone()]), run(vec![cold.clone()]));
    assert!(compare(Some(&a), &b, 20.0).regressions.is_empty());
    // ...but a warm one that got slower than the last warm one is.
    let mut warm2 = warm.clone();
    warm2.timings.build_s = 50.0;
    let c = run(vec![warm2]);
    assert_eq!(
        kinds(&compare(Some(&a), &c, 20.0).regressions),
        [("slower", "a-gcc")]
    );
    // An older kcross's row did not know: not compared.
    let mut unknown = cold;
    unknown.incremental = None;
    unknown.timings.build_s = 1.0;
    assert!(compare(Some(&run(vec![unknown])), &b, 20.0)
        .regressions
        .is_empty());
}

#[test]
fn checks_and_runtime() {
    let mut a = run(vec![cell("a-gcc", Verdict::Pass, 1.0, vec![])]);
    a.check = vec![
        HelperVerdictRow {
            cell: "a-gcc".into(),
            helper: "pud_mkinvalid".into(),
            verdict: "ok".into(),
            outcome: Outcome::Pass,
            evidence: "T pud_mkinvalid".into(),
        },
        HelperVerdictRow {
            cell: "a-gcc".into(),
            helper: "pudp_invalidate".into(),
            verdict: "missing".into(),
            outcome: Outcome::Fail,
            evidence: String::new(),
        },
    ];
    a.runtime = vec![RuntimeRow {
        cell: "a-gcc".into(),
        test: "boot".into(),
        verdict: "pass".into(),
        outcome: Outcome::Pass,
        detail: String::new(),
        duration_s: Some(3.0),
        findings: Vec::new(),
        workarounds: Vec::new(),
    }];
    let mut b = a.clone();
    b.check[0].verdict = "missing".into();
    b.check[0].outcome = Outcome::Fail;
    b.check[1].verdict = "ok".into();
    b.check[1].outcome = Outcome::Pass;
    b.runtime[0].verdict = "timeout".into();
    b.runtime[0].outcome = Outcome::Fail;
    let c = compare(Some(&a), &b, 20.0);
    assert_eq!(
        kinds(&c.regressions),
        [("runtime-fail", "a-gcc"), ("check-missing", "a-gcc")]
    );
    assert_eq!(c.regressions[1].item.as_deref(), Some("pud_mkinvalid"));
    assert_eq!(kinds(&c.fixes), [("check-missing", "a-gcc")]);
    // Skipped is never a regression.
    b.runtime[0].verdict = "skipped".into();
    b.runtime[0].outcome = Outcome::Skipped;
    b.check[0].verdict = "ok".into();
    b.check[0].outcome = Outcome::Pass;
    assert!(compare(Some(&a), &b, 20.0).regressions.is_empty());
}

#[test]
fn without_a_previous_run_only_failures_are_regressions() {
    let b = run(vec![
        cell(
            "a-gcc",
            Verdict::Pass,
            1.0,
            vec![diag("a", Severity::Warning, "x.c", 1, "w")],
        ),
        cell(
            "b-gcc",
            Verdict::Fail,
            1.0,
            vec![diag("b", Severity::Error, "y.c", 1, "e")],
        ),
    ]);
    let c = compare(None, &b, 20.0);
    assert_eq!(kinds(&c.regressions), [("cell-fail", "b-gcc")]);
    assert_eq!(c.added_cells, ["a-gcc", "b-gcc"]);
}

#[test]
fn kinds_have_stable_names() {
    for k in [
        ChangeKind::CellFail,
        ChangeKind::NewError,
        ChangeKind::RuntimeFail,
        ChangeKind::CheckMissing,
        ChangeKind::NewWarning,
        ChangeKind::Slower,
    ] {
        assert_eq!(
            serde_json::to_value(k).unwrap(),
            serde_json::Value::String(k.as_str().into())
        );
    }
}

#[test]
fn a_failure_that_is_known_is_listed_as_known_not_as_a_regression() {
    let a = run(vec![cell("b-gcc", Verdict::Pass, 10.0, vec![])]);
    let boom = diag("b", Severity::Error, "mm/x.c", 12, "boom");
    let mut b = run(vec![cell("b-gcc", Verdict::Fail, 4.0, vec![boom.clone()])]);
    let issue = |file: &str| crate::known::KnownIssue {
        at: "m.toml:9:1".into(),
        fingerprint: None,
        file: Some(file.into()),
        pattern: Some("^boom$".into()),
        severity: None,
        cells: vec![],
        reason: "known elsewhere".into(),
        link: None,
    };
    // An entry for another file: still a regression.
    b.summary.judge_known(&[issue("mm/y.c")]);
    let c = compare(Some(&a), &b, 20.0);
    assert_eq!(kinds(&c.regressions), [("cell-fail", "b-gcc")]);
    assert!(c.known.is_empty());
    // The entry for this error: known, not a regression.
    b.summary.judge_known(&[issue("mm/x.c")]);
    let c = compare(Some(&a), &b, 20.0);
    assert!(c.regressions.is_empty(), "{:?}", c.regressions);
    assert_eq!(kinds(&c.known), [("cell-fail", "b-gcc")]);
    assert!(c.known[0].summary.contains("known elsewhere (m.toml:9:1)"));
    assert_eq!(b.failed_cells(), 0);
}
