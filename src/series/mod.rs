//! Series gate: a patch series (mbox, directory of `*.patch`, or git range) applied one patch
//! at a time on kcross's own working copy of the source, with an incremental rebuild of every
//! cell after each patch (`--every-patch`), or, by default, the base and the tip in full and a
//! probe of each patch in between (`fast`); each step's diagnostics are compared with the step
//! before and with the base by fingerprint, so only what a patch introduces is reported (and
//! gated on), and attributed to that patch.
//!
//! Order of work, so that bad input costs nothing: read the series, prove it applies on the
//! base (`apply::check_series`, a scratch copy of the touched files), then take the working
//! copy (locked), build the base, and step forward.

pub mod apply;
mod cellstep;
pub mod compare;
pub mod fast;
mod gate;
pub mod locate;
pub mod mbox;
pub mod place;
pub mod policy;

use crate::build::CellResult;
use crate::diag::{Diagnostic, Severity};
use crate::error::Result;
use crate::known::KnownIssue;
use crate::outcome::{HasOutcome, Outcome};
use crate::source::SourceTree;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use gate::gate;
pub use mbox::load;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesKind {
    Mbox,
    Directory,
    GitRange,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Patch {
    /// 1-based position in the series.
    pub index: usize,
    pub total: usize,
    /// Subject without `Re:` and `[PATCH vN k/N]`.
    pub subject: String,
    pub raw_subject: String,
    pub author: Option<String>,
    /// `file:line` of the message.
    pub origin: String,
    /// Paths the patch touches.
    pub files: Vec<String>,
    /// The message's `Message-ID`, without the angle brackets (None for a plain diff).
    #[serde(default)]
    pub message_id: Option<String>,
    /// Its `In-Reply-To` (without brackets).
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// Its `References`, oldest first (without brackets).
    #[serde(default)]
    pub references: Vec<String>,
    /// sha256 (hex) of the patch as given: its mbox message from the `From ` line, or its
    /// file (KCIDB's `patchset_hash` is over these).
    #[serde(default)]
    pub sha256: String,
    /// The message body (commit message and diff) given to `git apply`.
    #[serde(skip)]
    pub text: String,
}

impl Patch {
    /// `3/7`
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.total)
    }

    /// `3/7 "mm/powerpc: Add missing pud helpers" (file:line)`
    pub fn describe(&self) -> String {
        format!("{} \"{}\" ({})", self.label(), self.subject, self.origin)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Series {
    pub origin: String,
    pub kind: SeriesKind,
    /// `v5` of `[PATCH v5 k/N]`, when given.
    pub version: Option<u32>,
    /// Subject of the cover letter (`0/N`), when there is one.
    pub cover: Option<String>,
    /// The cover letter's `Message-ID` (without brackets).
    #[serde(default)]
    pub cover_message_id: Option<String>,
    /// Messages that were not patches (replies, messages without a diff).
    pub skipped: Vec<String>,
    pub patches: Vec<Patch>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    NewErrors,
    #[default]
    NewWarnings,
}

impl FailOn {
    pub fn gates(&self, s: Severity) -> bool {
        match self {
            FailOn::NewErrors => s == Severity::Error,
            FailOn::NewWarnings => matches!(s, Severity::Error | Severity::Warning),
        }
    }
}

/// How the patches between the base and the tip are proven (README, "What each mode proves").
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesMode {
    /// Base and tip in full; each patch between compiles only a probe (`fast.rs`). The
    /// default for cells that build images.
    Fast,
    /// Every patch built in full, incrementally (`--every-patch`). Object cells always are.
    #[default]
    EveryPatch,
    /// The base and the whole series only (`--last-only`).
    LastOnly,
}

impl SeriesMode {
    pub fn name(&self) -> &'static str {
        match self {
            SeriesMode::Fast => "fast",
            SeriesMode::EveryPatch => "every-patch",
            SeriesMode::LastOnly => "last-only",
        }
    }

    /// What a pass in this mode proves, in one sentence.
    pub fn proves(&self) -> &'static str {
        match self {
            SeriesMode::Fast => "the base and the tip build in full; every patch in between configures and compiles the series' own .c files and one unit of each of the tip's findings, and each finding is put on the first patch whose build shows it (a link, modpost or make finding of the tip, which has no file, is bisected over the series with full builds of the states in between, or with --no-bisect marked unattributed); it does not prove that the states in between link, or that every dependent of a changed header compiles (--every-patch does)",
            SeriesMode::EveryPatch => "every patch builds the cells' targets in full (incrementally), and each finding is put on the patch that brought it",
            SeriesMode::LastOnly => "the base and the whole series build in full; nothing is proven about the patches in between",
        }
    }
}

