//! A cell's `result.json` over its life: written when the cell starts, marked incomplete
//! (`"complete": false`, verdict `incomplete`), and replaced atomically by the finished
//! `CellResult` (`"complete": true`) at the end. A hard kill (SIGKILL, a crash, a power cut)
//! therefore leaves the incomplete record, and since `incomplete` is no `Verdict`, nothing
//! that reads a `CellResult` (a summary, history, `kcross boot`'s reuse) can take it for one.
//! Also here: the compiler's version line, the first line of every cell's build.log.

use super::CellResult;
use crate::error::{Error, IoContext, Result};
use crate::plan::Cell;
use crate::toolchain::ResolvedToolchain;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `result.json` says while the cell runs (and after a hard kill).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CellStarted {
    /// Always false.
    pub complete: bool,
    /// Always `incomplete`.
    pub verdict: String,
    pub reason: String,
    pub cell: String,
    pub arch: String,
    pub toolchain: String,
    pub config: String,
    pub targets: Vec<String>,
    pub config_key: String,
    pub started_at: String,
    /// The kcross process that ran the cell.
    pub pid: u32,
    pub dir: PathBuf,
    pub build_dir: PathBuf,
}

impl CellStarted {
    pub fn new(c: &Cell, dir: &Path, build_dir: &Path) -> CellStarted {
        CellStarted {
            complete: false,
            verdict: "incomplete".into(),
            reason: "kcross did not finish this cell (it is running, or it was killed); the \
                     finished result replaces this file"
                .into(),
            cell: c.id.clone(),
            arch: c.arch.clone(),
            toolchain: c.toolchain.family.clone(),
            config: c.config.label.clone(),
            targets: c.targets.clone(),
            config_key: c.config_key(),
            started_at: chrono::Local::now().to_rfc3339(),
            pid: std::process::id(),
            dir: dir.to_path_buf(),
            build_dir: build_dir.to_path_buf(),
        }
    }
}

/// The finished result as written: `"complete": true` and the `CellResult`.
#[derive(Serialize)]
struct Finished<'a> {
    complete: bool,
    #[serde(flatten)]
    result: &'a CellResult,
}

/// A cell's `result.json`, read back.
#[derive(Debug, Clone)]
pub enum CellRecord {
    Complete(Box<CellResult>),
    Incomplete(Box<CellStarted>),
}

pub fn write_started(path: &Path, s: &CellStarted) -> Result<()> {
    crate::atomic::write_json(path, s)
}

/// The cell was under way when SIGINT/SIGTERM came: its record stays incomplete, and says so.
pub fn write_interrupted(path: &Path, s: &CellStarted) -> Result<()> {
    let sig = crate::error::interrupting_signal();
    let s = CellStarted {
        verdict: "interrupted".into(),
        reason: format!("interrupted by {sig}: kcross ended the cell's make and did not finish it"),
        ..s.clone()
    };
    crate::atomic::write_json(path, &s)
}

/// The summary of a run that SIGINT/SIGTERM ended: the cells that finished, the ones that
/// did not, and `"complete": false`, so that `load_summary` refuses to take it for a result.
#[derive(Serialize)]
pub struct InterruptedSummary<'a> {
    pub complete: bool,
    pub interrupted_by: &'static str,
    pub matrix: &'a str,
    pub started_at: &'a str,
    pub wall_s: f64,
    pub cells: &'a [CellResult],
    pub interrupted_cells: Vec<String>,
}

pub fn write_finished(path: &Path, r: &CellResult) -> Result<()> {
    crate::atomic::write_json(
        path,
        &Finished {
            complete: true,
            result: r,
        },
    )
}

/// Read a `result.json`: the finished result, or the record of a cell that never finished.
pub fn load(path: &Path) -> Result<CellRecord> {
    let text = std::fs::read_to_string(path).ctx(|| format!("reading {}", path.display()))?;
    let bad = |e: serde_json::Error| Error::input(path.display().to_string(), e.to_string());
    let v: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
    if v.get("complete") == Some(&serde_json::Value::Bool(false)) {
        return Ok(CellRecord::Incomplete(Box::new(
            serde_json::from_value(v).map_err(bad)?,
        )));
    }
    Ok(CellRecord::Complete(Box::new(
        serde_json::from_value(v).map_err(bad)?,
    )))
}

/// `--resume`: the finished result in `path` when it is this cell's, of the same
/// configuration and build dir (so of the same source); None when the cell must be built (no
/// record, an incomplete or interrupted one, another configuration, an unreadable file).
pub fn finished_for(path: &Path, c: &Cell, build_dir: &Path) -> Option<CellResult> {
    match load(path) {
        Ok(CellRecord::Complete(r))
            if r.cell == c.id
                && r.config_key == c.config_key()
                && r.targets == c.targets
                && r.build_dir == build_dir =>
        {
            Some(*r)
        }
        _ => None,
    }
}

/// The first line of `<compiler> --version` for the cell's toolchain (its compiler is the
/// first program the compiler family requires), or why it is not known.
pub fn compiler_version(tc: &ResolvedToolchain) -> String {
    let Some(cc) = tc.compiler() else {
        return format!(
            "compiler version unknown: toolchain {} names no program",
            tc.family
        );
    };
    let mut cmd = Command::new(cc);
    cmd.arg("--version").env("LC_ALL", "C");
    match crate::proc::run_capture(&mut cmd) {
        Ok(o) if o.status.success() => {
            let out = String::from_utf8_lossy(&o.stdout);
            match out.lines().next().map(str::trim) {
                Some(l) if !l.is_empty() => l.to_string(),
                _ => format!("compiler version unknown: `{cc} --version` printed nothing"),
            }
        }
        Ok(o) => format!(
            "compiler version unknown: `{cc} --version` failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("compiler version unknown: `{cc} --version`: {e}"),
    }
}
