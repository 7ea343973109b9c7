//! History store: every nightly run recorded in one SQLite file (WAL, versioned schema), so
//! that a run can be compared with the previous run of the same matrix and rendered again
//! later without its results directory.
//!
//! - `RecordedRun` is what gets recorded: the build `RunSummary`, plus the helper-check and
//!   runtime results in generic row shapes (the stages map their own results into them), the
//!   patches applied on top of the source, and each cell's log tail (read at record time, so
//!   reports never depend on result directories still existing).
//! - `store::History` is the database: `record` writes a run in one transaction (a run killed
//!   half-way leaves the history as it was), `load` reads it back.
//! - `compare::compare` is pure: previous run + current run -> regressions and fixes.
//! - `RunReport` is what the reports render (`report::html`, `report::markdown`, JSON).
//! - `nightly` holds the nightly lock and the comparison settings; `rows` turns the check and
//!   runtime stages' results into rows with their `Outcome`.

pub mod bisect;
pub mod compare;
pub mod nightly;
mod query;
pub mod rows;
mod schema;
pub mod store;

pub use compare::{compare, Change, ChangeKind, Comparison, MIN_SLOWER_DELTA_S};
pub use nightly::{
    default_history_path, NightlyLock, ReportOptions, DEFAULT_SLOWER_PCT, DEFAULT_TREND_RUNS,
};
pub use schema::SCHEMA_VERSION;
pub use store::{History, RunInfo};

use crate::build::{RunSummary, Verdict};
pub use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One helper-check verdict for (`cell`, `helper`). `verdict` is the check stage's own word
/// (its serde name: `provided`, `not-required`, `missing`, `unresolved`), for people;
/// `outcome` is what it means, and what comparisons count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HelperVerdictRow {
    pub cell: String,
    pub helper: String,
    pub verdict: String,
    pub outcome: Outcome,
    /// Why: the symbol table line, the object it was looked for in, ...
    pub evidence: String,
}

/// One runtime test result. `verdict` is the runtime stage's own word (`pass`, `fail`,
/// `skipped`, `boot-failure`); `outcome` is what it means.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuntimeRow {
    pub cell: String,
    pub test: String,
    pub verdict: String,
    pub outcome: Outcome,
    /// One line or a short excerpt of the guest console.
    pub detail: String,
    pub duration_s: Option<f64>,
    /// What the test found out about the kernel (`subject: detail`).
    #[serde(default)]
    pub findings: Vec<String>,
    /// Platform workarounds kcross applied for the boot (`name: what (why: ...)`).
    #[serde(default)]
    pub workarounds: Vec<String>,
}

/// A patch applied on top of the source for this run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PatchRow {
    /// Commit id, message-id or file name.
    pub id: String,
    pub subject: String,
    /// sha256 (hex) of the patch's content, when known (a series run's export; the history
    /// keeps no patch content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Its Message-ID (without `<>`), when it came from a mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// One step of a series gate on one cell (a series run's export; not in the history).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepRow {
    pub cell: String,
    /// `1/4`
    pub label: String,
    pub outcome: Outcome,
    /// The step's new diagnostics, one per line.
    pub detail: String,
}

/// Everything one run records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRun {
    pub summary: RunSummary,
    #[serde(default)]
    pub check: Vec<HelperVerdictRow>,
    #[serde(default)]
    pub runtime: Vec<RuntimeRow>,
    #[serde(default)]
    pub patches: Vec<PatchRow>,
    /// A series run's steps (every step after the base, per cell).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepRow>,
    /// The series' Message-ID (its cover letter's, else its first patch's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Cell id -> the last lines of its build log (configure log when configure failed).
    #[serde(default)]
    pub log_tails: BTreeMap<String, String>,
}

/// Lines of log kept per cell.
pub const LOG_TAIL_LINES: usize = 40;
/// Bytes of log kept per cell, at most.
pub const LOG_TAIL_BYTES: usize = 16 * 1024;

impl RecordedRun {
    /// A run from the stages' results; reads each cell's log tail from its results dir.
    pub fn new(
        summary: RunSummary,
        check: Vec<HelperVerdictRow>,
        runtime: Vec<RuntimeRow>,
    ) -> RecordedRun {
        let mut log_tails = BTreeMap::new();
        for c in &summary.cells {
            let configure_failed = c.failed_stage == Some(crate::build::Stage::Configure);
            let mut tail = String::new();
            if !configure_failed {
                tail = log_tail(&c.dir.join("build.log"), LOG_TAIL_LINES, LOG_TAIL_BYTES);
            }
            if tail.trim().is_empty() {
                tail = log_tail(&c.dir.join("configure.log"), LOG_TAIL_LINES, LOG_TAIL_BYTES);
            }
            log_tails.insert(c.cell.clone(), tail);
        }
        RecordedRun {
            summary,
            check,
            runtime,
            patches: Vec::new(),
            steps: Vec::new(),
            message_id: None,
            log_tails,
        }
    }

