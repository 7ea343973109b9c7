//! Glue for `kcross nightly` and `kcross report`, called from main.rs.
//!
//! `kcross nightly` is made for cron: no terminal needed, plain output, one lock per history
//! file (a second nightly on the same history is refused with exit 2 while the first runs),
//! exit 1 when something regressed since the previous run of the same matrix, 0 otherwise.

use super::{History, RecordedRun, RunReport};
use crate::error::{Error, Result};
use crate::report::html::Html;
use crate::report::json::Json;
use crate::report::markdown::Markdown;
use crate::report::Export;
use crate::util::FileLock;
use std::path::{Path, PathBuf};

/// Default `--slower-pct`: a cell whose build takes more than this much longer is `slower`.
pub const DEFAULT_SLOWER_PCT: f64 = 25.0;
/// Default number of runs in the trend charts.
pub const DEFAULT_TREND_RUNS: usize = 14;

/// The history file inside a results directory: `<out>/history.sqlite`.
pub fn default_history_path(out: &Path) -> PathBuf {
    out.join("history.sqlite")
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One self-contained HTML5 file (inline CSS and SVG, no network)
    Html,
    /// Plain-text/markdown summary for mail or chat
    Markdown,
    /// The report model as JSON
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => Export::<RunReport>::extension(&Html),
            Format::Markdown => Export::<RunReport>::extension(&Markdown),
            Format::Json => Export::<RunReport>::extension(&Json),
        }
    }

    pub fn render(self, r: &RunReport) -> String {
        match self {
            Format::Html => Html.render(r),
            Format::Markdown => Markdown.render(r),
            Format::Json => Json.render(r),
        }
    }
}

/// Comparison and chart settings shared by `nightly` and `report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub slower_pct: f64,
    pub trend_runs: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            slower_pct: DEFAULT_SLOWER_PCT,
            trend_runs: DEFAULT_TREND_RUNS,
        }
    }
}

/// Held for the whole of a nightly (take it before running any stage).
pub struct NightlyLock {
    _lock: FileLock,
    path: PathBuf,
}

impl NightlyLock {
    /// The lock file of a history: `<history>.nightly.lock`.
    pub fn path_for(history: &Path) -> PathBuf {
        let mut name = history
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "history".into());
        name.push(".nightly.lock");
        history.with_file_name(name)
    }

    /// Take the lock, or refuse (exit code 2) when another nightly holds it.
    pub fn acquire(history: &Path) -> Result<NightlyLock> {
        let path = NightlyLock::path_for(history);
        match FileLock::try_acquire(&path)? {
            Some(l) => Ok(NightlyLock { _lock: l, path }),
            None => Err(Error::Usage(format!(
                "another kcross nightly is running on {} (lock {} is held); not starting a second one",
                history.display(),
                path.display()
            ))),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What a nightly did.
#[derive(Debug)]
pub struct NightlyOutcome {
    pub run_id: i64,
    pub report: RunReport,
    /// report.html, report.md, report.json in the run's results directory.
    pub files: Vec<PathBuf>,
    /// 1 when something regressed, else 0.
    pub exit_code: i32,
}

/// Record a finished nightly run, compare it with the previous run of its matrix, and write
/// `report.html`, `report.md` and `report.json` into the run's results directory
/// (`run.summary.out_dir`). The lock proves no other nightly is running.
pub fn record_nightly(
    _lock: &NightlyLock,
    history: &Path,
    run: &RecordedRun,
    opts: &ReportOptions,
) -> Result<NightlyOutcome> {
    let mut h = History::open(history)?;
    let run_id = h.record(run)?;
    let report = h.report(run_id, opts.slower_pct, opts.trend_runs)?;
    let dir = &run.summary.out_dir;
    let mut files = Vec::new();
    for f in [Format::Html, Format::Markdown, Format::Json] {
        let p = dir.join(format!("report.{}", f.extension()));
        crate::atomic::write(&p, f.render(&report).as_bytes())?;
        files.push(p);
    }
    let exit_code = if report.comparison.regressed() { 1 } else { 0 };
    Ok(NightlyOutcome {
        run_id,
        report,
        files,
        exit_code,
    })
}

/// `kcross nightly` after the stages ran: record, compare, render; print the markdown summary
/// (or the JSON report with `json`) on stdout and where the reports are on stderr. Returns the
/// exit code: 1 on a regression, 0 otherwise.
pub fn nightly(
    lock: &NightlyLock,
    history: &Path,
    run: &RecordedRun,
    opts: &ReportOptions,
    json: bool,
) -> Result<i32> {
    let o = record_nightly(lock, history, run, opts)?;
    if json {
        print!("{}", Format::Json.render(&o.report));
    } else {
        print!("{}", Format::Markdown.render(&o.report));
    }
    eprintln!("kcross: recorded run {} in {}", o.run_id, history.display());
    for f in &o.files {
        eprintln!("kcross: report {}", f.display());
    }
    Ok(o.exit_code)
}

/// Render a recorded run (`run`, or the latest run of `matrix`, or the latest run) as `format`
/// to `out` (a file, or a directory to write `report-<id>.<ext>` into), or stdout.
pub fn report(
    history: &Path,
    run: Option<i64>,
    matrix: Option<&str>,
    format: Format,
    out: Option<&Path>,
    opts: &ReportOptions,
) -> Result<i32> {
    let h = History::open_existing(history)?;
    let id = match run {
        Some(id) => id,
        None => h.latest(matrix)?.ok_or_else(|| {
            Error::History(format!(
                "{}: no recorded run{}",
                history.display(),
                matrix
                    .map(|m| format!(" of matrix {m}"))
                    .unwrap_or_default()
            ))
        })?,
    };
    let text = format.render(&h.report(id, opts.slower_pct, opts.trend_runs)?);
    match out {
        None => print!("{text}"),
        Some(p) => {
            let p = if p.is_dir() {
                p.join(format!("report-{id}.{}", format.extension()))
            } else {
                p.to_path_buf()
            };
            crate::atomic::write(&p, text.as_bytes())?;
            eprintln!("kcross: wrote {}", p.display());
        }
    }
    Ok(0)
}

/// `kcross report --list`: the recorded runs, oldest first.
pub fn list(history: &Path, matrix: Option<&str>, json: bool) -> Result<i32> {
    let h = History::open_existing(history)?;
    let runs = h.runs(matrix)?;
    if json {
        print!("{}", Json.render(&runs));
        return Ok(0);
    }
    let rows: Vec<[String; 7]> = runs
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.matrix.clone(),
                super::short_time(&r.started_at),
                format!("{} {}", r.source_version, r.source_key),
                r.cells.to_string(),
                r.failed.to_string(),
                r.warnings.to_string(),
            ]
        })
        .collect();
    let head = [
        "RUN", "MATRIX", "STARTED", "SOURCE", "CELLS", "FAILED", "WARNINGS",
    ]
    .map(str::to_string);
    let mut w = head.clone().map(|h| h.len());
    for r in &rows {
        for (i, v) in r.iter().enumerate() {
            w[i] = w[i].max(v.chars().count());
        }
    }
    for r in std::iter::once(&head).chain(rows.iter()) {
        println!(
            "{:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {:>w4$}  {:>w5$}  {:>w6$}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4],
            w5 = w[5],
            w6 = w[6]
        );
    }
    Ok(0)
}
