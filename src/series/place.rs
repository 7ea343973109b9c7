//! Fast mode's fallback for what the probe cannot see: a file-less new finding of the tip
//! (a link, modpost or make error) on a probed cell is bisected over the series, each state
//! in between built in full in the cell's probe build dir (`base + patches 1..=k`), and put
//! on the first patch whose full build has it. `log2(patches)` full builds per finding at
//! most, and the states already built are shared between findings of the same cell.
//!
//! Bisecting assumes a finding, once in, stays in until the tip (what `--every-patch` shows
//! directly). A finding on several cells is bisected on the first probed one.

use super::cellstep::{build_cell_step, CellState, StepCtx};
use super::{apply, ChangeKind, Finding, Series, Step};
use crate::build::{Event, Jobs};
use crate::error::Result;
use crate::plan::Plan;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Instant;

/// One full build the bisection made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlaceBuild {
    pub cell: String,
    /// The state built: the base with patches 1 to this applied.
    pub patches: usize,
    /// The chased fingerprints this state has.
    pub present: Vec<String>,
    /// The build's own verdict (a state in between may fail for its own reasons).
    pub verdict: crate::build::Verdict,
    pub rebuilt: usize,
    pub wall_s: f64,
    /// Its logs and result.json.
    pub dir: PathBuf,
}

/// What the bisection needs from the gate.
pub(super) struct PlaceCtx<'a> {
    pub(super) plan: &'a Plan,
    pub(super) series: &'a Series,
    pub(super) jobs: &'a Jobs,
    pub(super) events: &'a Sender<Event>,
    pub(super) note: &'a dyn Fn(String),
    pub(super) run_dir: &'a Path,
    pub(super) probe_root: &'a Path,
}

