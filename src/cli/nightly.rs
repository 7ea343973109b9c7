//! `kcross nightly`: made for cron. No terminal needed, plain output, one lock per history
//! file (a second nightly on the same history is refused with exit 2 while the first runs),
//! exit 1 when something regressed since the previous run of the same matrix, 0 otherwise.

use super::common::{
    ensure_tools, jobs, load, prepare_source, run_builds, set_latest_stage, Common, Stage,
};
use crate::build;
use crate::error::Result;
use crate::history::{History, NightlyLock, RecordedRun, ReportOptions, RunReport};
use crate::report::Format;
use std::path::{Path, PathBuf};

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
    let files = write_reports(&run.summary.out_dir, &report)?;
    let exit_code = if report.comparison.regressed() { 1 } else { 0 };
    Ok(NightlyOutcome {
        run_id,
        report,
        files,
        exit_code,
    })
}

/// `report.html`, `report.md` and `report.json` of a nightly into its run dir.
fn write_reports(dir: &Path, report: &RunReport) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for f in [Format::Html, Format::Markdown, Format::Json] {
        let p = dir.join(format!("report.{}", f.extension()));
        crate::atomic::write(&p, f.render(report).as_bytes())?;
        files.push(p);
    }
    Ok(files)
}

/// Run between the comparison and the rendering (`--bisect`: put culprits beside the
/// regressions).
pub type AfterCompare<'a> = &'a mut dyn FnMut(&mut RunReport) -> Result<()>;

/// What `kcross nightly` prints on stdout.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NightlyFormat {
    Markdown,
    Json,
    /// The robot-style mail (nothing when no build regressed)
    Mail,
}

/// `kcross nightly` after the stages ran: record, compare, render (and `mail.eml` when a
/// build regressed); print the chosen format on stdout and where the reports are on stderr.
/// Returns the exit code: 1 on a regression, 0 otherwise.
pub fn nightly(
    lock: &NightlyLock,
    history: &Path,
    run: &RecordedRun,
    opts: &ReportOptions,
    format: NightlyFormat,
    mail: &crate::report::mail::Options,
    after: Option<AfterCompare>,
) -> Result<i32> {
    let mut o = record_nightly(lock, history, run, opts)?;
    if let Some(f) = after {
        f(&mut o.report)?;
        o.files = write_reports(&run.summary.out_dir, &o.report)?;
    }
    let text = crate::report::mail_nightly::render(&o.report, mail);
    if let Some(t) = &text {
        let p = run.summary.out_dir.join("mail.eml");
        crate::atomic::write(&p, t.as_bytes())?;
        o.files.push(p);
    }
    match format {
        NightlyFormat::Json => print!("{}", Format::Json.render(&o.report)),
        NightlyFormat::Markdown => print!("{}", Format::Markdown.render(&o.report)),
        NightlyFormat::Mail => match &text {
            Some(t) => print!("{t}"),
            None => eprintln!("kcross: no mail: no build regressed"),
        },
    }
    eprintln!("kcross: recorded run {} in {}", o.run_id, history.display());
    for f in &o.files {
        eprintln!("kcross: report {}", f.display());
    }
    Ok(o.exit_code)
}

/// `kcross nightly`: one at a time per history file (exit 2 otherwise), every stage the matrix
/// has, then record + compare + reports (report.html, report.md, report.json in the run dir).
pub fn run(
    c: &Common,
    history: Option<PathBuf>,
    opts: &ReportOptions,
    format: NightlyFormat,
    mail_from: &str,
    bisect: &super::nightly_bisect::Args,
) -> Result<i32> {
    let history = history.unwrap_or_else(|| crate::history::default_history_path(&c.out));
    let lock = NightlyLock::acquire(&history)?;
    let l = load(c)?;
    ensure_tools(&l)?;
    if l.plan.runtime.is_some() {
        super::common::ensure_runtime_tools(&l)?;
    }
    let src = prepare_source(c, &l)?;
    let summary = run_builds(c, &l, &src, None, None, None)?;
    let check = if l.plan.helpers.is_empty() {
        Vec::new()
    } else {
        let opts = crate::check::CheckOptions {
            helpers: l.plan.helpers.iter().map(|h| h.name.clone()).collect(),
            extra_objects: l.plan.check_objects.clone(),
            includes: l.plan.check_includes.clone(),
            jobs: jobs(c),
            run_dir: summary.out_dir.join("check"),
            build_root: build::default_build_root(),
            sandbox: super::common::sandbox(c.sandbox, "kcross nightly --sandbox")?,
        };
        let check = super::common::run_check(&l.plan, &src, &opts)?;
        set_latest_stage(&c.out, &opts.run_dir, Stage::Check)?;
        crate::history::rows::from_check(&check)
    };
    let runtime = if l.plan.runtime.is_some() {
        let mut opts = crate::runtime::RuntimeOptions::new(summary.out_dir.clone());
        opts.sandbox = super::common::sandbox(c.sandbox, "kcross nightly --sandbox")?;
        let rt = super::boot::runtime_after_build(&l.plan, &l.reg, &summary, &opts, false)?;
        set_latest_stage(&c.out, &summary.out_dir, Stage::Boot)?;
        crate::history::rows::from_runtime(&rt)
    } else {
        Vec::new()
    };
    let run = crate::history::RecordedRun::new(summary, check, runtime);
    let format = if c.json { NightlyFormat::Json } else { format };
    let mail = crate::report::mail::Options {
        from: mail_from.to_string(),
        base_url: None,
        cells: l
            .plan
            .cells
            .iter()
            .map(|cell| (cell.id.clone(), super::series::cell_info(cell)))
            .collect(),
    };
    let mut hook = |r: &mut RunReport| {
        super::nightly_bisect::bisect_regressions(bisect, c, &l, &src, r, &history, mail_from)
            .map(|_| ())
    };
    let after: Option<AfterCompare> = if bisect.bisect { Some(&mut hook) } else { None };
    nightly(&lock, &history, &run, opts, format, &mail, after)
}
