//! JUnit XML through quick-junit, for CI systems that show test results.
//! A gated series: a test suite per cell, a test case per patch, failing when the patch
//! brought a new diagnostic the policy gates on, with the compiler's text in the failure.
//! A build run: one test suite, a test case per cell.
//! A runtime run: a test suite per cell, a test case per guest test.
//! Every status comes from the stage's `Outcome`.

use super::series as series_report;
use super::Export;
use crate::build::RunSummary;
use crate::outcome::{HasOutcome, Outcome};
use crate::runtime::{BootVerdict, RuntimeSummary};
use crate::series::{ChangeKind, SeriesResult};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

pub struct Junit;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

/// The JUnit status of an outcome: pass -> success, skipped and known -> skipped, fail ->
/// failure, error (could not be judged) -> error.
fn status(o: Outcome) -> TestCaseStatus {
    match o {
        Outcome::Pass => TestCaseStatus::success(),
        Outcome::Skipped | Outcome::Known => TestCaseStatus::skipped(),
        Outcome::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Outcome::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    }
}

fn xml(report: &Report) -> String {
    let mut s = report.to_string().expect("JUnit XML serialises");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

impl Export<SeriesResult> for Junit {
    fn extension(&self) -> &'static str {
        "xml"
    }

    fn render(&self, r: &SeriesResult) -> String {
        let mut report = Report::new("kcross series");
        report.set_time(secs(r.wall_s));
        for (ci, cell) in r.cells.iter().enumerate() {
            let mut suite = TestSuite::new(cell.as_str());
            if r.broken_base.contains(cell) {
                let base = &r.steps[0].cells[ci].result;
                let mut st = status(Outcome::Error);
                st.set_message("the base does not configure: the gate cannot judge this cell");
                st.set_description(base.reason.clone().unwrap_or_default());
                let mut tc = TestCase::new("base", st);
                tc.set_classname(format!("series.{cell}"));
                suite.add_test_case(tc);
            }
            for step in r.steps.iter().skip(1) {
                let sc = &step.cells[ci];
                let findings: Vec<_> = r.findings_of(step.index, Some(cell)).collect();
                let gating: Vec<_> = findings.iter().filter(|f| f.gates_on(cell)).collect();
                let mut text = String::new();
                for f in &findings {
                    let what = match f.kind {
                        ChangeKind::New => "new",
                        ChangeKind::Reappeared => "back (in the base)",
                        ChangeKind::Fixed => "fixed",
                    };
                    text.push_str(&format!("{what}:\n"));
                    let d = sc
                        .new
                        .iter()
                        .chain(&sc.reappeared)
                        .chain(&sc.fixed)
                        .find(|d| d.fingerprint == f.fingerprint)
                        .unwrap_or(&f.diagnostic);
                    text.push_str(&series_report::diag_block(d, "  "));
                }
                let outcome = r.step_outcome(step.index, cell);
                let status = if outcome == Outcome::Known {
                    // Skipped, with the known issues' reasons and links.
                    let mut st = status(Outcome::Known);
                    let why: Vec<String> = findings
                        .iter()
                        .filter_map(|f| f.known.get(cell.as_str()))
                        .filter_map(|at| r.known.entries.iter().find(|e| &e.issue.at == at))
                        .map(|e| format!("known issue: {}", super::known::why(&e.issue)))
                        .collect();
                    st.set_message(why.join("; "));
                    st.set_type("known");
                    st.set_description(text.clone());
                    st
                } else if outcome != Outcome::Fail {
                    status(Outcome::Pass)
                } else {
                    let mut st = status(Outcome::Fail);
                    let e = gating.iter().filter(|f| f.diagnostic.is_error()).count();
                    let w = gating.len() - e;
                    let mut msg = Vec::new();
                    if e > 0 {
                        msg.push(format!("{e} new error(s)"));
                    }
                    if w > 0 {
                        msg.push(format!("{w} new warning(s)"));
                    }
                    st.set_message(msg.join(", "));
                    st.set_type("new-diagnostics");
                    st.set_description(text.clone());
                    st
                };
                let subject = step.subject.clone().unwrap_or_default();
                let mut tc = TestCase::new(format!("[{}] {subject}", step.label), status);
                tc.set_classname(format!("series.{cell}"));
                tc.set_time(secs(sc.result.timings.total_s));
                if gating.is_empty() && !text.is_empty() {
                    tc.set_system_out(text);
                }
                suite.add_test_case(tc);
            }
            report.add_test_suite(suite);
        }
        xml(&report)
    }
}

