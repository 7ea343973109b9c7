//! What every subcommand does first: the shared flags, loading the data (registry, matrix,
//! plan), the tools check, the source, and the run directory.

use crate::build::{self, BuildOptions, RunSummary};
use crate::error::{Error, Result};
use crate::plan::{self, Filters, Plan};
use crate::report;
use crate::source::{self, SourceTree};
use crate::toolchain::{self, Registry};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Clone)]
pub struct Common {
    /// Matrix file: native TOML, lkb-harness JSON, or a TuxSuite plan (.yaml/.yml) (default: the built-in matrices/pud-helpers.toml)
    pub matrix: Option<PathBuf>,
    /// Kernel source: a tarball, a kernel tree, a git tree, or a Debian package name
    /// (default: the matrix's source, else linux-source-6.12)
    #[arg(long)]
    pub source: Option<String>,
    /// Results directory
    #[arg(long, default_value = "kcross-out")]
    pub out: PathBuf,
    /// Only these arches (repeatable; aliases such as ppc64le work)
    #[arg(long = "arch", value_parser = super::complete::ArchValue)]
    pub arches: Vec<String>,
    /// Only these toolchains (repeatable: gcc, clang)
    #[arg(long = "toolchain")]
    pub toolchains: Vec<String>,
    /// Total make jobs across all cells (default: number of cores)
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Machine-readable output on stdout
    #[arg(long)]
    pub json: bool,
    /// Extra toolchain data directory (arch/*.toml, compiler/*.toml); repeatable
    #[arg(long = "toolchains")]
    pub toolchain_dirs: Vec<PathBuf>,
    /// When another kcross is using the same --out, wait for it (default: refuse, naming it)
    #[arg(long)]
    pub wait: bool,
    /// Only shard K of N (`K/N`, 1 <= K <= N): the cells are split over N machines by a
    /// stable hash of their ids, each shard floor or ceil of cells/N; `kcross merge`
    /// combines the shards' results
    #[arg(long, value_name = "K/N")]
    pub partition: Option<crate::plan::Partition>,
    /// Compile through this wrapper (toolchains/wrapper/: ccache, sccache, distcc, icecc),
    /// replacing the matrix's `wrapper`; kbuild gets `CC="<wrapper> <compiler>"`
    #[arg(long, value_name = "NAME")]
    pub wrapper: Option<String>,
    /// Run every make under bubblewrap (Debian's `bubblewrap`): no network, the system and
    /// the source read-only, only the cell's build dir, kcross's working copy and a private
    /// /tmp writable; refused (exit 2) where bwrap cannot run (default: on for `kcross
    /// series`, off elsewhere)
    #[arg(long)]
    pub sandbox: bool,
}

/// The sandbox the run's makes go in: `on` (the command's decision from `--sandbox` and its
/// default) probes bwrap first and refuses, exit 2, where it cannot run; never a silent
/// fallback. `who` names the command in the refusal.
pub fn sandbox(on: bool, who: &str) -> Result<Option<crate::sandbox::Sandbox>> {
    if !on {
        return Ok(None);
    }
    crate::sandbox::probe(who).map(Some)
}

static OUT_LOCKS: std::sync::Mutex<Vec<(PathBuf, crate::util::FileLock)>> =
    std::sync::Mutex::new(Vec::new());

/// Claim `out` for this process until it exits (`<out>/.kcross.lock`, a flock holding our
/// pid). A second kcross on the same results directory is refused with the holder's pid, or
/// waits with `--wait`; a stage run inside another (nightly's check) already holds it.
/// Returns whether this call created the directory.
pub fn lock_out(out: &Path, wait: bool) -> Result<bool> {
    let created = !out.exists();
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("creating {}", out.display()), e))?;
    let key = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
    let mut held = OUT_LOCKS.lock().unwrap();
    if held.iter().any(|(p, _)| *p == key) {
        return Ok(false);
    }
    let path = key.join(".kcross.lock");
    let lock = match crate::util::FileLock::try_acquire_named(&path)? {
        Ok(l) => l,
        Err(_) if wait => crate::util::FileLock::acquire(&path)?,
        Err(who) => {
            return Err(Error::Usage(format!(
                "{} is in use by another kcross (pid {}): wait for it with --wait, or use another --out",
                out.display(),
                if who.is_empty() { "unknown".into() } else { who }
            )))
        }
    };
    held.push((key, lock));
    Ok(created)
}

