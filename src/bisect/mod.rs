//! Bisect: from a regression between a good and a bad commit of a git source to the commit
//! that caused it, for one cell, in kcross's own working copy (`git`: a shared clone under
//! the cache; the user's repository is only read).
//!
//! Order of work, so that bad input costs nothing: resolve both revisions and prove good is
//! an ancestor of bad in the user's repository; then open the working copy, build good and
//! bad (the endpoints: good must not have what is chased, bad must have it), and walk
//! `git rev-list --bisect-all`'s best halving points, each built incrementally in the cell's
//! bisect build dir (`step`); a step that fails for another reason is skipped. The culprit is
//! then verified from clean build dirs (`verify`). Failures of the tree are data (step
//! verdicts); `Err` is kcross's own inability, or bad input (exit 2).

pub mod git;
mod run;
mod runtime;
mod step;
pub mod text;
mod verify;

use crate::diag::Diagnostic;
use crate::outcome::{HasOutcome, Outcome};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub use git::CommitInfo;
pub use run::bisect;

/// What is chased.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "what")]
pub enum Chase {
    /// A build error by fingerprint (None: the first new error of bad against good).
    Error(Option<String>),
    /// A new warning by fingerprint (None: the first new warning of bad against good).
    Warning(Option<String>),
    /// A helper verdict of the check stage (bad: missing or unresolved).
    Helper(String),
    /// A runtime guest test (bad: it fails; the cell's image is built and booted).
    Test(String),
}

impl Chase {
    pub fn describe(&self) -> String {
        match self {
            Chase::Error(None) => "the first new error".into(),
            Chase::Error(Some(f)) => format!("error {f}"),
            Chase::Warning(None) => "the first new warning".into(),
            Chase::Warning(Some(f)) => format!("warning {f}"),
            Chase::Helper(h) => format!("helper {h}"),
            Chase::Test(t) => format!("runtime test {t}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BisectOptions {
    pub good: String,
    pub bad: String,
    pub cell: String,
    pub chase: Chase,
    pub jobs: usize,
    /// The run's results directory (steps' logs, result.json).
    pub run_dir: PathBuf,
    pub build_root: PathBuf,
    /// Where the working copy lives (`<cache>/bisect/<key>/tree`).
    pub cache: PathBuf,
    /// Stop after this many bisection steps (the endpoints and verification not counted).
    pub max_steps: usize,
    /// Re-check the culprit from clean build dirs.
    pub verify: bool,
    /// No bisection step or verification starts after this (a nightly's `--bisect-budget`);
    /// the result is then `incomplete`, or `unverified` with the reason.
    pub deadline: Option<std::time::Instant>,
    /// Every make in the sandbox (`--sandbox`), the working copy writable.
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

impl BisectOptions {
    /// The budget ran out.
    pub fn out_of_time(&self) -> bool {
        self.deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepVerdict {
    Good,
    Bad,
    Skip,
}

/// Why a commit was built.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The given good commit (must be good).
    Good,
    /// The given bad commit (must be bad).
    Bad,
    /// A bisection step.
    Step,
    /// Verification: the culprit's parent, from a clean build dir.
    VerifyParent,
    /// Verification: the culprit, from a clean build dir (a runtime test: run 3 times).
    VerifyCulprit,
    /// Verification of a runtime test: the culprit reverted on the bad commit, run 3 times.
    VerifyRevert,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    /// 0, 1, ... in the order built.
    pub index: usize,
    pub role: Role,
    pub commit: CommitInfo,
    pub verdict: StepVerdict,
    pub reason: String,
    /// The diagnostics (or helper evidence) that decided.
    pub evidence: Vec<Diagnostic>,
    /// A runtime test's KTAP lines (its `# ` diagnostics and result line) and the kernel's
    /// complaints, of a failing run.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Built from a clean build dir.
    pub clean: bool,
    /// Units recompiled.
    pub rebuilt: usize,
    /// The build dir's first make (everything compiled).
    pub cold: bool,
    pub wall_s: f64,
    /// This build's logs.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// One first bad commit.
    Found,
    /// Only skipped commits are left: the first bad commit is one of `candidates`.
    Ambiguous,
    /// `max_steps` ran out first.
    Incomplete,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verified {
    Verified,
    Unverified,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    pub verdict: Verified,
    /// Why not verified (or what was checked).
    pub summary: String,
    pub checks: Vec<StepRecord>,
}

/// The one thing chased, once known.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// The fingerprint (build chases) or the helper's name.
    pub key: String,
    /// The diagnostic as the bad commit has it (build chases).
    pub diagnostic: Option<Diagnostic>,
    /// One line: `file:line: message [-Wflag]`, the helper verdict, or the test's KTAP
    /// result line.
    pub line: String,
    /// A runtime test's KTAP lines at the bad commit.
    #[serde(default)]
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BisectResult {
    pub kcross_version: String,
    pub repo: PathBuf,
    pub working_copy: PathBuf,
    pub cell: String,
    pub arch: String,
    pub chase: Chase,
    pub target: Target,
    pub good: CommitInfo,
    pub bad: CommitInfo,
    /// Commits between good (excluded) and bad (included) at the start.
    pub range: usize,
    pub status: Status,
    pub culprit: Option<CommitInfo>,
    /// With `Ambiguous`: the commits the first bad one is among.
    pub candidates: Vec<CommitInfo>,
    pub skipped: Vec<CommitInfo>,
    /// Every build, in order: endpoints, steps, verification.
    pub steps: Vec<StepRecord>,
    /// Bisection steps (endpoints and verification not counted).
    pub bisect_steps: usize,
    pub verification: Option<Verification>,
    pub started_at: String,
    pub wall_s: f64,
    pub run_dir: PathBuf,
}

impl BisectResult {
    /// The culprit was found and verified.
    pub fn verified(&self) -> bool {
        self.status == Status::Found
            && self
                .verification
                .as_ref()
                .is_some_and(|v| v.verdict == Verified::Verified)
    }
}

impl HasOutcome for BisectResult {
    /// Fail: a regression was named (something under test failed); error: it could not be
    /// isolated.
    fn outcome(&self) -> Outcome {
        match self.status {
            Status::Found => Outcome::Fail,
            _ => Outcome::Error,
        }
    }
}