/// The first patch in `1..=n` whose state has the finding, given that the tip (n) has it and
/// the base does not; `has(k)` builds state k.
pub fn first_with(n: usize, mut has: impl FnMut(usize) -> Result<bool>) -> Result<usize> {
    let (mut lo, mut hi) = (1, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if has(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

/// Bisect every unattributed new finding, move it (and the step cells' `new` entries) to the
/// patch found, and bring the working copy back to the tip. Returns the builds made.
pub(super) fn place(
    ctx: &PlaceCtx,
    wc: &mut apply::WorkingCopy,
    cells: &mut [CellState],
    findings: &mut [Finding],
    steps: &mut [Step],
) -> Result<Vec<PlaceBuild>> {
    let n = ctx.series.patches.len();
    let chased: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].unattributed && findings[i].kind == ChangeKind::New)
        .collect();
    if chased.is_empty() {
        return Ok(Vec::new());
    }
    // Each finding is chased on the first probed cell it is on.
    let cell_of = |f: &Finding| {
        f.cells.iter().find_map(|id| {
            (0..cells.len()).find(|&ci| ctx.plan.cells[ci].id == *id && cells[ci].probed)
        })
    };
    let on: Vec<(usize, usize)> = chased
        .iter()
        .filter_map(|&i| Some((i, cell_of(&findings[i])?)))
        .collect();
    if on.is_empty() {
        return Ok(Vec::new());
    }
    let mut per_cell: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for &(i, ci) in &on {
        per_cell
            .entry(ci)
            .or_default()
            .insert(findings[i].fingerprint.clone());
    }
    (ctx.note)(format!(
        "fast mode: {} finding(s) of the tip have no file; bisecting them over the series with full builds",
        on.len()
    ));
    let files: BTreeSet<String> = ctx
        .series
        .patches
        .iter()
        .flat_map(|p| p.files.iter().cloned())
        .collect();
    let mut at = n; // the working copy's state: patches 1..=at applied
    let mut builds: Vec<PlaceBuild> = Vec::new();
    let mut memo: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
    let mut moved: BTreeMap<usize, usize> = BTreeMap::new();
    for &(i, ci) in &on {
        let fp = findings[i].fingerprint.clone();
        let k = first_with(n, |k| {
            if let Some(has) = memo.get(&(ci, k)) {
                return Ok(has.contains(&fp));
            }
            go_to(ctx.series, wc, &mut at, k)?;
            let b = build_state(ctx, wc, &mut cells[ci], ci, k, &files, &per_cell[&ci])?;
            let has = b.present.iter().cloned().collect::<BTreeSet<_>>();
            (ctx.note)(format!(
                "bisect: {} with patches 1-{k}: {}",
                b.cell,
                if has.contains(&fp) {
                    "has it"
                } else {
                    "has it not"
                }
            ));
            memo.insert((ci, k), has.clone());
            builds.push(b);
            Ok(has.contains(&fp))
        })?;
        moved.insert(i, k);
    }
    go_to(ctx.series, wc, &mut at, n)?;
    for (i, k) in moved {
        move_finding(&mut findings[i], steps, ctx.plan, k)?;
    }
    Ok(builds)
}

/// Put the working copy at `base + patches 1..=k` (forward by applying, back by a reset).
fn go_to(series: &Series, wc: &mut apply::WorkingCopy, at: &mut usize, k: usize) -> Result<()> {
    if k < *at {
        wc.reset_to_base()?;
        *at = 0;
    }
    for p in &series.patches[*at..k] {
        wc.apply(p)?;
    }
    *at = k;
    Ok(())
}

/// Build cell `ci` in full at state `k`, in its probe's build dir.
fn build_state(
    ctx: &PlaceCtx,
    wc: &apply::WorkingCopy,
    st: &mut CellState,
    ci: usize,
    k: usize,
    files: &BTreeSet<String>,
    chased: &BTreeSet<String>,
) -> Result<PlaceBuild> {
    let c = &ctx.plan.cells[ci];
    let t0 = Instant::now();
    let step_dir = ctx.run_dir.join("bisect").join(format!("{k:02}"));
    let probe = CellState::probe_in(&mut st.probe, ctx.probe_root, &wc.tree, c);
    let sctx = StepCtx {
        tree: &wc.tree,
        step_dir: &step_dir,
        jobs: ctx.jobs,
        events: ctx.events,
        first: probe.tracked.is_none(),
        touched: files,
    };
    let (result, rebuilt, _) = build_cell_step(c, &sctx, probe)?;
    let present = result
        .diagnostics
        .iter()
        .filter(|d| chased.contains(&d.fingerprint))
        .map(|d| d.fingerprint.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(PlaceBuild {
        cell: c.id.clone(),
        patches: k,
        present,
        verdict: result.verdict,
        rebuilt,
        wall_s: t0.elapsed().as_secs_f64(),
        dir: step_dir.join(&c.id),
    })
}

/// Put finding `f` on step `k`: its patch and subject, and its diagnostic from the tip's step
/// cells' `new` to step k's (whose step.json is written again).
fn move_finding(f: &mut Finding, steps: &mut [Step], plan: &Plan, k: usize) -> Result<()> {
    let from = f.step;
    f.unattributed = false;
    f.bisected = true;
    if k == from {
        return Ok(());
    }
    for cell in &f.cells {
        let Some(ci) = plan.cells.iter().position(|c| &c.id == cell) else {
            continue;
        };
        let list = &mut steps[from].cells[ci].new;
        let taken: Vec<_> = list
            .iter()
            .filter(|d| d.fingerprint == f.fingerprint)
            .cloned()
            .collect();
        list.retain(|d| d.fingerprint != f.fingerprint);
        steps[k].cells[ci].new.extend(taken);
    }
    f.step = k;
    f.patch = steps[k].label.clone();
    f.subject = steps[k].subject.clone().unwrap_or_default();
    for s in [from, k] {
        crate::atomic::write_json(&steps[s].dir.join("step.json"), &steps[s])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::first_with;

    #[test]
    fn first_with_finds_the_first_patch_in_log_steps() {
        for n in 1..=9 {
            for first in 1..=n {
                let mut built = Vec::new();
                let k = first_with(n, |k| {
                    built.push(k);
                    Ok(k >= first)
                })
                .unwrap();
                assert_eq!(k, first, "n={n}");
                assert!(!built.contains(&n), "the tip is known: {built:?}");
                assert!(
                    built.len() <= (n as f64).log2().ceil() as usize,
                    "{built:?}"
                );
            }
        }
    }
}