/// Give up the claim on `out` and remove it, if it holds nothing but the lock file.
pub fn unclaim_if_empty(out: &Path) {
    let key = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
    let only_lock = std::fs::read_dir(&key)
        .map(|d| {
            d.flatten()
                .all(|e| e.file_name() == std::ffi::OsStr::new(".kcross.lock"))
        })
        .unwrap_or(false);
    if only_lock {
        OUT_LOCKS.lock().unwrap().retain(|(p, _)| *p != key);
        let _ = std::fs::remove_file(key.join(".kcross.lock"));
        let _ = std::fs::remove_dir(&key);
    }
}

pub struct Loaded {
    pub reg: Registry,
    pub matrix: crate::matrix::Matrix,
    pub plan: Plan,
}

/// Load for a stage that builds: a TuxSuite plan with a `patch_series` is refused here (the
/// series is gated per patch by `kcross series`, which uses `load_any`).
pub fn load(c: &Common) -> Result<Loaded> {
    load_stage(c, false)
}

/// `load` for the helper check: the plan covers the arches of `[check] arches` (cells from
/// `[check] from` for those the matrix does not build), `--arch` filters among them.
pub fn load_check(c: &Common) -> Result<Loaded> {
    load_stage(c, true)
}

fn load_stage(c: &Common, check: bool) -> Result<Loaded> {
    let l = load_any_for(c, check)?;
    if let Some(ps) = l
        .matrix
        .tuxsuite
        .as_ref()
        .and_then(|t| t.patch_series.as_ref())
    {
        return Err(Error::input(
            &ps.at,
            format!(
                "this plan has a patch_series: kcross gates it per patch with `kcross series {} {}` (build, check, boot and nightly build the tree without it)",
                ps.msg, l.matrix.origin
            ),
        ));
    }
    Ok(l)
}

/// Load the registry, the matrix (a TuxSuite plan's in-tree kconfig items read from the
/// source it would build: --source, else the plan's git_repo, else the default) and the plan;
/// a plan's notes (what it asks that kcross does not run) go to stderr.
pub fn load_any(c: &Common) -> Result<Loaded> {
    load_any_for(c, false)
}

fn load_any_for(c: &Common, check: bool) -> Result<Loaded> {
    let reg = Registry::load(&c.toolchain_dirs)?;
    let tree = |plan_source: Option<&str>| -> Result<PathBuf> {
        let spec = c
            .source
            .clone()
            .or(plan_source.map(str::to_string))
            .unwrap_or_else(|| source::DEFAULT_SOURCE.to_string());
        Ok(source::prepare(&spec)?.root)
    };
    let mut matrix = crate::matrix::load_with_tree(c.matrix.as_deref(), &reg, &tree)?;
    if check {
        matrix = matrix.for_check();
    }
    for n in matrix.tuxsuite.iter().flat_map(|t| &t.notes) {
        eprintln!("kcross: {}: {}", n.at, n.msg);
    }
    let plan = plan::expand(
        &matrix,
        &reg,
        &Filters {
            arches: c.arches.clone(),
            toolchains: c.toolchains.clone(),
            wrapper: c.wrapper.clone(),
        },
    )?;
    let plan = match c.partition {
        Some(p) => crate::plan::partition::partition(plan, p),
        None => plan,
    };
    Ok(Loaded { reg, matrix, plan })
}

