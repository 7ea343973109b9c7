//! Comparing two runs of the same matrix: what got worse (regressions) and what got better
//! (fixes). Pure: no database, no files.
//!
//! Rules, per cell present in the current run:
//! - `cell-fail`: the build verdict went pass -> fail (or a new cell fails). The change carries
//!   the first error that is new by fingerprint (else the first error). Fix: fail -> pass.
//! - `new-error`: the cell failed before and still fails, with an error whose fingerprint the
//!   previous run did not have. Fix: an error fingerprint that went away.
//! - `new-warning`: a warning whose fingerprint (file, code, flag, normalised message, quoted
//!   source line; no line numbers) the cell did not have last time. Only when the previous
//!   build of the cell passed (a failed build stopped early; its warnings are incomplete).
//!   Fix: a warning that went away, when both builds passed.
//! - `check-missing`: a helper-check verdict went good -> bad (or is bad with no previous row;
//!   not-run -> bad is not a regression: nobody knows what it was).
//! - `runtime-fail`: a runtime test went good -> bad (or is bad with no previous row).
//! - `slower`: both builds passed, were of the same kind (both cold or both incremental: a
//!   warm rebuild is never compared with a cold build), and the build time grew by more than
//!   `threshold_pct` percent and by at least `MIN_SLOWER_DELTA_S` seconds. A build of unknown
//!   kind (recorded by an older kcross) is not compared.
//!
//! Skipped cells, not-run checks and tests are never regressions. Cells only in the previous
//! run are listed in `removed_cells`, never as regressions.

use super::{Outcome, RecordedRun};
use crate::build::{CellResult, Verdict};
use crate::diag::{diff, Counted, DiagDiff};
use crate::diag::{Diagnostic, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A build must be at least this many seconds slower to count as `slower` (timer noise).
pub const MIN_SLOWER_DELTA_S: f64 = 1.0;

/// The kind of a change. The string forms (`cell-fail`, ...) are stable: scripts match them.
/// The order is the report order: the worst first.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    CellFail,
    NewError,
    RuntimeFail,
    CheckMissing,
    NewWarning,
    Slower,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::CellFail => "cell-fail",
            ChangeKind::NewError => "new-error",
            ChangeKind::RuntimeFail => "runtime-fail",
            ChangeKind::CheckMissing => "check-missing",
            ChangeKind::NewWarning => "new-warning",
            ChangeKind::Slower => "slower",
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One regression or fix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub cell: String,
    /// The helper (check) or test (runtime) concerned.
    pub item: Option<String>,
    /// One line for humans: `pass -> FAIL (build): mm/x.c:12:5: error: ...`.
    pub summary: String,
    /// Previous and current value (verdict, seconds), when the change has them.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The diagnostic behind the change (new error or warning), with file:line.
    pub diagnostic: Option<Diagnostic>,
    /// `kcross nightly --bisect`: the commit that caused it, or why it was not found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub culprit: Option<super::bisect::Culprit>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// Worst kind first; within a kind, in the current run's cell order.
    pub regressions: Vec<Change>,
    pub fixes: Vec<Change>,
    /// Cells with no counterpart in the previous run (all cells when there is none).
    pub added_cells: Vec<String>,
    /// Cells of the previous run that this run does not have.
    pub removed_cells: Vec<String>,
    /// Cells that fail now only on known issues (`[[known]]`): what would have been a
    /// regression, reported, never failing the nightly.
    #[serde(default)]
    pub known: Vec<Change>,
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        !self.regressions.is_empty()
    }

    pub fn regressions_for<'a>(&'a self, cell: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.regressions.iter().filter(move |c| c.cell == cell)
    }

    pub fn fixes_for<'a>(&'a self, cell: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.fixes.iter().filter(move |c| c.cell == cell)
    }
}

fn diag_line(d: &Diagnostic) -> String {
    let loc = d.location();
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let flag = d
        .flag
        .as_deref()
        .map(|f| format!(" [{f}]"))
        .unwrap_or_default();
    if loc.is_empty() {
        format!("{sev}: {}{flag}", d.message)
    } else {
        format!("{loc}: {sev}: {}{flag}", d.message)
    }
}

/// What `c` has of one severity that `p` has not (new), and the reverse (fixed): the one
/// multiset difference of `diag::diff`, each side in its cell's log order.
fn diff_of(p: &CellResult, c: &CellResult, sev: Severity) -> DiagDiff {
    let mut d = diff(
        &Counted::of_severity(&p.diagnostics, sev),
        &Counted::of_severity(&c.diagnostics, sev),
    );
    let order = |cell: &CellResult, x: &Diagnostic| {
        cell.diagnostics
            .iter()
            .position(|y| y.fingerprint == x.fingerprint && y.file == x.file && y.line == x.line)
            .unwrap_or(usize::MAX)
    };
    d.new.sort_by_key(|x| order(c, x));
    d.fixed.sort_by_key(|x| order(p, x));
    d
}