    pub fn matrix(&self) -> &str {
        &self.summary.matrix
    }

    pub fn failed_cells(&self) -> usize {
        self.summary
            .cells
            .iter()
            .filter(|c| self.summary.outcome_of(c).is_failure())
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.summary.cells.iter().map(|c| c.warnings).sum()
    }

    pub fn checks_for<'a>(
        &'a self,
        cell: &'a str,
    ) -> impl Iterator<Item = &'a HelperVerdictRow> + 'a {
        self.check.iter().filter(move |r| r.cell == cell)
    }

    pub fn runtime_for<'a>(&'a self, cell: &'a str) -> impl Iterator<Item = &'a RuntimeRow> + 'a {
        self.runtime.iter().filter(move |r| r.cell == cell)
    }
}

/// The last `max_lines` lines of a log, reading at most `max_bytes` from its end. Missing or
/// unreadable files give an empty string; invalid UTF-8 is replaced.
pub fn log_tail(path: &Path, max_lines: usize, max_bytes: usize) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(max_bytes as u64);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    if f.take(max_bytes as u64).read_to_end(&mut buf).is_err() {
        return String::new();
    }
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if start > 0 {
        // Drop the partial first line.
        if let Some(i) = text.find('\n') {
            text.drain(..=i);
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(max_lines);
    let mut out = lines[from..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// One cell in one run, for the trend charts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrendCell {
    pub cell: String,
    pub verdict: Verdict,
    pub errors: usize,
    pub warnings: usize,
    pub build_s: f64,
}

/// One run, for the trend charts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrendPoint {
    pub run_id: i64,
    pub started_at: String,
    pub cells: Vec<TrendCell>,
}

/// What the reports render: a recorded run, its comparison with the previous run of the same
/// matrix, and the trend over the last runs (oldest first, this run last).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub run_id: i64,
    /// The run this one is compared with, if any.
    pub baseline: Option<RunInfo>,
    /// `slower` threshold used for the comparison, in percent.
    pub slower_pct: f64,
    pub comparison: Comparison,
    pub trend: Vec<TrendPoint>,
    pub run: RecordedRun,
}

impl RunReport {
    /// A report from already loaded data (no database needed).
    pub fn new(
        run_id: i64,
        run: RecordedRun,
        baseline: Option<(RunInfo, &RecordedRun)>,
        trend: Vec<TrendPoint>,
        slower_pct: f64,
    ) -> RunReport {
        let comparison = compare(baseline.as_ref().map(|(_, r)| *r), &run, slower_pct);
        RunReport {
            run_id,
            baseline: baseline.map(|(i, _)| i),
            slower_pct,
            comparison,
            trend,
            run,
        }
    }

    /// `REGRESSED`, `OK` (nothing got worse) — the one-word verdict of the report.
    pub fn headline(&self) -> &'static str {
        if self.comparison.regressed() {
            "REGRESSED"
        } else if self.run.failed_cells() > 0 {
            "NO NEW FAILURES"
        } else {
            "OK"
        }
    }

    /// Cells in report order: regressed first (worst regression first, as in the regressions
    /// list), then failed, then the rest (run order kept).
    pub fn cells_in_report_order(&self) -> Vec<&crate::build::CellResult> {
        let first_regression =
            |c: &str| self.comparison.regressions.iter().position(|r| r.cell == c);
        let mut v: Vec<&crate::build::CellResult> = self.run.summary.cells.iter().collect();
        v.sort_by_key(|c| match first_regression(&c.cell) {
            Some(i) => (0, i),
            None if matches!(c.verdict, Verdict::Fail | Verdict::Timeout) => (1, 0),
            None => (2, 0),
        });
        v
    }
}

/// An RFC 3339 time for people: `2026-11-25 02:42:55 +00:00` (other text unchanged).
pub fn short_time(t: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => d.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => t.to_string(),
    }
}

/// `1 regression`, `2 fixes`: count + noun, pluralised.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_times() {
        assert_eq!(
            short_time("2026-11-25T02:42:55.990730614+00:00"),
            "2026-11-25 02:42:55 +00:00"
        );
        assert_eq!(short_time("last night"), "last night");
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("build.log");
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, text).unwrap();
        let t = log_tail(&p, 3, 1 << 20);
        assert_eq!(t, "line 97\nline 98\nline 99\n");
        // A byte limit cutting a line drops the partial line.
        let t = log_tail(&p, 100, 20);
        assert_eq!(t, "line 98\nline 99\n");
        assert_eq!(log_tail(&d.path().join("nope"), 3, 100), "");
    }
}