pub fn source_spec(c: &Common, m: &crate::matrix::Matrix) -> String {
    c.source
        .clone()
        .or_else(|| m.source.clone())
        .unwrap_or_else(|| source::DEFAULT_SOURCE.to_string())
}

pub fn jobs(c: &Common) -> usize {
    c.jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        })
        .max(1)
}

/// `jobs`, or without `-j` the larger of the cores and the job slots a cell's compile farm
/// offers (distcc's `DISTCC_HOSTS`): preprocessing and linking stay local, compiles go out.
pub fn jobs_for(c: &Common, plan: &Plan) -> usize {
    let farm = plan
        .cells
        .iter()
        .filter_map(|cell| cell.wrapper.as_ref()?.slots.as_ref()?.offered())
        .max();
    match (c.jobs, farm) {
        (None, Some(n)) => n.max(jobs(c)),
        _ => jobs(c),
    }
}

/// Every program the plan's cells need, with who needs it.
pub fn requirements(l: &Loaded) -> Vec<(String, toolchain::Requirement)> {
    let mut v: Vec<(String, toolchain::Requirement)> = l
        .reg
        .host
        .iter()
        .map(|r| ("host".to_string(), r.clone()))
        .collect();
    for cell in &l.plan.cells {
        for r in &cell.toolchain.requires {
            v.push((cell.id.clone(), r.clone()));
        }
    }
    v
}

pub fn ensure_tools(l: &Loaded) -> Result<()> {
    let reqs = requirements(l);
    let missing: Vec<_> = reqs
        .iter()
        .filter(|(_, r)| which::which(&r.program).is_err())
        .collect();
    if let Some((who, first)) = missing.first() {
        let mut packages: Vec<&str> = missing.iter().map(|(_, r)| r.package.as_str()).collect();
        packages.dedup();
        return Err(Error::MissingTool {
            tool: first.program.clone(),
            needed_by: if missing.len() > 1 {
                format!(
                    "{who} (and {} more missing: run `kcross doctor`)",
                    missing.len() - 1
                )
            } else {
                who.clone()
            },
            package: packages.join(" "),
        });
    }
    // Every host of a cell's compile farm can compile with the cell's compiler.
    crate::build::farm::probe_hosts(&l.plan.cells)
}

/// What the runtime stage needs for the plan (QEMU, guest compiler, static libc per booting
/// arch): checked before anything is built, so a run with a runtime stage fails at once.
pub fn ensure_runtime_tools(l: &Loaded) -> Result<()> {
    crate::runtime::needs::ensure(&l.plan, &l.reg)
}

/// `<out>/runs/<timestamp>-<matrix>` (linked as latest by `set_latest` once complete).
pub fn new_run_dir(out: &Path, matrix: &str) -> Result<PathBuf> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    // The matrix's name is text from a file: in a path it is one plain component, never `/`,
    // `..` or a hidden name.
    let matrix: String = matrix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_+.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let matrix = matrix.trim_start_matches('.');
    let runs = out.join("runs");
    std::fs::create_dir_all(&runs)
        .map_err(|e| Error::io(format!("creating {}", runs.display()), e))?;
    // mkdir(2) is the claim: of two runs started in the same second, exactly one creates
    // `<stamp>-<matrix>`, the other gets `-2` (and so on); an existing name is never shared.
    for n in 1u32.. {
        let name = match n {
            1 => format!("{stamp}-{matrix}"),
            _ => format!("{stamp}-{matrix}-{n}"),
        };
        let dir = runs.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(format!("creating {}", dir.display()), e)),
        }
    }
    unreachable!("u32 run numbers")
}

