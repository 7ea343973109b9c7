//! One cell's build at one step of the gate, and what the gate keeps per cell between steps.
//! Every cell of a step runs at once (`run_cells`), sharing the jobserver.

use super::compare::{self, Counted};
use super::{apply, fast, Series};
use crate::build::{BuildDir, CellResult, Event, Jobs, Stage, Timings, Tracked, Verdict};
use crate::diag;
use crate::diag::state::DiagState;
use crate::error::{IoContext, Result};
use crate::plan::{Cell, Plan};
use crate::source::SourceTree;
use crate::util::FileLock;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// Per cell, for the whole gate: its build dir (locked) and the diagnostics it has now.
pub(super) struct CellState {
    pub(super) bd: BuildDir,
    /// Opened at the cell's first step, under the lock.
    pub(super) tracked: Option<Tracked>,
    pub(super) lock: Option<FileLock>,
    /// The base did not configure: later steps are skipped (there is nothing to compare).
    pub(super) broken: bool,
    /// Fast mode: this cell's patches between base and tip are probed (`fast.rs`).
    pub(super) probed: bool,
    /// Its base: the result and the diagnostics state.
    pub(super) base: Option<(CellResult, DiagState)>,
    /// Its tip, built before the steps in between.
    pub(super) tip: Option<Built>,
    /// The probe's build dir and targets.
    pub(super) probe: Option<Box<CellState>>,
    pub(super) probe_targets: Vec<String>,
}

impl CellState {
    pub(super) fn new(bd: BuildDir) -> CellState {
        CellState {
            bd,
            tracked: None,
            lock: None,
            broken: false,
            probed: false,
            base: None,
            tip: None,
            probe: None,
            probe_targets: Vec::new(),
        }
    }

    /// The probe's build dir of a cell (`slot`: its `probe`; same configuration, under
    /// `probe_root`), made on first use: the fast mode's probes and its bisect builds share it.
    pub(super) fn probe_in<'a>(
        slot: &'a mut Option<Box<CellState>>,
        probe_root: &Path,
        tree: &SourceTree,
        c: &Cell,
    ) -> &'a mut CellState {
        slot.get_or_insert_with(|| {
            Box::new(CellState::new(crate::build::build_dir_for(
                probe_root, tree, c,
            )))
        })
    }
}

/// One cell's build of one step: the result (all diagnostics the tree has), units rebuilt,
/// diagnostics printed.
pub(super) type Built = (CellResult, usize, usize);
/// What every cell of one step shares.
#[derive(Clone, Copy)]
pub(super) struct StepCtx<'a> {
    pub(super) tree: &'a SourceTree,
    pub(super) step_dir: &'a Path,
    pub(super) jobs: &'a Jobs,
    pub(super) events: &'a Sender<Event>,
    /// The first build of this gate in these build dirs.
    pub(super) first: bool,
    /// Files this step changed (tree paths).
    pub(super) touched: &'a BTreeSet<String>,
}

/// Run `f` on every cell at once (threads sharing the jobserver); None where it built nothing.
pub(super) fn run_cells<F>(plan: &Plan, cells: &mut [CellState], f: F) -> Result<Vec<Option<Built>>>
where
    F: Fn(&Cell, &mut CellState) -> Result<Option<Built>> + Sync,
{
    let f = &f;
    let results: Vec<Result<Option<Built>>> = std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .cells
            .iter()
            .zip(cells.iter_mut())
            .map(|(c, st)| s.spawn(move || f(c, st)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(crate::Error::Usage("a build thread panicked".into())))
            })
            .collect()
    });
    results.into_iter().collect()
}

pub(super) fn build_cell_step(c: &Cell, ctx: &StepCtx, st: &mut CellState) -> Result<Built> {
    let StepCtx {
        tree,
        step_dir,
        jobs,
        events,
        first,
        touched,
    } = *ctx;
    let t0 = Instant::now();
    let dir = step_dir.join(&c.id);
    std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    if st.broken && !first {
        let mut result = CellResult::configured(c, &dir, &st.bd.path, 0.0, false, Vec::new());
        result.verdict = Verdict::Skipped;
        result.reason = Some("the base does not configure".into());
        result.sandboxed = jobs.is_sandboxed();
        crate::atomic::write_json(&dir.join("result.json"), &result)?;
        return Ok((result, 0, 0));
    }
    let _ = events.send(Event::CellStarted { cell: c.id.clone() });
    if st.lock.is_none() {
        st.lock = Some(FileLock::acquire(&st.bd.lock)?);
    }
    if first || st.tracked.is_none() {
        // What this build dir already holds is only trusted with a clean diagnostics state:
        // otherwise its objects would not be recompiled and their diagnostics never seen.
        st.tracked = Some(Tracked::open(&st.bd, &tree.root, &c.id)?);
    }
    let tracked = st.tracked.as_mut().expect("opened above");
    let cfg_log = dir.join("configure.log");
    let build_log = dir.join("build.log");
    crate::atomic::write(&cfg_log, b"")?;
    crate::atomic::write(&build_log, b"")?;
    let conf = crate::build::configure(c, tree, &st.bd, &cfg_log, jobs, events)?;
    tracked.configured(&conf)?;
    let mut result =
        CellResult::configured(c, &dir, &st.bd.path, conf.seconds, conf.reused, Vec::new());
    result.sandboxed = jobs.is_sandboxed();
    let mut rebuilt = 0;
    let mut printed = 0;
    if !conf.ok {
        result.verdict = Verdict::Fail;
        result.failed_stage = Some(Stage::Configure);
        result.diagnostics = conf.diagnostics;
        st.broken = first;
    } else {
        let _ = crate::atomic::copy(&st.bd.path.join(".config"), &dir.join("config"));
        let _ = events.send(Event::CellPhase {
            cell: c.id.clone(),
            phase: "build".into(),
        });
        result.incremental = Some(!tracked.is_cold());
        let tb = Instant::now();
        let mut cmd = crate::build::make_command(&tree.root, &st.bd.path, c, &c.targets);
        // Keep going past a failing object, so every object's diagnostics are seen each step.
        cmd.arg("-k");
        let run = tracked.make(&mut cmd, &c.targets, jobs, &build_log, touched, |line| {
            let _ = events.send(Event::CellOutput {
                cell: c.id.clone(),
                line: line.to_string(),
            });
        })?;
        result.timings.build_s = tb.elapsed().as_secs_f64();
        rebuilt = run.rebuilt.len();
        printed = run.printed.len();
        result.printed = printed;
        result.diagnostics = tracked.view(&c.targets);
        if !run.ok {
            result.verdict = Verdict::Fail;
            result.failed_stage = Some(Stage::Build);
            crate::build::sandbox_reason(&mut result, &build_log);
        }
    }
    tally(c, &mut result);
    result.timings.total_s = t0.elapsed().as_secs_f64();
    crate::atomic::write_json(&dir.join("result.json"), &result)?;
    let _ = events.send(Event::CellFinished {
        result: Box::new(result.clone()),
    });
    Ok((result, rebuilt, printed))
}

