//! Building: a `Plan` and a `SourceTree` in, `CellResult`s out. Cells run concurrently and
//! share one GNU make jobserver, so the machine runs about `--jobs` jobs in total whatever
//! the number of cells. A cell that fails is a result, not an `Err`.

mod cell;
pub mod farm;
pub mod record;
pub mod repro;
pub mod reuse;
mod tracked;

pub use cell::{
    build_dir_for, configure, make_command, make_failure, sandbox_reason, scan_log, BuildDir,
    Configured, FAILURE_TAIL,
};
pub use tracked::{MakeRun, Tracked};

use crate::diag::{Diagnostic, Severity};
use crate::error::{Error, IoContext, Result};
use crate::plan::{Cell, Plan};
use crate::source::SourceTree;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Instant;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Skipped,
    /// The build's make ran past the cell's time limit and was ended (a `fail`: a build that
    /// does not finish in its limit is a failed build; `CellResult::timeout` says how long).
    Timeout,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "skipped",
            Verdict::Timeout => "TIMEOUT",
        })
    }
}

impl crate::outcome::HasOutcome for Verdict {
    fn outcome(&self) -> crate::outcome::Outcome {
        use crate::outcome::Outcome;
        match self {
            Verdict::Pass => Outcome::Pass,
            Verdict::Fail => Outcome::Fail,
            Verdict::Skipped => Outcome::Skipped,
            Verdict::Timeout => Outcome::Fail,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Configure,
    Build,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Timings {
    pub configure_s: f64,
    pub build_s: f64,
    pub total_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellResult {
    pub cell: String,
    pub arch: String,
    pub toolchain: String,
    pub config: String,
    pub targets: Vec<String>,
    /// `Cell::config_key()` of what was built: base config, fragments' content, make vars,
    /// toolchain (empty in summaries of an older kcross and in runs read back from history).
    #[serde(default)]
    pub config_key: String,
    pub verdict: Verdict,
    /// The stage that failed, when the verdict is Fail.
    pub failed_stage: Option<Stage>,
    /// Why, in one line (first error, or the kconfig drop).
    pub reason: Option<String>,
    pub timings: Timings,
    /// The configure step was skipped: the build dir already had this exact configuration.
    pub config_reused: bool,
    /// The build ran in a build dir that had been built before (an incremental make);
    /// false for the first build of a fresh dir; None when not known (history rows of an
    /// older kcross). History compares build times of like kinds only.
    #[serde(default)]
    pub incremental: Option<bool>,
    /// How many diagnostics this run's make printed; `diagnostics` is the tree's complete
    /// set (the build dir's state), whatever was recompiled.
    #[serde(default)]
    pub printed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// Results directory of this cell (build.log, configure.log, config, result.json,
    /// reproduce.sh).
    pub dir: PathBuf,
    /// The kernel build dir (O=).
    pub build_dir: PathBuf,
    /// The boot image, when the build produced it.
    pub image: Option<PathBuf>,
    /// Set when the verdict is `timeout`: the limit and how long make ran before it was ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<TimedOut>,
    /// The build step's calls through the cell's compiler wrapper (hits, misses), from the
    /// wrapper's own per-call log; None without a wrapper or when it keeps none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<crate::toolchain::wrapper::WrapperStats>,
    /// Its makes ran in the sandbox (`--sandbox`: bwrap, no network, the system read-only).
    #[serde(default)]
    pub sandboxed: bool,
}

/// A cell's make that reached its time limit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimedOut {
    pub limit_s: u64,
    pub elapsed_s: f64,
}

impl CellResult {
    /// A passing result for a cell that has been configured, before its build: the verdict
    /// and counts are filled in as the build goes.
    pub fn configured(
        c: &Cell,
        dir: &Path,
        build_dir: &Path,
        configure_s: f64,
        config_reused: bool,
        diagnostics: Vec<Diagnostic>,
    ) -> CellResult {
        CellResult {
            cell: c.id.clone(),
            arch: c.arch.clone(),
            toolchain: c.toolchain.family.clone(),
            config: c.config.label.clone(),
            targets: c.targets.clone(),
            config_key: c.config_key(),
            verdict: Verdict::Pass,
            failed_stage: None,
            reason: None,
            timings: Timings {
                configure_s,
                ..Timings::default()
            },
            config_reused,
            incremental: None,
            printed: 0,
            errors: 0,
            warnings: 0,
            diagnostics,
            dir: dir.to_path_buf(),
            build_dir: build_dir.to_path_buf(),
            image: None,
            timeout: None,
            wrapper: None,
            sandboxed: false,
        }
    }

    /// Count the errors and warnings; a failed result without a reason gets its first
    /// error's `file:line: message`.
    pub fn count_diagnostics(&mut self) {
        let n = |s: Severity| self.diagnostics.iter().filter(|d| d.severity == s).count();
        (self.errors, self.warnings) = (n(Severity::Error), n(Severity::Warning));
        if self.verdict == Verdict::Fail && self.reason.is_none() {
            self.reason = self.diagnostics.iter().find(|d| d.is_error()).map(|d| {
                let loc = d.location();
                if loc.is_empty() {
                    d.message.clone()
                } else {
                    format!("{loc}: {}", d.message)
                }
            });
        }
    }

    pub fn first_errors(&self, n: usize) -> Vec<&Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .take(n)
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub kcross_version: String,
    pub matrix: String,
    pub matrix_origin: String,
    pub source: SourceTree,
    pub started_at: String,
    pub wall_s: f64,
    pub jobs: usize,
    pub out_dir: PathBuf,
    pub cells: Vec<CellResult>,
    /// The matrix's `[[known]]` entries judged on these cells: which occurred, which are
    /// stale, and which failed cells failed only on known issues.
    #[serde(default)]
    pub known: crate::known::KnownReport,
    /// Set when the run built one shard of the plan (`--partition K/N`): what `kcross
    /// merge` checks the shards against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::plan::Shard>,
}

impl RunSummary {
    /// No cell failed, except on known issues.
    pub fn all_passed(&self) -> bool {
        self.cells.iter().all(|c| !self.outcome_of(c).is_failure())
    }

    /// A cell's outcome: its verdict's, or `Known` when it failed only on known issues.
    pub fn outcome_of(&self, c: &CellResult) -> crate::outcome::Outcome {
        use crate::outcome::HasOutcome;
        self.known.outcome_of(&c.cell, c.verdict.outcome())
    }

    /// Judge the `[[known]]` entries on the cells (the one place a build's known issues are
    /// decided; `run` calls it, and so does anything that builds a summary of its own).
    pub fn judge_known(&mut self, issues: &[crate::known::KnownIssue]) {
        let subjects: Vec<crate::known::Subject> = self
            .cells
            .iter()
            .map(|c| crate::known::Subject {
                cell: &c.cell,
                arch: &c.arch,
                failed: crate::outcome::HasOutcome::outcome(&c.verdict).is_failure(),
                diagnostics: &c.diagnostics,
            })
            .collect();
        self.known = crate::known::judge(issues, &subjects);
    }
}

/// What the runner tells reporters while it works. Reporters only render these.
#[derive(Debug, Clone)]
pub enum Event {
    RunStarted { cells: Vec<String>, jobs: usize },
    CellStarted { cell: String },
    CellPhase { cell: String, phase: String },
    CellOutput { cell: String, line: String },
    CellFinished { result: Box<CellResult> },
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Total make jobs across all cells (the jobserver's size).
    pub jobs: usize,
    /// How many cells may build at once (default: all).
    pub cells_at_once: usize,
    /// The run's results directory.
    pub run_dir: PathBuf,
    /// Build dirs root (shared between runs and tests).
    pub build_root: PathBuf,
    /// Seconds each cell's build may take, overriding the matrix's (`--timeout`).
    pub timeout_s: Option<u64>,
    /// `run_dir` holds an earlier run of this plan (`--resume`): a cell whose `result.json`
    /// there is complete, of the same configuration and build dir, is taken as it is; the
    /// others are built.
    pub resume: bool,
    /// The order the cells start in, as indexes into the plan's cells (`plan::schedule`:
    /// longest expected first); empty: the plan's order. Results keep the plan's order.
    pub start_order: Vec<usize>,
    /// Run every make in this sandbox (`--sandbox`; `sandbox::probe` made it).
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

/// A shared jobserver: `jobs` tokens. Every make we start first takes one token (its implicit
/// slot), then make itself takes more from the same pool.
pub struct Jobs {
    client: jobserver::Client,
    /// Every make runs inside it when set (`--sandbox`).
    sandbox: Option<crate::sandbox::Sandbox>,
}

impl Jobs {
    pub fn new(jobs: usize) -> Result<Jobs> {
        Jobs::sandboxed(jobs, None)
    }

    /// A jobserver whose makes all run in `sandbox` (when one is given).
    pub fn sandboxed(jobs: usize, sandbox: Option<crate::sandbox::Sandbox>) -> Result<Jobs> {
        let client = jobserver::Client::new(jobs.max(1)).ctx(|| "creating a jobserver".into())?;
        Ok(Jobs { client, sandbox })
    }

    /// Do this jobserver's makes run in the sandbox?
    pub fn is_sandboxed(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The sandbox this jobserver's makes run in, if any.
    pub fn sandbox(&self) -> Option<&crate::sandbox::Sandbox> {
        self.sandbox.as_ref()
    }

    /// Run `f` holding one token, with `cmd` (wrapped in the sandbox, if any, with
    /// `build_dir` writable) set up to share the pool.
    fn with_token<T>(
        &self,
        cmd: &mut std::process::Command,
        build_dir: &Path,
        f: impl FnOnce(&mut std::process::Command) -> T,
    ) -> Result<T> {
        let mut wrapped;
        let cmd = match &self.sandbox {
            Some(sb) => {
                wrapped = sb.wrap(cmd, build_dir);
                &mut wrapped
            }
            None => cmd,
        };
        let token = self
            .client
            .acquire()
            .ctx(|| "taking a jobserver token".into())?;
        // configure_make, not configure: the latter only sets CARGO_MAKEFLAGS (for cargo
        // build scripts) and make would never see the jobserver.
        self.client.configure_make(cmd);
        let r = f(cmd);
        drop(token);
        Ok(r)
    }

    /// The one way kcross runs make: holding a token, sharing the pool, in its own process
    /// group (in the sandbox when there is one, `build_dir` writable), its output appended to
    /// `log` and each line handed to `on_line`.
    pub fn make(
        &self,
        cmd: &mut std::process::Command,
        build_dir: &Path,
        log: &std::path::Path,
        on_line: impl FnMut(&str),
    ) -> Result<std::process::ExitStatus> {
        self.with_token(cmd, build_dir, |cmd| {
            crate::proc::run_logged(cmd, log, on_line)
        })?
    }

    /// `make` under a time limit counted from when make starts (not while it waits for a
    /// token): past it, make's whole process group is killed and the result says so.
    pub fn make_within(
        &self,
        cmd: &mut std::process::Command,
        build_dir: &Path,
        log: &std::path::Path,
        limit: Option<std::time::Duration>,
        on_line: impl FnMut(&str),
    ) -> Result<crate::proc::Limited> {
        self.with_token(cmd, build_dir, |cmd| {
            crate::proc::run_logged_within(cmd, log, limit, on_line)
        })?
    }
}

/// `sb` with the cache directory of every cell's wrapper writable (ccache keeps its results
/// outside the build dir, and the sandbox makes everything outside read-only). The wrapper
/// names its own directory (`cache_dir` in its data file); it is made if missing.
fn wrapper_caches_writable(
    mut sb: crate::sandbox::Sandbox,
    cells: &[Cell],
) -> Result<crate::sandbox::Sandbox> {
    let mut seen = std::collections::BTreeSet::new();
    for w in cells.iter().filter_map(|c| c.wrapper.as_ref()) {
        let Some((program, args)) = w.cache_dir.split_first() else {
            continue;
        };
        if !seen.insert(w.cache_dir.clone()) {
            continue;
        }
        let said = w.cache_dir.join(" ");
        let out = crate::proc::run_capture(std::process::Command::new(program).args(args))
            .map_err(|e| Error::input(format!("wrapper {}", w.name), format!("`{said}`: {e}")))?;
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || dir.is_empty() {
            return Err(Error::input(
                format!("wrapper {}", w.name),
                format!(
                    "`{said}` did not print the cache directory the sandbox must leave writable: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
        sb = sb.with_writable(&dir);
    }
    Ok(sb)
}

/// Build every cell of the plan. Never fails because a cell failed; fails on kcross's own
/// problems (I/O, interruption).
pub fn run(
    plan: &Plan,
    src: &SourceTree,
    opts: &BuildOptions,
    events: &Sender<Event>,
) -> Result<RunSummary> {
    let started_at = chrono::Local::now().to_rfc3339();
    let t0 = Instant::now();
    std::fs::create_dir_all(&opts.run_dir)
        .ctx(|| format!("creating {}", opts.run_dir.display()))?;
    let sandbox = match &opts.sandbox {
        Some(sb) => Some(wrapper_caches_writable(sb.clone(), &plan.cells)?),
        None => None,
    };
    let jobs = Jobs::sandboxed(opts.jobs, sandbox)?;
    let _ = events.send(Event::RunStarted {
        cells: plan.cells.iter().map(|c| c.id.clone()).collect(),
        jobs: opts.jobs,
    });
    // `cells_at_once` workers take the cells from one queue in the start order, so the
    // longest expected cell starts first; each result goes to its cell's place in the plan.
    let queue = std::sync::Mutex::new(start_order(opts, plan.cells.len()).into_iter());
    let slots: Vec<std::sync::Mutex<Option<Result<CellResult>>>> = plan
        .cells
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let workers = opts.cells_at_once.clamp(1, plan.cells.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some(i) = queue.lock().unwrap().next() else {
                    break;
                };
                let r = build_cell(&plan.cells[i], src, opts, &jobs, events);
                if let Ok(res) = &r {
                    let _ = events.send(Event::CellFinished {
                        result: Box::new(res.clone()),
                    });
                }
                *slots[i].lock().unwrap() = Some(r);
            });
        }
    });
    let results: Vec<Result<CellResult>> = slots
        .into_iter()
        .map(|m| m.into_inner().unwrap().expect("every cell was built"))
        .collect();
    let mut cells = Vec::new();
    let mut interrupted = false;
    for r in results {
        match r {
            Ok(c) => cells.push(c),
            Err(crate::Error::Interrupted) => interrupted = true,
            Err(e) => return Err(e),
        }
    }
    if interrupted {
        let done: Vec<&str> = cells.iter().map(|c| c.cell.as_str()).collect();
        crate::atomic::write_json(
            &opts.run_dir.join("summary.json"),
            &record::InterruptedSummary {
                complete: false,
                interrupted_by: crate::error::interrupting_signal(),
                matrix: &plan.matrix,
                started_at: &started_at,
                wall_s: t0.elapsed().as_secs_f64(),
                cells: &cells,
                interrupted_cells: plan
                    .cells
                    .iter()
                    .filter(|c| !done.contains(&c.id.as_str()))
                    .map(|c| c.id.clone())
                    .collect(),
            },
        )?;
        return Err(crate::Error::Interrupted);
    }
    let mut summary = RunSummary {
        kcross_version: env!("CARGO_PKG_VERSION").to_string(),
        matrix: plan.matrix.clone(),
        matrix_origin: plan.matrix_origin.clone(),
        source: src.clone(),
        started_at,
        wall_s: t0.elapsed().as_secs_f64(),
        jobs: opts.jobs,
        out_dir: opts.run_dir.clone(),
        cells,
        known: Default::default(),
        shard: plan.shard.clone(),
    };
    summary.judge_known(&plan.known);
    crate::atomic::write_json(&opts.run_dir.join("summary.json"), &summary)?;
    Ok(summary)
}

fn build_cell(
    c: &Cell,
    src: &SourceTree,
    opts: &BuildOptions,
    jobs: &Jobs,
    events: &Sender<Event>,
) -> Result<CellResult> {
    let _ = events.send(Event::CellStarted { cell: c.id.clone() });
    let dir = opts.run_dir.join("cells").join(&c.id);
    let bd = build_dir_for(&opts.build_root, src, c);
    if opts.resume {
        if let Some(done) = record::finished_for(&dir.join("result.json"), c, &bd.path) {
            return Ok(done);
        }
    }
    std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    // Before anything runs: result.json says the cell is incomplete until it is replaced by
    // the finished result, and reproduce.sh says what is about to run.
    let started = record::CellStarted::new(c, &dir, &bd.path);
    record::write_started(&dir.join("result.json"), &started)?;
    let compiler = record::compiler_version(&c.toolchain);
    let script = repro::script(&repro::ReproInput {
        cell: c,
        src,
        build_dir: &bd.path,
        jobs: opts.jobs,
        compiler_version: &compiler,
        sandbox: jobs.sandbox(),
    });
    crate::atomic::write_executable(&dir.join("reproduce.sh"), script.as_bytes())?;
    let limit = opts.timeout_s.unwrap_or(c.timeout_s);
    let result = match cell::build(c, src, &bd, &dir, jobs, events, &compiler, limit) {
        Err(crate::Error::Interrupted) => {
            record::write_interrupted(&dir.join("result.json"), &started)?;
            return Err(crate::Error::Interrupted);
        }
        r => r?,
    };
    record::write_finished(&dir.join("result.json"), &result)?;
    crate::atomic::write_json(&dir.join("diagnostics.json"), &result.diagnostics)?;
    Ok(result)
}

/// `opts.start_order` when it is a permutation of the plan's cells, else the plan's order.
fn start_order(opts: &BuildOptions, cells: usize) -> Vec<usize> {
    let mut seen = opts.start_order.clone();
    seen.sort_unstable();
    if seen == (0..cells).collect::<Vec<_>>() {
        opts.start_order.clone()
    } else {
        (0..cells).collect()
    }
}

/// Default build-dir root: `<cache>/build`.
pub fn default_build_root() -> PathBuf {
    crate::source::cache_dir().join("build")
}

/// Read a run's summary back.
pub fn load_summary(path: &Path) -> Result<RunSummary> {
    let text = std::fs::read_to_string(path).ctx(|| format!("reading {}", path.display()))?;
    if serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|v| v.get("complete") == Some(&serde_json::Value::Bool(false)))
    {
        return Err(crate::Error::input(
            path.display().to_string(),
            "the summary of an interrupted run (\"complete\": false): not a result",
        ));
    }
    serde_json::from_str(&text)
        .map_err(|e| crate::Error::input(path.display().to_string(), e.to_string()))
}