#[derive(Debug, Clone)]
pub struct GateOptions {
    /// Total make jobs across all cells (one jobserver for the whole gate).
    pub jobs: usize,
    /// The run's results directory (created by the caller after the series was checked).
    pub run_dir: PathBuf,
    /// Build dirs root; the working copy gets its own key under it.
    pub build_root: PathBuf,
    /// Where the working copy lives (`<cache>/series/<base key>/tree`).
    pub cache: PathBuf,
    /// Fast (default), every patch, or the whole series at once.
    pub mode: SeriesMode,
    pub fail_on: FailOn,
    /// Benchmark only: every step in a fresh build dir (removed afterwards).
    pub from_scratch: bool,
    /// Fast mode: bisect the tip's file-less new findings over the series with full builds
    /// (`place.rs`); off (`--no-bisect`), they stay on the last patch, marked unattributed.
    pub bisect_unattributed: bool,
    /// Every make in this sandbox, the working copy writable (`kcross series`' default;
    /// `--no-sandbox` turns it off).
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepCell {
    /// The cell's result for this tree state; `diagnostics` are all the tree has (carried
    /// forward for units this step did not recompile), not only what this step's log printed.
    pub result: CellResult,
    /// Units recompiled by this step.
    pub rebuilt: usize,
    /// Diagnostics printed by this step's build.
    pub printed: usize,
    /// Introduced by this step (not in the step before, nor in the base).
    pub new: Vec<Diagnostic>,
    /// Not in the step before, but in the base (a reverted fix).
    pub reappeared: Vec<Diagnostic>,
    /// In the step before, gone now.
    pub fixed: Vec<Diagnostic>,
    /// Fast mode, a step between base and tip: the only targets this step compiled (its
    /// `result.diagnostics` are the base's with these units' replaced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probe: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// 0 for the base.
    pub index: usize,
    /// `base`, `3/7`, or `1-7/7` (--last-only).
    pub label: String,
    /// Patch indices this step applied.
    pub patches: Vec<usize>,
    pub subject: Option<String>,
    pub cells: Vec<StepCell>,
    pub wall_s: f64,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    New,
    Reappeared,
    Fixed,
}

/// One diagnostic that a step introduced (or fixed), merged across the cells it appears on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub kind: ChangeKind,
    pub step: usize,
    /// `3/7`
    pub patch: String,
    pub subject: String,
    pub severity: Severity,
    pub fingerprint: String,
    /// Cells it appears (or disappears) on.
    pub cells: Vec<String>,
    /// Arches of those cells.
    pub arches: Vec<String>,
    /// Does this make the gate fail (a new diagnostic of a gated severity)?
    pub gating: bool,
    /// The diagnostic as the first cell printed it.
    pub diagnostic: Diagnostic,
    /// Cells where a `[[known]]` entry covers it -> that entry (`at`): a new diagnostic that
    /// is known does not gate on those cells.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub known: BTreeMap<String, String>,
    /// Fast mode: a file-less finding of the tip on a probed cell. It is on the last patch,
    /// but may come from any patch of the series (`--every-patch` places it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unattributed: bool,
    /// Fast mode: a file-less finding of the tip that was put on its patch by bisecting the
    /// series with full builds (`SeriesResult::bisect_builds`), not by a probe.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bisected: bool,
}

impl Finding {
    /// Does this finding fail the gate on `cell`?
    pub fn gates_on(&self, cell: &str) -> bool {
        self.gating && self.cells.iter().any(|c| c == cell) && !self.known.contains_key(cell)
    }

