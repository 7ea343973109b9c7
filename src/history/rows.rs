//! The stages' results as history rows. Each row keeps the stage's own verdict word (its serde
//! name, for people) and the `Outcome` it means (for comparisons); nothing is re-parsed later.

use super::{HelperVerdictRow, RuntimeRow};
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
/// complaints as the detail.
pub fn from_runtime(s: &RuntimeSummary) -> Vec<RuntimeRow> {
    s.results
        .iter()
        .map(|r| {
            let mut detail = r.reason.clone().unwrap_or_default();
            for c in r.complaints.iter().take(5) {
                detail.push('\n');
                detail.push_str(c);
            }
            RuntimeRow {
                cell: r.cell.clone(),
                test: r.test.clone(),
                verdict: serde_name(&r.verdict),
                outcome: r.verdict.outcome(),
                detail,
                duration_s: Some(r.total_s),
                findings: r.findings.iter().map(|f| f.to_string()).collect(),
                workarounds: r.workarounds.iter().map(|w| w.to_string()).collect(),
            }
        })
        .collect()
}