impl Export<RunSummary> for Junit {
    fn extension(&self) -> &'static str {
        "xml"
    }

    fn render(&self, s: &RunSummary) -> String {
        let mut report = Report::new("kcross build");
        report.set_time(secs(s.wall_s));
        let mut suite = TestSuite::new(s.matrix.as_str());
        for c in &s.cells {
            let outcome = s.outcome_of(c);
            let mut st = status(outcome);
            if outcome == Outcome::Known {
                // Skipped, with the known issues' reasons and links as the message.
                let why: Vec<String> = s
                    .known
                    .covering_cell(&c.cell)
                    .into_iter()
                    .map(|i| format!("known issue: {}", super::known::why(i)))
                    .collect();
                st.set_message(why.join("; "));
                st.set_type("known");
                let text: String = c
                    .first_errors(20)
                    .into_iter()
                    .map(|d| series_report::diag_block(d, ""))
                    .collect();
                st.set_description(text);
            } else if outcome.is_failure() {
                st.set_message(c.reason.clone().unwrap_or_else(|| "failed".into()));
                if c.verdict == crate::build::Verdict::Timeout {
                    st.set_type("timeout");
                }
                let text: String = c
                    .first_errors(20)
                    .into_iter()
                    .map(|d| series_report::diag_block(d, ""))
                    .collect();
                st.set_description(text);
            }
            let mut tc = TestCase::new(c.cell.as_str(), st);
            tc.set_classname(format!("build.{}", c.arch));
            tc.set_time(secs(c.timings.total_s));
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
        if let Some(k) = known_suite(&s.known) {
            report.add_test_suite(k);
        }
        xml(&report)
    }
}

/// The `[[known]]` entries that apply to the run, a case each: one that occurred is skipped
/// with its reason and link, a stale one is skipped with what to do about it.
fn known_suite(r: &crate::known::KnownReport) -> Option<TestSuite> {
    use crate::known::KnownState;
    let mut suite = TestSuite::new("known-issues");
    for e in r.entries.iter().filter(|e| e.state != KnownState::NotRun) {
        let mut st = status(Outcome::Known);
        st.set_type(match e.state {
            KnownState::Stale => "stale",
            _ => "known",
        });
        st.set_message(super::known::line(e));
        let mut tc = TestCase::new(e.issue.at.clone(), st);
        tc.set_classname("known");
        suite.add_test_case(tc);
    }
    (!r.entries.is_empty()).then_some(suite)
}

/// A suite per cell, a case per test; failures carry the KTAP line, complaints and
/// diagnostics. Every case carries the test's findings and kcross's workarounds as
/// properties (`finding.<subject>`, `workaround.<name>`) and in its system-out.
impl Export<RuntimeSummary> for Junit {
    fn extension(&self) -> &'static str {
        "xml"
    }

    fn render(&self, s: &RuntimeSummary) -> String {
        let mut report = Report::new(format!("kcross runtime {}", s.matrix));
        report.set_time(secs(s.wall_s));
        let mut cells: Vec<&str> = s.results.iter().map(|r| r.cell.as_str()).collect();
        cells.dedup();
        for cell in cells {
            let mut suite = TestSuite::new(format!("runtime.{cell}"));
            for r in s.results.iter().filter(|r| r.cell == cell) {
                let mut status = status(r.verdict.outcome());
                if let Some(reason) = &r.reason {
                    status.set_message(reason.clone());
                }
                if r.verdict == BootVerdict::BootFailure {
                    status.set_type("boot-failure");
                } else if r.verdict == BootVerdict::Timeout {
                    status.set_type("timeout");
                }
                let mut detail = String::new();
                if let Some(k) = r.result() {
                    for d in &k.diagnostics {
                        detail.push_str(&format!("# {d}\n"));
                    }
                    detail.push_str(&k.line);
                    detail.push('\n');
                }
                for c in &r.complaints {
                    detail.push_str(&format!("complaint: {c}\n"));
                }
                for p in &r.ktap_problems {
                    detail.push_str(&format!("ktap: {p}\n"));
                }
                for f in &r.findings {
                    detail.push_str(&format!("finding: {f}\n"));
                }
                for w in &r.workarounds {
                    detail.push_str(&format!("workaround: {w}\n"));
                }
                if !detail.is_empty() && r.verdict != BootVerdict::Pass {
                    status.set_description(detail.clone());
                }
                let mut case = TestCase::new(r.test.clone(), status);
                case.set_classname(format!("{}.{}", r.arch, cell));
                case.set_time(secs(r.total_s));
                for f in &r.findings {
                    case.add_property((format!("finding.{}", f.subject), f.detail.clone()));
                }
                for w in &r.workarounds {
                    case.add_property((format!("workaround.{}", w.name), w.to_string()));
                }
                if !detail.is_empty() {
                    case.set_system_out(detail);
                }
                suite.add_test_case(case);
            }
            report.add_test_suite(suite);
        }
        xml(&report)
    }
}
