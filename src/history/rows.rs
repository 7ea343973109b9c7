//! The stages' results as history rows. Each row keeps the stage's own verdict word (its serde
//! name, for people) and the `Outcome` it means (for comparisons); nothing is re-parsed later.

use super::{HelperVerdictRow, PatchRow, RecordedRun, RuntimeRow, StepRow};
use crate::check::CheckSummary;
use crate::outcome::{HasOutcome, Outcome};
use crate::runtime::RuntimeSummary;

/// The serde name of a unit enum value (`not-required`, `boot-failure`).
fn serde_name<T: serde::Serialize + std::fmt::Display>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => v.to_string(),
    }
}

/// The helper check's verdicts: a row per (cell, helper); a cell whose set-up failed has every
/// helper `skipped`, with the failure as the evidence.
pub fn from_check(s: &CheckSummary) -> Vec<HelperVerdictRow> {
    let mut rows = Vec::new();
    for c in &s.cells {
        if let Some(why) = &c.setup_failure {
            for h in &s.helpers {
                rows.push(HelperVerdictRow {
                    cell: c.cell.clone(),
                    helper: h.clone(),
                    verdict: "skipped".into(),
                    outcome: Outcome::Skipped,
                    evidence: why.clone(),
                });
            }
            continue;
        }
        for h in &c.helpers {
            let mut evidence = h.summary.clone();
            for e in &h.evidence {
                evidence.push('\n');
                evidence.push_str(&e.what);
                if let Some(at) = &e.at {
                    evidence.push_str(&format!(" ({at})"));
                }
            }
            rows.push(HelperVerdictRow {
                cell: h.cell.clone(),
                helper: h.helper.clone(),
                verdict: serde_name(&h.verdict),
                outcome: h.verdict.outcome(),
                evidence,
            });
        }
    }
    rows
}

/// The runtime stage's results: a row per (cell, test), with the reason and the first
/// complaints as the detail; a KUnit boot adds a row per case (`kunit.<suite>.<case>`).
pub fn from_runtime(s: &RuntimeSummary) -> Vec<RuntimeRow> {
    s.results
        .iter()
        .flat_map(|r| {
            let mut detail = r.reason.clone().unwrap_or_default();
            for c in r.complaints.iter().take(5) {
                detail.push('\n');
                detail.push_str(c);
            }
            let mut rows = vec![RuntimeRow {
                cell: r.cell.clone(),
                test: r.test.clone(),
                verdict: serde_name(&r.verdict),
                outcome: r.verdict.outcome(),
                detail,
                duration_s: Some(r.total_s),
                findings: r.findings.iter().map(|f| f.to_string()).collect(),
                workarounds: r.workarounds.iter().map(|w| w.to_string()).collect(),
            }];
            rows.extend(kunit_rows(r));
            rows
        })
        .collect()
}

/// A KUnit boot's cases as rows of their own, `kunit.<suite>.<case>` (after the boot's row):
/// `pass`, `fail` (not ok, or never reported) or `skipped`, with the case's reason.
fn kunit_rows(r: &crate::runtime::BootResult) -> Vec<RuntimeRow> {
    use crate::runtime::ktap::KtapStatus;
    let Some(k) = &r.kunit else {
        return Vec::new();
    };
    k.cases()
        .iter()
        .map(|c| {
            let (verdict, outcome) = match c.case.status {
                KtapStatus::Ok => ("pass", Outcome::Pass),
                KtapStatus::Skip => ("skipped", Outcome::Skipped),
                KtapStatus::NotOk => ("fail", Outcome::Fail),
                KtapStatus::Missing => ("missing", Outcome::Fail),
            };
            RuntimeRow {
                cell: r.cell.clone(),
                test: format!("kunit.{}.{}", c.suite, c.name()),
                verdict: verdict.into(),
                outcome,
                detail: c.reason().unwrap_or_default(),
                duration_s: None,
                findings: Vec::new(),
                workarounds: Vec::new(),
            }
        })
        .collect()
}

/// A series run as a run to export: the cells as the last step built them (the whole series
/// applied), the patches with their hashes and Message-IDs, and every step after the base
/// per cell with its outcome and new diagnostics.
pub fn from_series(s: &crate::series::SeriesResult) -> RecordedRun {
    let last = s.steps.last();
    let summary = crate::build::RunSummary {
        kcross_version: s.kcross_version.clone(),
        matrix: s.matrix.clone(),
        matrix_origin: s.matrix_origin.clone(),
        source: s.source.clone(),
        started_at: s.started_at.clone(),
        wall_s: s.wall_s,
        jobs: s.jobs,
        out_dir: s.run_dir.clone(),
        cells: last
            .map(|st| st.cells.iter().map(|c| c.result.clone()).collect())
            .unwrap_or_default(),
        known: Default::default(),
        shard: None,
    };
    let mut run = RecordedRun::new(summary, Vec::new(), Vec::new());
    run.patches = s
        .series
        .patches
        .iter()
        .map(|p| PatchRow {
            id: p.message_id.clone().unwrap_or_else(|| p.origin.clone()),
            subject: p.subject.clone(),
            sha256: Some(p.sha256.clone()).filter(|h| !h.is_empty()),
            message_id: p.message_id.clone(),
        })
        .collect();
    run.message_id = s
        .series
        .cover_message_id
        .clone()
        .or_else(|| s.series.patches.first().and_then(|p| p.message_id.clone()));
    for st in s.steps.iter().filter(|st| st.index > 0) {
        for c in &s.cells {
            let detail: Vec<String> = s
                .findings_of(st.index, Some(c))
                .filter(|f| f.kind == crate::series::ChangeKind::New)
                .map(|f| format!("{}: {}", f.diagnostic.location(), f.diagnostic.message))
                .collect();
            run.steps.push(StepRow {
                cell: c.clone(),
                label: st.label.clone(),
                outcome: s.step_outcome(st.index, c),
                detail: detail.join("\n"),
            });
        }
    }
    run
}