/// Stamp the diagnostics with the cell, count them, and name the first error as the reason of
/// a failure.
fn tally(c: &Cell, result: &mut CellResult) {
    for d in &mut result.diagnostics {
        d.cell = c.id.clone();
        if d.fingerprint.is_empty() {
            d.fingerprint = diag::fingerprint(d);
        }
    }
    // A step's reason is its own first error, whatever an earlier step said.
    if result.verdict == Verdict::Fail {
        result.reason = None;
    }
    result.count_diagnostics();
}

/// Fast mode, right after the base (`files`: every file the series touches): the whole series
/// on the probed cells (in full, in their
/// own build dirs, into the last step's dir), then the probe of each, then the working copy
/// back to the base.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_tip(
    plan: &Plan,
    series: &Series,
    wc: &mut apply::WorkingCopy,
    cells: &mut [CellState],
    jobs: &Jobs,
    events: &Sender<Event>,
    note: &dyn Fn(String),
    step_dir: &Path,
    files: &BTreeSet<String>,
) -> Result<()> {
    let n = series.patches.len();
    for p in &series.patches {
        wc.apply(p)?;
    }
    note(format!(
        "fast mode: the tip ({n} patches) on {} probed cell(s), before the patches in between",
        cells.iter().filter(|c| c.probed).count()
    ));
    let ctx = StepCtx {
        tree: &wc.tree,
        step_dir,
        jobs,
        events,
        first: false,
        touched: files,
    };
    let built = run_cells(plan, cells, |c, st| {
        if !st.probed {
            return Ok(None);
        }
        let b = build_cell_step(c, &ctx, st)?;
        if let (Some((base_result, base_state)), Some(t)) = (&st.base, &st.tracked) {
            let changed = compare::delta(
                &Counted::new(&base_result.diagnostics),
                &Counted::new(&b.0.diagnostics),
                &Counted::new(&base_result.diagnostics),
            );
            let all: Vec<_> = changed
                .new
                .into_iter()
                .chain(changed.reappeared)
                .chain(changed.fixed)
                .collect();
            st.probe_targets = fast::probe_targets(&st.bd.path, files, base_state, &t.state, &all);
        }
        Ok(Some(b))
    })?;
    for (st, b) in cells.iter_mut().zip(built) {
        st.tip = b;
    }
    wc.reset_to_base()
}

/// A probed cell at a patch between base and tip: configure and compile its probe targets in
/// the probe's own build dir, and report the base's diagnostics with the probed units'
/// replaced (`fast::merged_view`).
pub(super) fn probe_step(
    c: &Cell,
    ctx: &StepCtx,
    probe_root: &Path,
    st: &mut CellState,
) -> Result<Built> {
    let (base_result, base_state) = st.base.as_ref().expect("a probed cell has its base");
    if st.broken || st.probe_targets.is_empty() {
        // Nothing to compile: the tree outside the series' sources is taken as the base's.
        let mut r = base_result.clone();
        r.dir = ctx.step_dir.join(&c.id);
        r.timings = Timings::default();
        r.printed = 0;
        std::fs::create_dir_all(&r.dir).ctx(|| format!("creating {}", r.dir.display()))?;
        crate::atomic::write_json(&r.dir.join("result.json"), &r)?;
        return Ok((r, 0, 0));
    }
    let probe_cell = Cell {
        targets: st.probe_targets.clone(),
        ..c.clone()
    };
    let probe = CellState::probe_in(&mut st.probe, probe_root, ctx.tree, c);
    let (mut result, rebuilt, printed) = build_cell_step(&probe_cell, ctx, probe)?;
    let probe_state = probe
        .tracked
        .as_ref()
        .map(|t| t.state.clone())
        .unwrap_or_default();
    result.diagnostics = fast::merged_view(base_state, &c.targets, &probe_state, &st.probe_targets);
    tally(c, &mut result);
    crate::atomic::write_json(&result.dir.join("result.json"), &result)?;
    Ok((result, rebuilt, printed))
}
