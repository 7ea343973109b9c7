//! Helper check: for every cell, where each named helper is defined or declared for that arch
//! and config, that it compiles (a probe translation unit built by kbuild with the arch's own
//! flags, plus the real objects that define or use it), and that it resolves (nm).
//! Verdicts are data: provided / not-required / missing / unresolved, each with evidence.

mod gate;
mod outcome;
mod probe;
pub mod scan;
mod sites;
mod verdict;

use crate::build::{self, BuildDir, Jobs};
use crate::diag::{Diagnostic, ParseContext};
use crate::error::{IoContext, Result};
use crate::kconfig;
use crate::plan::{Cell, Plan};
use crate::source::SourceTree;
use crate::util::FileLock;
use probe::{nm, write_probe, Symbols};
use scan::{Config, Truth};
use serde::{Deserialize, Serialize};
use sites::{scan_tree, Candidates};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum HelperVerdict {
    Provided,
    NotRequired,
    Missing,
    Unresolved,
}

impl HelperVerdict {
    pub fn is_failure(self) -> bool {
        matches!(self, HelperVerdict::Missing | HelperVerdict::Unresolved)
    }
}

impl std::fmt::Display for HelperVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HelperVerdict::Provided => "provided",
            HelperVerdict::NotRequired => "not required",
            HelperVerdict::Missing => "MISSING",
            HelperVerdict::Unresolved => "UNRESOLVED",
        })
    }
}

