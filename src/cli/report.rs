//! `kcross report`: render a recorded run, or list the recorded runs.

use crate::error::{Error, Result};
use crate::history::{short_time, History, ReportOptions};
use crate::report::json::Json;
use crate::report::table::{Align, Table};
use crate::report::{Export, Format};
use std::path::Path;

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
    let origin = crate::report::kcidb::DEFAULT_ORIGIN;
    report_with_origin(history, run, matrix, format, out, opts, origin)
}

/// `report`, with the KCIDB origin of `--format kcidb` (`[a-z0-9_]+`, else bad input).
pub fn report_with_origin(
    history: &Path,
    run: Option<i64>,
    matrix: Option<&str>,
    format: Format,
    out: Option<&Path>,
    opts: &ReportOptions,
    kcidb_origin: &str,
) -> Result<i32> {
    if !crate::report::kcidb::valid_origin(kcidb_origin) {
        return Err(Error::Usage(format!(
            "--kcidb-origin {kcidb_origin:?}: a KCIDB origin is lowercase letters, digits and _"
        )));
    }
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
    let r = h.report(id, opts.slower_pct, opts.trend_runs)?;
    let text = match format {
        Format::Kcidb => crate::report::kcidb::Kcidb {
            origin: kcidb_origin.to_string(),
        }
        .render(&r),
        _ => format.render(&r),
    };
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
    let mut t = Table::new()
        .col("RUN", Align::Right)
        .col("MATRIX", Align::Left)
        .col("STARTED", Align::Left)
        .col("SOURCE", Align::Left)
        .col("CELLS", Align::Right)
        .col("FAILED", Align::Right)
        .col("WARNINGS", Align::Right);
    for r in &runs {
        t.row(vec![
            r.id.to_string(),
            r.matrix.clone(),
            short_time(&r.started_at),
            format!("{} {}", r.source_version, r.source_key),
            r.cells.to_string(),
            r.failed.to_string(),
            r.warnings.to_string(),
        ]);
    }
    print!("{}", t.render());
    Ok(0)
}

/// `kcross report --from DIR --format kcidb`: export a results directory that the history
/// does not hold: a `kcross series` run (`series.json`: the series applied, its patches'
/// hashes and Message-IDs, every step per cell) or a build run with its boots
/// (`summary.json` and, when booted, `runtime.json`: runtime tests and KUnit cases). DIR may
/// be the `--out` directory: its `latest` run is taken.
pub fn export_dir(
    dir: &Path,
    format: Format,
    out: Option<&Path>,
    kcidb_origin: &str,
) -> Result<i32> {
    if format != Format::Kcidb {
        return Err(Error::Usage(format!(
            "--from {}: only --format kcidb renders a results directory (the other formats \
             render a recorded run: see --list)",
            dir.display()
        )));
    }
    if !crate::report::kcidb::valid_origin(kcidb_origin) {
        return Err(Error::Usage(format!(
            "--kcidb-origin {kcidb_origin:?}: a KCIDB origin is lowercase letters, digits and _"
        )));
    }
    let run_dir = if dir.join("latest").exists() {
        dir.join("latest")
    } else {
        dir.to_path_buf()
    };
    let read = |name: &str| -> Result<Option<String>> {
        let p = run_dir.join(name);
        if !p.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&p)
            .map(Some)
            .map_err(|e| Error::input(p.display().to_string(), e.to_string()))
    };
    let parse_err = |name: &str, e: serde_json::Error| {
        Error::input(run_dir.join(name).display().to_string(), e.to_string())
    };
    let run = if let Some(text) = read("series.json")? {
        let s: crate::series::SeriesResult =
            serde_json::from_str(&text).map_err(|e| parse_err("series.json", e))?;
        crate::history::rows::from_series(&s)
    } else if read("summary.json")?.is_some() {
        let summary = crate::build::load_summary(&run_dir.join("summary.json"))?;
        let runtime = match read("runtime.json")? {
            Some(t) => {
                let rt: crate::runtime::RuntimeSummary =
                    serde_json::from_str(&t).map_err(|e| parse_err("runtime.json", e))?;
                crate::history::rows::from_runtime(&rt)
            }
            None => Vec::new(),
        };
        crate::history::RecordedRun::new(summary, Vec::new(), runtime)
    } else {
        return Err(Error::input(
            run_dir.display().to_string(),
            "no series.json (a series run) or summary.json (a build run) here",
        ));
    };
    let k = crate::report::kcidb::Kcidb {
        origin: kcidb_origin.to_string(),
    };
    let mut text = serde_json::to_string_pretty(&k.document(&run)).unwrap_or_default();
    text.push('\n');
    match out {
        None => print!("{text}"),
        Some(p) => {
            crate::atomic::write(p, text.as_bytes())?;
            eprintln!("kcross: wrote {}", p.display());
        }
    }
    Ok(0)
}
