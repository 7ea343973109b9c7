//! make in a build dir whose diagnostics state is kept (`diag::state`): every stage that
//! runs make in a build dir (build, check, series, runtime's build step) goes through here,
//! so the dir's state always holds the complete, current diagnostics of its tree and
//! configuration, and a warm run reports what a cold one would.

use super::{make_failure, BuildDir, Configured, Jobs, FAILURE_TAIL};
use crate::diag::state::{rebuilt_unit, DiagState, Recovery, Roots};
use crate::diag::{self, Diagnostic, ParseContext};
use crate::error::{IoContext, Result};
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::process::Command;

/// A build dir's diagnostics state, opened under the dir's lock.
pub struct Tracked {
    pub state: DiagState,
    /// What opening found (clean, repaired after an interrupted make, or fresh).
    pub recovery: Recovery,
    roots: Roots,
    cell: String,
    /// The time limit of each make (None: none).
    limit: Option<std::time::Duration>,
}

/// What one tracked make did.
pub struct MakeRun {
    pub ok: bool,
    /// What this make's log printed (already folded into the state).
    pub printed: Vec<Diagnostic>,
    /// The units kbuild recompiled.
    pub rebuilt: BTreeSet<String>,
    /// The make reached the limit and its process group was killed.
    pub timed_out: bool,
    pub elapsed: std::time::Duration,
}

impl Tracked {
    /// Open (and if need be repair or reset) the state of `bd`. Call before configure.
    pub fn open(bd: &BuildDir, source_root: &Path, cell: &str) -> Result<Tracked> {
        let (state, recovery) = DiagState::open(&bd.path)?;
        Ok(Tracked {
            state,
            recovery,
            roots: Roots {
                source: source_root.to_path_buf(),
                build: bd.path.clone(),
            },
            cell: cell.to_string(),
            limit: None,
        })
    }

    /// Give each following make a time limit.
    pub fn set_limit(&mut self, limit: Option<std::time::Duration>) {
        self.limit = limit;
    }

    /// Record what configure said: replaced when it ran, kept when it was reused.
    pub fn configured(&mut self, conf: &Configured) -> Result<()> {
        if !conf.reused {
            self.state.configure = conf.diagnostics.clone();
            self.state.save(&self.roots.build)?;
        }
        Ok(())
    }

    /// The next build compiles everything (no make has run in this dir yet).
    pub fn is_cold(&self) -> bool {
        self.state.is_cold()
    }

    /// Run `cmd` (a make of `targets` in this build dir) logged to `log`, and fold its
    /// diagnostics in. `touched`: tree files known to have changed since the last make (a
    /// patch's files).
    #[allow(clippy::too_many_arguments)]
    pub fn make(
        &mut self,
        cmd: &mut Command,
        targets: &[String],
        jobs: &Jobs,
        log: &Path,
        touched: &BTreeSet<String>,
        on_line: impl FnMut(&str),
    ) -> Result<MakeRun> {
        self.state.begin(&self.roots.build)?;
        let run = jobs.make_within(cmd, &self.roots.build, log, self.limit, on_line)?;
        let status = run.status;
        let ctx = ParseContext {
            source_root: self.roots.source.clone(),
            build_root: self.roots.build.clone(),
            cell: self.cell.clone(),
        };
        // One streaming pass: the diagnostics, the units make says it rebuilt, the tail.
        let mut rebuilt = BTreeSet::new();
        let mut tail = VecDeque::with_capacity(FAILURE_TAIL + 1);
        let mut printed = diag::parse_file(log, &ctx, |l| {
            if let Some(u) = rebuilt_unit(l, &self.roots) {
                rebuilt.insert(u);
            }
            tail.push_back(l.to_string());
            if tail.len() > FAILURE_TAIL {
                tail.pop_front();
            }
        })
        .ctx(|| format!("reading {}", log.display()))?;
        // A make killed at its limit failed because of the limit (the verdict says so), not
        // because of anything it printed.
        if !status.success() && !run.timed_out && !printed.iter().any(Diagnostic::is_error) {
            // Its fingerprint is the same every time, so a persisting failure is not new.
            printed.push(make_failure(&self.cell, "make failed", tail.into()));
        }
        self.state.finish(
            &self.roots.build,
            &self.roots,
            targets,
            printed.clone(),
            &rebuilt,
            touched,
        )?;
        Ok(MakeRun {
            ok: status.success() && !run.timed_out,
            printed,
            rebuilt,
            timed_out: run.timed_out,
            elapsed: run.elapsed,
        })
    }

    /// The diagnostics the tree has now for these targets (`DiagState::view`), stamped with
    /// this cell.
    pub fn view(&self, targets: &[String]) -> Vec<Diagnostic> {
        self.stamp(self.state.view(targets))
    }

    /// `view` without configure's diagnostics.
    pub fn of_targets(&self, targets: &[String]) -> Vec<Diagnostic> {
        self.stamp(self.state.of_targets(targets))
    }

    fn stamp(&self, mut v: Vec<Diagnostic>) -> Vec<Diagnostic> {
        for d in &mut v {
            d.cell = self.cell.clone();
            if d.fingerprint.is_empty() {
                d.fingerprint = diag::fingerprint(d);
            }
        }
        v
    }
}
