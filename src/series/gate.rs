//! The gate itself: the base once per cell, then every step rebuilt incrementally in the same
//! build dir, each step's diagnostics compared with the step before and with the base.

use super::compare::{self, Counted};
use super::{
    apply, ChangeKind, FailOn, Finding, GateOptions, Series, SeriesResult, Step, StepCell,
};
use crate::build::{BuildDir, CellResult, Event, Jobs, Stage, Timings, Tracked, Verdict};
use crate::diag::{self, Severity};
use crate::error::{IoContext, Result};
use crate::plan::{Cell, Plan};
use crate::source::SourceTree;
use crate::util::FileLock;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// Per cell, for the whole gate: its build dir (locked) and the diagnostics it has now.
struct CellState {
    bd: BuildDir,
    /// Opened at the cell's first step, under the lock.
    tracked: Option<Tracked>,
    lock: Option<FileLock>,
    /// The base did not configure: later steps are skipped (there is nothing to compare).
    broken: bool,
}

/// Gate the series: base, then each patch (or the whole series with `last_only`), every cell
/// in parallel per step under one jobserver. Call `check_applies` first.
pub fn gate(
    plan: &Plan,
    base: &SourceTree,
    series: &Series,
    opts: &GateOptions,
    events: &Sender<Event>,
    note: &dyn Fn(String),
) -> Result<SeriesResult> {
    let started_at = chrono::Local::now().to_rfc3339();
    let t0 = Instant::now();
    std::fs::create_dir_all(&opts.run_dir)
        .ctx(|| format!("creating {}", opts.run_dir.display()))?;
    let mut wc = apply::WorkingCopy::open(base, &opts.cache, &opts.build_root, note)?;
    let patches_dir = opts.run_dir.join("patches");
    for p in &series.patches {
        crate::atomic::write(
            &patches_dir.join(format!("{:04}.patch", p.index)),
            p.text.as_bytes(),
        )?;
    }
    if wc.fresh {
        // A new copy has the source's old mtimes: build dirs made from an earlier copy would
        // look up to date. Start them again.
        let old = opts.build_root.join(wc.tree.build_id());
        if old.exists() {
            note(format!(
                "removing build dirs of an earlier working copy: {}",
                old.display()
            ));
            std::fs::remove_dir_all(&old).ctx(|| format!("removing {}", old.display()))?;
        }
    }
    let sandbox = opts.sandbox.clone().map(|s| s.with_writable(&wc.tree.root));
    let jobs = Jobs::sandboxed(opts.jobs, sandbox)?;
    let scratch_root = opts
        .build_root
        .join(format!("series-scratch-{}", std::process::id()));
    let mut cells: Vec<CellState> = Vec::new();
    for c in &plan.cells {
        let bd = crate::build::build_dir_for(&opts.build_root, &wc.tree, c);
        cells.push(CellState {
            bd,
            tracked: None,
            lock: None,
            broken: false,
        });
    }
    // The steps: base, then one per patch (or all at once).
    let mut plan_steps: Vec<(String, Vec<usize>, Option<String>)> =
        vec![("base".into(), vec![], None)];
    if opts.last_only {
        let n = series.patches.len();
        let label = if n == 1 {
            "1/1".to_string()
        } else {
            format!("1-{n}/{n}")
        };
        plan_steps.push((
            label,
            (1..=n).collect(),
            Some(format!("the whole series ({n} patches)")),
        ));
    } else {
        for p in &series.patches {
            plan_steps.push((p.label(), vec![p.index], Some(p.subject.clone())));
        }
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut counted: Vec<BTreeMap<String, Counted>> = Vec::new();
    let total_steps = plan_steps.len();
    for (si, (label, pidx, subject)) in plan_steps.into_iter().enumerate() {
        crate::proc::check_interrupted()?;
        for &i in &pidx {
            wc.apply(&series.patches[i - 1])?;
        }
        note(match &subject {
            None => format!("step {}/{}: base", si + 1, total_steps),
            Some(s) => format!("step {}/{}: [{label}] {s}", si + 1, total_steps),
        });
        let ts = Instant::now();
        let dir_name = if si == 0 {
            "00-base".to_string()
        } else {
            format!("{si:02}")
        };
        let step_dir = opts.run_dir.join("steps").join(dir_name);
        if opts.from_scratch {
            let _ = std::fs::remove_dir_all(&scratch_root);
            for (c, st) in plan.cells.iter().zip(cells.iter_mut()) {
                st.bd = crate::build::build_dir_for(&scratch_root, &wc.tree, c);
                st.tracked = None;
                st.lock = None;
            }
        }
        let touched: BTreeSet<String> = if si == 0 {
            wc.reset_touched.clone()
        } else {
            pidx.iter()
                .flat_map(|&i| series.patches[i - 1].files.iter().cloned())
                .collect()
        };
        let ctx = StepCtx {
            tree: &wc.tree,
            step_dir: &step_dir,
            jobs: &jobs,
            events,
            first: si == 0 || opts.from_scratch,
            touched: &touched,
        };
        let results = build_step(plan, &ctx, &mut cells)?;
        let mut step_cells = Vec::new();
        let mut step_counts = BTreeMap::new();
        for (c, (result, rebuilt, printed)) in plan.cells.iter().zip(results) {
            let cur = Counted::new(&result.diagnostics);
            let (new, reappeared, fixed) = if si == 0 {
                (vec![], vec![], vec![])
            } else {
                let d = compare::delta(&counted[si - 1][&c.id], &cur, &counted[0][&c.id]);
                (d.new, d.reappeared, d.fixed)
            };
            step_counts.insert(c.id.clone(), cur);
            step_cells.push(StepCell {
                result,
                rebuilt,
                printed,
                new,
                reappeared,
                fixed,
            });
        }
        counted.push(step_counts);
        let step = Step {
            index: si,
            label,
            patches: pidx,
            subject,
            cells: step_cells,
            wall_s: ts.elapsed().as_secs_f64(),
            dir: step_dir,
        };
        crate::atomic::write_json(&step.dir.join("step.json"), &step)?;
        steps.push(step);
    }
    if opts.from_scratch {
        let _ = std::fs::remove_dir_all(&scratch_root);
    }
    let broken_base = steps[0]
        .cells
        .iter()
        .filter(|c| c.result.failed_stage == Some(Stage::Configure))
        .map(|c| c.result.cell.clone())
        .collect();
    let mut findings = findings(&steps, plan, opts.fail_on);
    let arches: BTreeMap<String, String> = plan
        .cells
        .iter()
        .map(|c| (c.id.clone(), c.arch.clone()))
        .collect();
    super::mark_known(&mut findings, &plan.known, &arches, opts.fail_on);
    let subjects: Vec<crate::known::Subject> = steps
        .iter()
        .flat_map(|s| &s.cells)
        .map(|sc| crate::known::Subject {
            cell: &sc.result.cell,
            arch: arches.get(&sc.result.cell).map_or("", String::as_str),
            failed: false,
            diagnostics: &sc.result.diagnostics,
        })
        .collect();
    let known = crate::known::judge(&plan.known, &subjects);
    Ok(SeriesResult {
        kcross_version: env!("CARGO_PKG_VERSION").to_string(),
        matrix: plan.matrix.clone(),
        matrix_origin: plan.matrix_origin.clone(),
        source: base.clone(),
        working_copy: wc.tree.root.clone(),
        series: series.clone(),
        last_only: opts.last_only,
        fail_on: opts.fail_on,
        cells: plan.cells.iter().map(|c| c.id.clone()).collect(),
        arches,
        steps,
        findings,
        broken_base,
        known,
        started_at,
        wall_s: t0.elapsed().as_secs_f64(),
        jobs: opts.jobs,
        run_dir: opts.run_dir.clone(),
        sandboxed: jobs.is_sandboxed(),
    })
}

/// Merge each step's per-cell changes by fingerprint into findings attributed to the step's
/// patch, with the cells they appear on.
fn findings(steps: &[Step], plan: &Plan, fail_on: FailOn) -> Vec<Finding> {
    let arch_of: BTreeMap<&str, &str> = plan
        .cells
        .iter()
        .map(|c| (c.id.as_str(), c.arch.as_str()))
        .collect();
    let mut out: Vec<Finding> = Vec::new();
    for s in steps.iter().skip(1) {
        let mut here: Vec<Finding> = Vec::new();
        for sc in &s.cells {
            let lists = [
                (ChangeKind::New, &sc.new),
                (ChangeKind::Reappeared, &sc.reappeared),
                (ChangeKind::Fixed, &sc.fixed),
            ];
            for (kind, list) in lists {
                for d in list.iter() {
                    let cell = sc.result.cell.clone();
                    if let Some(f) = here.iter_mut().find(|f| {
                        f.kind == kind && f.fingerprint == d.fingerprint && !f.cells.contains(&cell)
                    }) {
                        f.cells.push(cell.clone());
                        let a = arch_of
                            .get(cell.as_str())
                            .copied()
                            .unwrap_or("")
                            .to_string();
                        if !f.arches.contains(&a) {
                            f.arches.push(a);
                        }
                        continue;
                    }
                    here.push(Finding {
                        kind,
                        step: s.index,
                        patch: s.label.clone(),
                        subject: s.subject.clone().unwrap_or_default(),
                        severity: d.severity,
                        fingerprint: d.fingerprint.clone(),
                        arches: vec![arch_of
                            .get(cell.as_str())
                            .copied()
                            .unwrap_or("")
                            .to_string()],
                        cells: vec![cell],
                        gating: kind == ChangeKind::New && fail_on.gates(d.severity),
                        diagnostic: d.clone(),
                        known: BTreeMap::new(),
                    });
                }
            }
        }
        here.sort_by(|a, b| {
            (a.kind, a.severity, &a.diagnostic.file, a.diagnostic.line).cmp(&(
                b.kind,
                b.severity,
                &b.diagnostic.file,
                b.diagnostic.line,
            ))
        });
        out.extend(here);
    }
    out
}

/// What every cell of one step shares.
struct StepCtx<'a> {
    tree: &'a SourceTree,
    step_dir: &'a Path,
    jobs: &'a Jobs,
    events: &'a Sender<Event>,
    /// The first build of this gate in these build dirs.
    first: bool,
    /// Files this step changed (tree paths).
    touched: &'a BTreeSet<String>,
}

