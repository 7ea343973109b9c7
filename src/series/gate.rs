//! The gate itself: the base once per cell, then every step rebuilt incrementally in the same
//! build dir, each step's diagnostics compared with the step before and with the base.

use super::cellstep::{build_cell_step, build_tip, probe_step, run_cells, CellState, StepCtx};
use super::compare::{self, Counted};
use super::place::{self, PlaceCtx};
use super::{
    apply, fast, ChangeKind, FailOn, Finding, GateOptions, Series, SeriesMode, SeriesResult, Step,
    StepCell,
};
use crate::build::{Event, Jobs, Stage};
use crate::error::{IoContext, Result};
use crate::plan::Plan;
use crate::source::SourceTree;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::Sender;
use std::time::Instant;

/// Gate the series: base, then each patch (or the whole series with `LastOnly`), every cell
/// in parallel per step under one jobserver. In fast mode a probed cell builds its tip right
/// after the base, and the patches in between only compile its probe. Call `check_applies`
/// first.
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
    let probe_root = opts.build_root.join("series-probe");
    if wc.fresh {
        // A new copy has the source's old mtimes: build dirs made from an earlier copy would
        // look up to date. Start them again.
        for old in [
            opts.build_root.join(wc.tree.build_id()),
            probe_root.join(wc.tree.build_id()),
        ] {
            if old.exists() {
                note(format!(
                    "removing build dirs of an earlier working copy: {}",
                    old.display()
                ));
                std::fs::remove_dir_all(&old).ctx(|| format!("removing {}", old.display()))?;
            }
        }
    }
    let sandbox = opts.sandbox.clone().map(|s| s.with_writable(&wc.tree.root));
    let jobs = Jobs::sandboxed(opts.jobs, sandbox)?;
    let scratch_root = opts
        .build_root
        .join(format!("series-scratch-{}", std::process::id()));
    let n = series.patches.len();
    let fast = opts.mode == SeriesMode::Fast && !opts.from_scratch && n >= 2;
    let mut cells: Vec<CellState> = Vec::new();
    for c in &plan.cells {
        let mut st = CellState::new(crate::build::build_dir_for(&opts.build_root, &wc.tree, c));
        st.probed = fast && fast::is_probed(c);
        cells.push(st);
    }
    let mode = if cells.iter().any(|s| s.probed) {
        SeriesMode::Fast
    } else if opts.mode == SeriesMode::LastOnly {
        SeriesMode::LastOnly
    } else {
        SeriesMode::EveryPatch
    };
    note(format!("mode {}: {}", mode.name(), mode.proves()));
    let series_files: BTreeSet<String> = series
        .patches
        .iter()
        .flat_map(|p| p.files.iter().cloned())
        .collect();
    // The steps: base, then one per patch (or all at once).
    let mut plan_steps: Vec<(String, Vec<usize>, Option<String>)> =
        vec![("base".into(), vec![], None)];
    if mode == SeriesMode::LastOnly {
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
    let step_dir_of = |si: usize| {
        opts.run_dir.join("steps").join(if si == 0 {
            "00-base".to_string()
        } else {
            format!("{si:02}")
        })
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut counted: Vec<BTreeMap<String, Counted>> = Vec::new();
    let total_steps = plan_steps.len();
    // Fast mode: after the base, files the tip and the reset to the base touched.
    let mut after_tip: BTreeSet<String> = BTreeSet::new();
    // Fast mode: how long the tip took (counted in the last step's wall time).
    let mut tip_wall = 0.0;
    for (si, (label, pidx, subject)) in plan_steps.into_iter().enumerate() {
        crate::proc::check_interrupted()?;
        if si == 1 && mode == SeriesMode::Fast {
            let tt = Instant::now();
            build_tip(
                plan,
                series,
                &mut wc,
                &mut cells,
                &jobs,
                events,
                note,
                &step_dir_of(n),
                &series_files,
            )?;
            tip_wall = tt.elapsed().as_secs_f64();
            after_tip = series_files.clone();
        }
        for &i in &pidx {
            wc.apply(&series.patches[i - 1])?;
        }
        let probed = cells.iter().filter(|c| c.probed).count();
        note(match &subject {
            None => format!("step {}/{}: base", si + 1, total_steps),
            Some(s) if si < n && probed > 0 => format!(
                "step {}/{}: [{label}] {s} (probe on {probed} cell(s))",
                si + 1,
                total_steps
            ),
            Some(s) => format!("step {}/{}: [{label}] {s}", si + 1, total_steps),
        });
        let ts = Instant::now();
        let step_dir = step_dir_of(si);
        if opts.from_scratch {
            let _ = std::fs::remove_dir_all(&scratch_root);
            for (c, st) in plan.cells.iter().zip(cells.iter_mut()) {
                st.bd = crate::build::build_dir_for(&scratch_root, &wc.tree, c);
                st.tracked = None;
                st.lock = None;
            }
        }
        let mut touched: BTreeSet<String> = if si == 0 {
            wc.reset_touched.clone()
        } else {
            pidx.iter()
                .flat_map(|&i| series.patches[i - 1].files.iter().cloned())
                .collect()
        };
        if si == 1 {
            touched.extend(std::mem::take(&mut after_tip));
        }
        let ctx = StepCtx {
            tree: &wc.tree,
            step_dir: &step_dir,
            jobs: &jobs,
            events,
            first: si == 0 || opts.from_scratch,
            touched: &touched,
        };
        let probe_ctx = StepCtx {
            first: si == 1,
            ..ctx
        };
        let results = run_cells(plan, &mut cells, |c, st| {
            if !st.probed || si == 0 {
                let b = build_cell_step(c, &ctx, st)?;
                if si == 0 && st.probed {
                    let state = st.tracked.as_ref().map(|t| t.state.clone());
                    st.base = Some((b.0.clone(), state.unwrap_or_default()));
                }
                Ok(Some(b))
            } else if si == n {
                Ok(st.tip.take())
            } else {
                probe_step(c, &probe_ctx, &probe_root, st).map(Some)
            }
        })?;
        let mut step_cells = Vec::new();
        let mut step_counts = BTreeMap::new();
        for ((c, st), built) in plan.cells.iter().zip(&cells).zip(results) {
            let (result, rebuilt, printed) = built.expect("every cell has a result at each step");
            let cur = Counted::new(&result.diagnostics);
            let (new, reappeared, fixed) = if si == 0 {
                (vec![], vec![], vec![])
            } else {
                let d = compare::delta(&counted[si - 1][&c.id], &cur, &counted[0][&c.id]);
                (d.new, d.reappeared, d.fixed)
            };
            step_counts.insert(c.id.clone(), cur);
            let probe = if st.probed && si > 0 && si < n {
                st.probe_targets.clone()
            } else {
                Vec::new()
            };
            step_cells.push(StepCell {
                result,
                rebuilt,
                printed,
                new,
                reappeared,
                fixed,
                probe,
            });
        }
        counted.push(step_counts);
        let step = Step {
            index: si,
            label,
            patches: pidx,
            subject,
            cells: step_cells,
            wall_s: ts.elapsed().as_secs_f64() + if si == n { tip_wall } else { 0.0 },
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
    let probed_cells: BTreeSet<&str> = plan
        .cells
        .iter()
        .zip(&cells)
        .filter(|(_, st)| st.probed)
        .map(|(c, _)| c.id.as_str())
        .collect();
    for f in &mut findings {
        f.unattributed = f.step == n
            && n > 1
            && fast::unplaceable(&f.diagnostic)
            && f.cells.iter().any(|c| probed_cells.contains(c.as_str()));
    }
    let bisect_builds = if mode == SeriesMode::Fast && opts.bisect_unattributed {
        let pctx = PlaceCtx {
            plan,
            series,
            jobs: &jobs,
            events,
            note,
            run_dir: &opts.run_dir,
            probe_root: &probe_root,
        };
        let b = place::place(&pctx, &mut wc, &mut cells, &mut findings, &mut steps)?;
        findings.sort_by_key(|f| f.step);
        b
    } else {
        Vec::new()
    };
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
        last_only: mode == SeriesMode::LastOnly,
        mode,
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
        bisect_builds,
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
                        unattributed: false,
                        bisected: false,
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