fn change(kind: ChangeKind, cell: &str, summary: String) -> Change {
    Change {
        kind,
        cell: cell.to_string(),
        item: None,
        summary,
        before: None,
        after: None,
        diagnostic: None,
        culprit: None,
    }
}

/// Compare `cur` with `prev` (the previous run of the same matrix, if any).
pub fn compare(prev: Option<&RecordedRun>, cur: &RecordedRun, threshold_pct: f64) -> Comparison {
    let mut out = Comparison::default();
    let prev_cells: BTreeMap<&str, &CellResult> = prev
        .map(|p| {
            p.summary
                .cells
                .iter()
                .map(|c| (c.cell.as_str(), c))
                .collect()
        })
        .unwrap_or_default();
    for c in &cur.summary.cells {
        if cur.summary.outcome_of(c) == crate::outcome::Outcome::Known {
            let why: Vec<String> = cur
                .summary
                .known
                .covering_cell(&c.cell)
                .iter()
                .map(|i| format!("{} ({})", i.reason, i.at))
                .collect();
            let mut ch = change(
                ChangeKind::CellFail,
                &c.cell,
                format!("FAIL, known: {}", why.join("; ")),
            );
            ch.after = Some(c.verdict.to_string());
            ch.diagnostic = c.first_errors(1).first().map(|d| (*d).clone());
            out.known.push(ch);
            if !prev_cells.contains_key(c.cell.as_str()) {
                out.added_cells.push(c.cell.clone());
            }
            continue;
        }
        match prev_cells.get(c.cell.as_str()) {
            None => {
                out.added_cells.push(c.cell.clone());
                if matches!(c.verdict, Verdict::Fail | Verdict::Timeout) {
                    let mut ch = change(ChangeKind::CellFail, &c.cell, String::new());
                    ch.after = Some(c.verdict.to_string());
                    ch.diagnostic = c.first_errors(1).first().map(|d| (*d).clone());
                    ch.summary =
                        format!("new cell, FAIL{}", reason_suffix(c, ch.diagnostic.as_ref()));
                    out.regressions.push(ch);
                }
            }
            Some(p) => compare_cell(p, c, threshold_pct, &mut out),
        }
    }
    if let Some(p) = prev {
        let cur_ids: HashSet<&str> = cur.summary.cells.iter().map(|c| c.cell.as_str()).collect();
        out.removed_cells = p
            .summary
            .cells
            .iter()
            .filter(|c| !cur_ids.contains(c.cell.as_str()))
            .map(|c| c.cell.clone())
            .collect();
    }
    // (cell, item, verdict, outcome, detail) of a run's helper checks and runtime tests.
    fn checks(r: &RecordedRun) -> Vec<Row<'_>> {
        r.check
            .iter()
            .map(|x| {
                (
                    x.cell.as_str(),
                    x.helper.as_str(),
                    x.verdict.as_str(),
                    x.outcome,
                    x.evidence.as_str(),
                )
            })
            .collect()
    }
    fn tests(r: &RecordedRun) -> Vec<Row<'_>> {
        r.runtime
            .iter()
            .map(|x| {
                (
                    x.cell.as_str(),
                    x.test.as_str(),
                    x.verdict.as_str(),
                    x.outcome,
                    x.detail.as_str(),
                )
            })
            .collect()
    }
    compare_rows(
        prev.map(checks),
        checks(cur),
        ChangeKind::CheckMissing,
        "helper",
        &mut out,
    );
    compare_rows(
        prev.map(tests),
        tests(cur),
        ChangeKind::RuntimeFail,
        "test",
        &mut out,
    );
    // Worst kind first; the sort is stable, so cell order holds within a kind.
    let order: BTreeMap<&str, usize> = cur
        .summary
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.cell.as_str(), i))
        .collect();
    let key = |c: &Change| {
        (
            c.kind,
            order.get(c.cell.as_str()).copied().unwrap_or(usize::MAX),
        )
    };
    out.regressions.sort_by_key(key);
    out.fixes.sort_by_key(key);
    out
}

fn reason_suffix(c: &CellResult, d: Option<&Diagnostic>) -> String {
    let stage = c
        .failed_stage
        .map(|s| match s {
            crate::build::Stage::Configure => " (configure)",
            crate::build::Stage::Build => " (build)",
        })
        .unwrap_or("");
    match (d, &c.reason) {
        (Some(d), _) => format!("{stage}: {}", diag_line(d)),
        (None, Some(r)) => format!("{stage}: {r}"),
        (None, None) => stage.to_string(),
    }
}