/// One piece of evidence: what was seen, and where (file:line, relative to the tree).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Evidence {
    pub what: String,
    pub at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelperResult {
    pub cell: String,
    pub arch: String,
    pub helper: String,
    pub verdict: HelperVerdict,
    /// `static inline`, `extern function`, `macro`, `definition` (as the compiler saw it).
    pub kind: Option<String>,
    /// `arch` or `generic` for provided helpers.
    pub provider: Option<String>,
    /// One line: the verdict's reason.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellCheck {
    pub cell: String,
    pub arch: String,
    pub toolchain: String,
    pub config: String,
    pub configure_reused: bool,
    pub prepare_reused: bool,
    pub seconds: f64,
    /// Configure or prepare failed: no verdicts, the diagnostics say why.
    pub setup_failure: Option<String>,
    pub setup_diagnostics: Vec<Diagnostic>,
    pub objects: Vec<String>,
    pub helpers: Vec<HelperResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckSummary {
    pub matrix: String,
    pub source: SourceTree,
    pub helpers: Vec<String>,
    pub cells: Vec<CellCheck>,
    /// Helpers provided on no cell at all (a typo, or a tree without the series).
    pub provided_nowhere: Vec<String>,
    pub wall_s: f64,
    pub out_dir: PathBuf,
}

impl CheckSummary {
    pub fn passed(&self) -> bool {
        self.provided_nowhere.is_empty()
            && self.cells.iter().all(|c| {
                c.setup_failure.is_none() && c.helpers.iter().all(|h| !h.verdict.is_failure())
            })
    }
}

pub struct CheckOptions {
    pub helpers: Vec<String>,
    pub extra_objects: Vec<String>,
    /// The headers the probe includes (`[check] includes`).
    pub includes: Vec<String>,
    pub jobs: usize,
    pub run_dir: PathBuf,
    pub build_root: PathBuf,
    /// Every make (prepare, objects, the probe) in this sandbox (`--sandbox`).
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

/// What the check reports while it runs (the CLI prints these).
#[derive(Debug, Clone, Serialize)]
pub enum CheckEvent {
    CellDone {
        cell: String,
        seconds: f64,
        setup_failure: Option<String>,
    },
}

pub fn run(
    plan: &Plan,
    src: &SourceTree,
    opts: &CheckOptions,
    events: &std::sync::mpsc::Sender<CheckEvent>,
) -> Result<CheckSummary> {
    let t0 = Instant::now();
    std::fs::create_dir_all(&opts.run_dir)
        .ctx(|| format!("creating {}", opts.run_dir.display()))?;
    let jobs = Jobs::sandboxed(opts.jobs, opts.sandbox.clone())?;
    // The files that name a helper, read once for every cell.
    let cands = Candidates::find_cached(
        &src.root,
        &src.key,
        &opts.helpers,
        &opts.extra_objects,
        &opts.build_root.join("check-scan"),
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.cells.len().max(1))
        .build()
        .expect("thread pool");
    let results: Vec<Result<CellCheck>> = pool.install(|| {
        use rayon::prelude::*;
        plan.cells
            .par_iter()
            .map(|c| {
                let r = check_cell(c, src, opts, &jobs, &cands);
                if let Ok(cc) = &r {
                    let _ = events.send(CheckEvent::CellDone {
                        cell: cc.cell.clone(),
                        seconds: cc.seconds,
                        setup_failure: cc.setup_failure.clone(),
                    });
                }
                r
            })
            .collect()
    });
    let mut cells = Vec::new();
    for r in results {
        cells.push(r?);
    }
    let provided_nowhere = opts
        .helpers
        .iter()
        .filter(|h| {
            !cells
                .iter()
                .flat_map(|c| c.helpers.iter())
                .any(|r| &r.helper == *h && r.verdict == HelperVerdict::Provided)
        })
        .cloned()
        .collect();
    let summary = CheckSummary {
        matrix: plan.matrix.clone(),
        source: src.clone(),
        helpers: opts.helpers.clone(),
        cells,
        provided_nowhere,
        wall_s: t0.elapsed().as_secs_f64(),
        out_dir: opts.run_dir.clone(),
    };
    crate::atomic::write_json(&opts.run_dir.join("check.json"), &summary)?;
    Ok(summary)
}

const PREPARED: &str = ".kcross-prepared";

fn run_make_quiet(cmd: &mut Command, bd: &Path, jobs: &Jobs, log: &Path) -> Result<bool> {
    Ok(jobs.make(cmd, bd, log, |_| {})?.success())
}

fn check_cell(
    c: &Cell,
    src: &SourceTree,
    opts: &CheckOptions,
    jobs: &Jobs,
    cands: &Candidates,
) -> Result<CellCheck> {
    let t0 = Instant::now();
    let dir = opts.run_dir.join("cells").join(&c.id);
    std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    let bd: BuildDir = build::build_dir_for(&opts.build_root, src, c);
    let _lock = FileLock::acquire(&bd.lock)?;
    let (tx, _rx) = std::sync::mpsc::channel();
    let log = dir.join("check.log");
    crate::atomic::write(&log, b"")?;
    let mut out = CellCheck {
        cell: c.id.clone(),
        arch: c.arch.clone(),
        toolchain: c.toolchain.family.clone(),
        config: c.config.label.clone(),
        configure_reused: false,
        prepare_reused: false,
        seconds: 0.0,
        setup_failure: None,
        setup_diagnostics: Vec::new(),
        objects: Vec::new(),
        helpers: Vec::new(),
    };
    // Every make in the build dir keeps its diagnostics state (a later build, or a warm
    // check, sees what this one compiled).
    let mut tracked = build::Tracked::open(&bd, &src.root, &c.id)?;
    let conf = build::configure(c, src, &bd, &log, jobs, &tx)?;
    tracked.configured(&conf)?;
    out.configure_reused = conf.reused;
    if !conf.ok {
        out.setup_failure = Some(first_error(&conf.diagnostics, "configure failed"));
        out.setup_diagnostics = conf.diagnostics;
        out.seconds = t0.elapsed().as_secs_f64();
        return Ok(out);
    }
    // prepare, unless this exact configuration was prepared already
    let key = c.config_key();
    let stamp = bd.path.join(PREPARED);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str()) {
        out.prepare_reused = true;
    } else {
        let mut cmd = build::make_command(&src.root, &bd.path, c, &["prepare".to_string()]);
        let prepare = ["prepare".to_string()];
        let run = tracked.make(&mut cmd, &prepare, jobs, &log, &BTreeSet::new(), |_| {})?;
        if !run.ok {
            let d = run.printed;
            out.setup_failure = Some(first_error(&d, "make prepare failed"));
            out.setup_diagnostics = d;
            out.seconds = t0.elapsed().as_secs_f64();
            return Ok(out);
        }
        crate::atomic::write(&stamp, key.as_bytes())?;
    }
    let dotconfig =
        std::fs::read_to_string(bd.path.join(".config")).ctx(|| "reading .config".into())?;
    let values = kconfig::parse_dotconfig(&dotconfig);
    let cfg = Config { values: &values };

    // 1. The tree's uses and definitions of each helper (mm/, fs/, drivers/, the arch,
    // include/), judged for this config.
    let sites = scan_tree(&src.root, cands, &c.srcarch, &opts.helpers, &cfg);

    // 2. Build the real objects that define or use a helper in code this config compiles.
    let mut objects: BTreeSet<String> = BTreeSet::new();
    for s in sites
        .iter()
        .filter(|s| !s.header && s.compiled != Truth::False && s.object_built != Some(false))
    {
        objects.insert(s.object.clone());
    }
    for o in &opts.extra_objects {
        objects.insert(o.clone());
    }
    out.objects = objects.iter().cloned().collect();
    let obj_log = dir.join("objects.log");
    crate::atomic::write(&obj_log, b"")?;
    let mut obj_diags = Vec::new();
    if !objects.is_empty() {
        let mut targets = vec!["-k".to_string()];
        targets.extend(objects.iter().cloned());
        let mut cmd = build::make_command(&src.root, &bd.path, c, &targets);
        let objs: Vec<String> = objects.iter().cloned().collect();
        tracked.make(&mut cmd, &objs, jobs, &obj_log, &BTreeSet::new(), |_| {})?;
        // The objects' diagnostics as the tree has them, not only what this make printed:
        // an object that compiled last time is not recompiled, its errors still count.
        obj_diags = tracked.of_targets(&objs);
    }

    // 3. The probe: declarations as the compiler sees them, and a reference to each helper.
    let probe_dir = bd.path.join("kcross-probe");
    let decl_text = write_probe(&probe_dir, &opts.includes, &opts.helpers)?;
    let probe_log = dir.join("probe.log");
    crate::atomic::write(&probe_log, b"")?;
    let mut targets = vec!["-k".to_string(), format!("M={}", probe_dir.display())];
    targets.push("decl.o".into());
    targets.push("ref.o".into());
    let mut cmd = build::make_command(&src.root, &bd.path, c, &targets);
    run_make_quiet(&mut cmd, &bd.path, jobs, &probe_log)?;
    let probe_diags = build::scan_log(&probe_log, &ctx(src, &bd, c)).0;

    // 4. Symbols of what was built.
    let mut syms: BTreeMap<String, Symbols> = BTreeMap::new();
    for o in &objects {
        let p = bd.path.join(o);
        if p.is_file() {
            syms.insert(o.clone(), nm(&c.toolchain.nm, &p)?);
        }
    }

    for (i, h) in opts.helpers.iter().enumerate() {
        let who = verdict::Who {
            cell: &c.id,
            arch: &c.arch,
            srcarch: &c.srcarch,
        };
        let findings = verdict::Findings {
            sites: &sites,
            obj_diags: &obj_diags,
            probe_diags: &probe_diags,
            decl_text: &decl_text,
            syms: &syms,
            root: &src.root,
        };
        out.helpers.push(verdict::verdict(&who, h, i, &findings));
    }
    out.seconds = t0.elapsed().as_secs_f64();
    crate::atomic::write_json(&dir.join("check.json"), &out)?;
    Ok(out)
}

fn ctx(src: &SourceTree, bd: &BuildDir, c: &Cell) -> ParseContext {
    ParseContext {
        source_root: src.root.clone(),
        build_root: bd.path.clone(),
        cell: c.id.clone(),
    }
}

fn first_error(d: &[Diagnostic], default: &str) -> String {
    d.iter()
        .find(|d| d.is_error())
        .map(|d| format!("{} {}", d.location(), d.message).trim().to_string())
        .unwrap_or_else(|| default.to_string())
}