/// Build every cell once for the current tree state, in parallel, sharing the jobserver.
/// Returns per cell: the result (all diagnostics the tree has), units rebuilt, diagnostics
/// printed.
fn build_step(
    plan: &Plan,
    ctx: &StepCtx,
    cells: &mut [CellState],
) -> Result<Vec<(CellResult, usize, usize)>> {
    let results: Vec<Result<(CellResult, usize, usize)>> = std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .cells
            .iter()
            .zip(cells.iter_mut())
            .map(|(c, st)| s.spawn(move || build_cell_step(c, ctx, st)))
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

fn build_cell_step(
    c: &Cell,
    ctx: &StepCtx,
    st: &mut CellState,
) -> Result<(CellResult, usize, usize)> {
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
        let result = CellResult {
            cell: c.id.clone(),
            arch: c.arch.clone(),
            toolchain: c.toolchain.family.clone(),
            config: c.config.label.clone(),
            targets: c.targets.clone(),
            config_key: c.config_key(),
            verdict: Verdict::Skipped,
            failed_stage: None,
            reason: Some("the base does not configure".into()),
            timings: Timings::default(),
            config_reused: false,
            incremental: None,
            printed: 0,
            errors: 0,
            warnings: 0,
            diagnostics: Vec::new(),
            dir: dir.clone(),
            build_dir: st.bd.path.clone(),
            image: None,
            timeout: None,
            wrapper: None,
            sandboxed: jobs.is_sandboxed(),
        };
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
    for d in &mut result.diagnostics {
        d.cell = c.id.clone();
        if d.fingerprint.is_empty() {
            d.fingerprint = diag::fingerprint(d);
        }
    }
    result.errors = result
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    result.warnings = result
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if result.verdict == Verdict::Fail {
        result.reason = result.diagnostics.iter().find(|d| d.is_error()).map(|d| {
            let loc = d.location();
            if loc.is_empty() {
                d.message.clone()
            } else {
                format!("{loc}: {}", d.message)
            }
        });
    }
    result.timings.total_s = t0.elapsed().as_secs_f64();
    crate::atomic::write_json(&dir.join("result.json"), &result)?;
    let _ = events.send(Event::CellFinished {
        result: Box::new(result.clone()),
    });
    Ok((result, rebuilt, printed))
}