    /// A new diagnostic of a gated severity, known on `cell`.
    pub fn known_on(&self, cell: &str) -> bool {
        self.kind == ChangeKind::New && self.known.contains_key(cell)
    }
}

/// Mark the findings that `[[known]]` entries cover, cell by cell, and decide `gating`: a new
/// diagnostic of a gated severity gates unless it is known on every cell it appears on. The
/// one place the gate applies known issues.
pub fn mark_known(
    findings: &mut [Finding],
    issues: &[KnownIssue],
    arches: &BTreeMap<String, String>,
    fail_on: FailOn,
) {
    for f in findings {
        f.known.clear();
        for c in &f.cells {
            let arch = arches.get(c).map(String::as_str).unwrap_or("");
            if let Some(i) = crate::known::covering(issues, c, arch, &f.diagnostic) {
                f.known.insert(c.clone(), i.at.clone());
            }
        }
        f.gating = f.kind == ChangeKind::New
            && fail_on.gates(f.severity)
            && f.cells.iter().any(|c| !f.known.contains_key(c));
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesResult {
    pub kcross_version: String,
    pub matrix: String,
    pub matrix_origin: String,
    /// The base.
    pub source: SourceTree,
    pub working_copy: PathBuf,
    pub series: Series,
    pub last_only: bool,
    /// The mode that ran: `fast` when at least one cell was probed.
    #[serde(default)]
    pub mode: SeriesMode,
    pub fail_on: FailOn,
    pub cells: Vec<String>,
    pub arches: BTreeMap<String, String>,
    pub steps: Vec<Step>,
    pub findings: Vec<Finding>,
    /// Cells whose base does not configure: the gate cannot judge them.
    pub broken_base: Vec<String>,
    /// The `[[known]]` entries judged on every step's diagnostics (stale: applies to a cell
    /// of the gate and occurred in no step).
    #[serde(default)]
    pub known: crate::known::KnownReport,
    pub started_at: String,
    pub wall_s: f64,
    pub jobs: usize,
    pub run_dir: PathBuf,
    /// Every make ran in the sandbox (each step's cell result says so too).
    #[serde(default)]
    pub sandboxed: bool,
    /// Fast mode: the full builds that bisected the tip's file-less findings (`place.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bisect_builds: Vec<place::PlaceBuild>,
}

impl SeriesResult {
    pub fn failed(&self) -> bool {
        self.outcome().is_failure()
    }

    /// One step on one cell: error when the cell's base cannot be judged, fail when the step
    /// brought a gated new diagnostic there, known when what it brought of a gated severity
    /// is known there, else pass.
    pub fn step_outcome(&self, step: usize, cell: &str) -> Outcome {
        if self.broken_base.iter().any(|c| c == cell) {
            Outcome::Error
        } else if self.findings_of(step, Some(cell)).any(|f| f.gates_on(cell)) {
            Outcome::Fail
        } else if self
            .findings_of(step, Some(cell))
            .any(|f| f.known_on(cell) && self.fail_on.gates(f.severity))
        {
            Outcome::Known
        } else {
            Outcome::Pass
        }
    }

    /// 0 clean, 1 new failures (per `fail_on`) or a base that cannot be judged.
    pub fn exit_code(&self) -> i32 {
        crate::error::outcome_code(!self.failed())
    }

    pub fn findings_of<'a>(
        &'a self,
        step: usize,
        cell: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings
            .iter()
            .filter(move |f| f.step == step && cell.is_none_or(|c| f.cells.iter().any(|x| x == c)))
    }
}

impl HasOutcome for SeriesResult {
    /// The gate as a whole: the worst of its steps on its cells.
    fn outcome(&self) -> Outcome {
        Outcome::worst(self.cells.iter().flat_map(|c| {
            self.steps
                .iter()
                .skip(1)
                .map(move |s| self.step_outcome(s.index, c))
                .chain(self.broken_base.contains(c).then_some(Outcome::Error))
        }))
    }
}

/// Prove the series applies on the base; `Error::PatchDoesNotApply` otherwise. Writes nothing.
pub fn check_applies(series: &Series, base: &SourceTree) -> Result<()> {
    policy::check(series, &base.root)?;
    apply::check_series(series, &base.root)
}