fn compare_cell(p: &CellResult, c: &CellResult, threshold_pct: f64, out: &mut Comparison) {
    let id = c.cell.as_str();
    let errors = diff_of(p, c, Severity::Error);
    match (p.verdict, c.verdict) {
        (Verdict::Pass | Verdict::Skipped, Verdict::Fail | Verdict::Timeout) => {
            let d = errors
                .new
                .first()
                .or_else(|| c.first_errors(1).first().copied())
                .cloned();
            let mut ch = change(ChangeKind::CellFail, id, String::new());
            ch.summary = format!(
                "{} -> {}{}",
                p.verdict,
                c.verdict,
                reason_suffix(c, d.as_ref())
            );
            ch.before = Some(p.verdict.to_string());
            ch.after = Some(c.verdict.to_string());
            ch.diagnostic = d;
            out.regressions.push(ch);
        }
        (Verdict::Fail | Verdict::Timeout, Verdict::Pass) => {
            let mut ch = change(
                ChangeKind::CellFail,
                id,
                format!("{} -> pass{}", p.verdict, fixed_suffix(p)),
            );
            ch.before = Some(p.verdict.to_string());
            ch.after = Some(c.verdict.to_string());
            ch.diagnostic = p.first_errors(1).first().map(|d| (*d).clone());
            out.fixes.push(ch);
        }
        (Verdict::Fail, Verdict::Fail) => {
            for d in errors.new {
                let mut ch = change(
                    ChangeKind::NewError,
                    id,
                    format!("still failing, new error: {}", diag_line(&d)),
                );
                ch.diagnostic = Some(d);
                out.regressions.push(ch);
            }
            for d in errors.fixed {
                let mut ch = change(
                    ChangeKind::NewError,
                    id,
                    format!("error gone: {}", diag_line(&d)),
                );
                ch.diagnostic = Some(d);
                out.fixes.push(ch);
            }
        }
        _ => {}
    }
    if p.verdict == Verdict::Pass && c.verdict != Verdict::Skipped {
        let warnings = diff_of(p, c, Severity::Warning);
        for d in warnings.new {
            let mut ch = change(
                ChangeKind::NewWarning,
                id,
                format!("new warning: {}", diag_line(&d)),
            );
            ch.diagnostic = Some(d);
            out.regressions.push(ch);
        }
        if c.verdict == Verdict::Pass {
            for d in warnings.fixed {
                let mut ch = change(
                    ChangeKind::NewWarning,
                    id,
                    format!("warning gone: {}", diag_line(&d)),
                );
                ch.diagnostic = Some(d);
                out.fixes.push(ch);
            }
        }
    }
    let like_kinds = p.incremental.is_some() && p.incremental == c.incremental;
    if p.verdict == Verdict::Pass && c.verdict == Verdict::Pass && like_kinds {
        let (a, b) = (p.timings.build_s, c.timings.build_s);
        if a > 0.0 && b > a * (1.0 + threshold_pct / 100.0) && b - a >= MIN_SLOWER_DELTA_S {
            let mut ch = change(
                ChangeKind::Slower,
                id,
                format!(
                    "build {a:.1}s -> {b:.1}s (+{:.0}%, threshold {threshold_pct}%)",
                    (b / a - 1.0) * 100.0
                ),
            );
            ch.before = Some(format!("{a:.1}s"));
            ch.after = Some(format!("{b:.1}s"));
            out.regressions.push(ch);
        }
    }
}

fn fixed_suffix(p: &CellResult) -> String {
    match p.first_errors(1).first() {
        Some(d) => format!(" (was: {})", diag_line(d)),
        None => p
            .reason
            .as_deref()
            .map(|r| format!(" (was: {r})"))
            .unwrap_or_default(),
    }
}

/// (cell, item, the stage's verdict word, its outcome, detail).
type Row<'a> = (&'a str, &'a str, &'a str, Outcome, &'a str);

fn compare_rows(
    prev: Option<Vec<Row<'_>>>,
    cur: Vec<Row<'_>>,
    kind: ChangeKind,
    what: &str,
    out: &mut Comparison,
) {
    let prev: BTreeMap<(&str, &str), (&str, Outcome)> = prev
        .unwrap_or_default()
        .into_iter()
        .map(|(cell, item, v, o, _)| ((cell, item), (v, o)))
        .collect();
    for (cell, item, v, now, why) in cur {
        let before = prev.get(&(cell, item)).copied();
        let was = before.map(|(_, o)| o);
        let detail = if why.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", why.lines().next().unwrap_or("").trim())
        };
        let mut ch = change(kind, cell, String::new());
        ch.item = Some(item.to_string());
        ch.before = before.map(|(pv, _)| pv.to_string());
        ch.after = Some(v.to_string());
        match (was, now) {
            (Some(Outcome::Pass) | None, now) if now.is_failure() => {
                ch.summary = format!(
                    "{what} {item}: {} -> {v}{detail}",
                    before.map(|(pv, _)| pv).unwrap_or("(none)")
                );
                out.regressions.push(ch);
            }
            (Some(was), Outcome::Pass) if was.is_failure() => {
                ch.summary = format!(
                    "{what} {item}: {} -> {v}",
                    before.map(|(pv, _)| pv).unwrap_or("")
                );
                out.fixes.push(ch);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