#[cfg(test)]
mod run_dir_tests {
    #[test]
    fn runs_started_at_once_never_share_a_run_dir() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().to_path_buf();
        let dirs: Vec<_> = (0..8)
            .map(|_| {
                let out = out.clone();
                std::thread::spawn(move || super::new_run_dir(&out, "m").unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<_> = dirs.iter().collect();
        assert_eq!(unique.len(), 8, "{dirs:?}");
        assert!(dirs.iter().all(|d| d.is_dir()));
    }

    #[test]
    fn a_matrix_name_is_one_plain_path_component() {
        let t = tempfile::tempdir().unwrap();
        let d = super::new_run_dir(t.path(), "../../$(rm -rf ~)/x").unwrap();
        assert_eq!(d.parent().unwrap(), t.path().join("runs"), "{d:?}");
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with("-_..___rm_-rf____x"), "{name}");
        assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
    }
}

/// The stage a run dir holds the results of; each has its own `<out>/latest-<stage>` link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Build,
    Check,
    Series,
    Boot,
}

impl Stage {
    pub fn link_name(self) -> &'static str {
        match self {
            Stage::Build => "latest-build",
            Stage::Check => "latest-check",
            Stage::Series => "latest-series",
            Stage::Boot => "latest-boot",
        }
    }
}

/// Point `<out>/<name>` at `dir` (relative when under `out`), atomically: a new link renamed
/// over the old, so a reader sees the old run or the new one, never none.
fn link(out: &Path, name: &str, dir: &Path) -> Result<()> {
    let rel = dir.strip_prefix(out).unwrap_or(dir);
    let tmp = out.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let ctx = |e| Error::io(format!("linking {}", out.join(name).display()), e);
    std::os::unix::fs::symlink(rel, &tmp).map_err(ctx)?;
    std::fs::rename(&tmp, out.join(name)).map_err(ctx)?;
    Ok(())
}

/// A finished run of `stage`: `<out>/latest-<stage>` and `<out>/latest` (the newest run of
/// any stage) point at it.
pub fn set_latest(out: &Path, run_dir: &Path, stage: Stage) -> Result<()> {
    link(out, stage.link_name(), run_dir)?;
    link(out, "latest", run_dir)
}

/// Only `<out>/latest-<stage>`, for a stage that ran inside another stage's run (the check
/// and boot of `kcross nightly`, whose run is the build's): `latest` stays at that run.
pub fn set_latest_stage(out: &Path, dir: &Path, stage: Stage) -> Result<()> {
    link(out, stage.link_name(), dir)
}

/// The newest complete build in `out`: `<out>/latest-build/summary.json`.
pub fn latest_build(out: &Path) -> PathBuf {
    out.join(Stage::Build.link_name()).join("summary.json")
}

pub fn prepare_source(c: &Common, l: &Loaded) -> Result<SourceTree> {
    let spec = source_spec(c, &l.matrix);
    if !c.json {
        eprintln!("kcross: source {spec}");
    }
    source::prepare(&spec)
}

