//! The runtime chase (`--test NAME`): a step builds the cell's image incrementally in the
//! bisection's build dir (`build::run`, through `Tracked`) and boots it to run one guest
//! test; pass is good, fail is bad, a tree that does not build or a kernel that does not
//! boot is a skip. Verification, as KernelCI does it: the culprit fails 3 times, and a revert
//! of it on top of the bad commit passes 3 times (a revert that does not apply is said).

use super::run::Ctx;
use super::{Role, StepVerdict, Verification, Verified};
use crate::build::{BuildOptions, Verdict};
use crate::error::Result;
use crate::plan::Plan;
use crate::runtime::{self, BootVerdict, RuntimeOptions};
use std::path::Path;
use std::time::Instant;

/// How often verification runs the test on the culprit and on the revert.
pub const RUNS: usize = 3;

/// What the runs of one tree said.
pub struct Runs {
    pub verdict: StepVerdict,
    pub reason: String,
    /// The test's KTAP result lines and the kernel's complaints, of the first decisive run.
    pub lines: Vec<String>,
}

/// Build what is checked out and run `test` `runs` times.
pub fn run_test(cx: &mut Ctx, test: &str, dir: &Path, runs: usize) -> Result<Runs> {
    let plan = Plan {
        cells: vec![cx.cell.clone()],
        ..cx.plan.clone()
    };
    let bopts = BuildOptions {
        jobs: cx.opts.jobs,
        cells_at_once: 1,
        run_dir: dir.to_path_buf(),
        build_root: cx.opts.build_root.clone(),
        timeout_s: None,
        resume: false,
        start_order: vec![],
        sandbox: cx
            .opts
            .sandbox
            .clone()
            .map(|s| s.with_writable(&cx.wc.tree.root)),
    };
    let summary = crate::build::run(&plan, &cx.wc.tree, &bopts, cx.events)?;
    let Some(cr) = summary.cells.first() else {
        return Ok(Runs {
            verdict: StepVerdict::Skip,
            reason: "nothing was built".into(),
            lines: vec![],
        });
    };
    if cr.verdict != Verdict::Pass {
        return Ok(Runs {
            verdict: StepVerdict::Skip,
            reason: format!(
                "does not build: {}",
                cr.reason
                    .clone()
                    .unwrap_or_else(|| "the build failed".into())
            ),
            lines: vec![],
        });
    }
    let mut fails = 0;
    let mut passes = 0;
    let mut other = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for i in 0..runs {
        crate::proc::check_interrupted()?;
        let mut ro = RuntimeOptions::new(dir.join(format!("boot-{}", i + 1)));
        ro.sandbox = cx.opts.sandbox.clone();
        ro.tests = vec![test.to_string()];
        let (tx, _rx) = std::sync::mpsc::channel();
        let rt = runtime::run(&plan, &summary, cx.reg, &ro, &tx)?;
        let Some(r) = rt.results.iter().find(|r| r.test == test) else {
            other.push("no result".to_string());
            continue;
        };
        (cx.note)(format!("  run {}/{runs}: {}", i + 1, r.verdict));
        match r.verdict {
            BootVerdict::Pass => passes += 1,
            BootVerdict::Fail => {
                fails += 1;
                if lines.is_empty() {
                    if let Some(k) = r.result() {
                        lines.extend(k.diagnostics.iter().map(|d| format!("# {d}")));
                        lines.push(k.line.clone());
                    }
                    lines.extend(r.complaints.iter().take(5).cloned());
                }
            }
            v => other.push(format!(
                "{v}{}",
                r.reason
                    .as_ref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            )),
        }
    }
    let (verdict, reason) = if fails == runs {
        (
            StepVerdict::Bad,
            format!(
                "{test} failed {}: {}",
                times(runs),
                lines.last().cloned().unwrap_or_default()
            ),
        )
    } else if passes == runs {
        (StepVerdict::Good, format!("{test} passed {}", times(runs)))
    } else {
        (
            StepVerdict::Skip,
            format!(
                "{test}: {passes} pass, {fails} fail of {runs}{}",
                if other.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", other.join("; "))
                }
            ),
        )
    };
    Ok(Runs {
        verdict,
        reason,
        lines,
    })
}

fn times(n: usize) -> String {
    if n == 1 {
        "once".into()
    } else {
        format!("{n} times")
    }
}

/// The culprit fails `RUNS` times; the revert of it on the bad commit passes `RUNS` times.
pub fn verify(cx: &mut Ctx, test: &str, culprit: &str, bad: &str) -> Result<Verification> {
    let c = cx.eval_runs(culprit, Role::VerifyCulprit, RUNS)?;
    let t0 = Instant::now();
    let info = cx.wc.info(bad)?;
    let dir = cx.step_dir(Role::VerifyRevert, bad);
    cx.wc.checkout(bad)?;
    let touched = cx.wc.revert(culprit)?;
    let r = match touched {
        Err(words) => {
            let why = format!(
                "the revert of {} does not apply on the bad commit {}: {words}",
                &culprit[..12],
                &bad[..12]
            );
            let rec = cx.record_lines(
                info,
                Role::VerifyRevert,
                StepVerdict::Skip,
                why.clone(),
                vec![],
                t0,
                dir,
            )?;
            return Ok(Verification {
                verdict: Verified::Unverified,
                summary: why,
                checks: vec![c, rec],
            });
        }
        Ok(_) => {
            (cx.note)(format!(
                "verify: the revert of {} on {}",
                &culprit[..12],
                &bad[..12]
            ));
            let runs = run_test(cx, test, &dir, RUNS)?;
            // Back to the bad commit: the copy is never left with an uncommitted revert.
            cx.wc.checkout(bad)?;
            cx.record_lines(
                info,
                Role::VerifyRevert,
                runs.verdict,
                runs.reason,
                runs.lines,
                t0,
                dir,
            )?
        }
    };
    let ok = c.verdict == StepVerdict::Bad && r.verdict == StepVerdict::Good;
    let summary = if ok {
        format!(
            "the culprit {} fails {test} {RUNS} times, and its revert on {} passes {RUNS} times",
            &culprit[..12],
            &bad[..12]
        )
    } else {
        format!(
            "expected the culprit to fail {RUNS} times and its revert to pass {RUNS} times: culprit: {}; revert: {}",
            c.reason, r.reason
        )
    };
    Ok(Verification {
        verdict: if ok {
            Verified::Verified
        } else {
            Verified::Unverified
        },
        summary,
        checks: vec![c, r],
    })
}