pub fn run_builds(
    c: &Common,
    l: &Loaded,
    src: &SourceTree,
    cells_at_once: Option<usize>,
    timeout_s: Option<u64>,
    resume: Option<&Path>,
) -> Result<RunSummary> {
    let sandbox = sandbox(c.sandbox, "kcross --sandbox")?;
    let run_dir = match resume {
        Some(dir) => resumable_run_dir(&c.out, dir)?,
        None => new_run_dir(&c.out, &l.plan.matrix)?,
    };
    let opts = BuildOptions {
        jobs: jobs_for(c, &l.plan),
        cells_at_once: cells_at_once.unwrap_or(l.plan.cells.len()),
        run_dir: run_dir.clone(),
        build_root: build::default_build_root(),
        timeout_s,
        resume: resume.is_some(),
        start_order: start_order(c, l),
        sandbox,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    // Progress goes to stderr even with --json (stdout stays machine-readable).
    let progress = std::thread::spawn(move || report::terminal::progress(rx, false));
    let summary = build::run(&l.plan, src, &opts, &tx);
    drop(tx);
    let _ = progress.join();
    // The run's results, then its publication as `latest`: if any of it cannot be written
    // (a full disk, a read-only --out), the run dir is removed, so that nothing half-written
    // stays behind for a later run or report to read. An interrupted run keeps its record.
    let done = summary.and_then(|summary| {
        // For CI systems: a test case per cell, the first errors in the failure text.
        use crate::report::Export;
        crate::atomic::write(
            &summary.out_dir.join("junit.xml"),
            report::junit::Junit.render(&summary).as_bytes(),
        )?;
        set_latest(&c.out, &run_dir, Stage::Build)?;
        Ok(summary)
    });
    if let Err(e) = &done {
        // A resumed run dir is not this run's to remove: it holds the earlier run's results.
        if !matches!(e, Error::Interrupted) && resume.is_none() {
            discard_run(&c.out, &run_dir);
        }
    }
    done
}

/// `--resume DIR`: a run dir of `out` (`<out>/runs/<name>`, so the --out lock covers it) that
/// some kcross build wrote (it has `cells/`).
fn resumable_run_dir(out: &Path, dir: &Path) -> Result<PathBuf> {
    let runs = out.join("runs");
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let d = canon(dir);
    if d.parent() != Some(canon(&runs).as_path()) {
        return Err(Error::Usage(format!(
            "--resume {}: not a run of --out {} (expected a directory in {})",
            dir.display(),
            out.display(),
            runs.display()
        )));
    }
    if !d.join("cells").is_dir() {
        return Err(Error::Usage(format!(
            "--resume {}: not a kcross build run (no cells/ in it)",
            dir.display()
        )));
    }
    Ok(d)
}

/// Remove a run dir that could not be written whole, and any `latest` link to it.
fn discard_run(out: &Path, run_dir: &Path) {
    let _ = std::fs::remove_dir_all(run_dir);
    for e in std::fs::read_dir(out).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_symlink()
            && std::fs::read_link(&p).is_ok_and(|t| out.join(&t) == run_dir || t == run_dir)
        {
            let _ = std::fs::remove_file(&p);
        }
    }
    let _ = std::fs::remove_dir(out.join("runs"));
}

/// Longest expected cell first (`plan::schedule`): the times of the matrix's latest run in
/// `<out>/history.sqlite` when there is one, the static estimates otherwise.
fn start_order(c: &Common, l: &Loaded) -> Vec<usize> {
    let path = crate::history::default_history_path(&c.out);
    let mut times = std::collections::BTreeMap::new();
    if path.exists() {
        if let Ok(h) = crate::history::History::open_existing(&path) {
            if let Ok(Some(id)) = h.latest(Some(&l.plan.matrix)) {
                if let Ok(run) = h.load(id) {
                    for cell in &run.summary.cells {
                        times.insert(cell.cell.clone(), cell.timings.total_s);
                    }
                }
            }
        }
    }
    let expected = plan::schedule::expected(&l.plan.cells, &l.reg, &times);
    plan::schedule::order(&expected)
}

/// The result on stdout: with `--json` the value as JSON (and the human text on stderr, so a
/// pipe gets only JSON), otherwise the human text.
pub fn emit<T: serde::Serialize>(json: bool, value: &T, text: &str) {
    use crate::report::Export;
    if json {
        print!("{}", crate::report::json::Json.render(value));
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

/// The helper check with its progress on stderr: a line per cell as it is done.
pub fn run_check(
    plan: &Plan,
    src: &SourceTree,
    opts: &crate::check::CheckOptions,
) -> Result<crate::check::CheckSummary> {
    use crate::check::CheckEvent;
    let (tx, rx) = std::sync::mpsc::channel();
    let printer = std::thread::spawn(move || {
        for ev in rx {
            match ev {
                CheckEvent::CellDone {
                    cell,
                    seconds,
                    setup_failure,
                } => eprintln!(
                    "[{cell}] checked in {seconds:.1}s{}",
                    setup_failure.map(|f| format!(": {f}")).unwrap_or_default()
                ),
            }
        }
    });
    let r = crate::check::run(plan, src, opts, &tx);
    drop(tx);
    let _ = printer.join();
    r
}
