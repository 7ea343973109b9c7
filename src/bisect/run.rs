//! The bisection: endpoints, then `git rev-list --bisect-all`'s best halving point that is
//! neither tested nor skipped, until only the first bad commit (or only skipped ones) is left.

use super::git::{UserRepo, WorkingCopy};
use super::step::{self, Built};
use super::{
    BisectOptions, BisectResult, Chase, CommitInfo, Role, Status, StepRecord, StepVerdict, Target,
    Verification, Verified,
};
use crate::build::{BuildDir, Event, Jobs};
use crate::diag::{Counted, Diagnostic, Severity, Tool};
use crate::error::{Error, IoContext, Result};
use crate::plan::{Cell, Plan};
use crate::source::SourceTree;
use crate::toolchain::Registry;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Instant;

/// Everything a build of one commit needs, and what is known so far.
pub(super) struct Ctx<'a> {
    pub wc: WorkingCopy,
    pub cell: &'a Cell,
    pub plan: &'a Plan,
    pub reg: &'a Registry,
    pub opts: &'a BisectOptions,
    pub jobs: Jobs,
    pub events: &'a Sender<Event>,
    pub note: &'a dyn Fn(String),
    /// The bisection's incremental build dir.
    pub bd: BuildDir,
    /// What is chased, once known (a build chase's fingerprint, or the helper).
    pub key: String,
    /// Error fingerprints both endpoints have (not "another reason").
    pub known: BTreeSet<String>,
    pub records: Vec<StepRecord>,
    /// KTAP lines for the next record (runtime chase).
    pub lines: Vec<String>,
    /// Step dirs handed out.
    pub dirs: usize,
}

impl Ctx<'_> {
    /// `<run>/steps/NN-role-sha12`, numbered in the order asked.
    pub fn step_dir(&mut self, role: Role, sha: &str) -> PathBuf {
        self.dirs += 1;
        let r = serde_json::to_value(role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.opts.run_dir.join("steps").join(format!(
            "{:02}-{r}-{}",
            self.dirs - 1,
            &sha[..12.min(sha.len())]
        ))
    }

    /// Check out `sha` and build it: in the bisection's build dir, or (`clean`) in a new
    /// empty one under `clean`.
    pub fn build(&mut self, sha: &str, dir: &Path, clean: Option<&Path>) -> Result<Built> {
        crate::proc::check_interrupted()?;
        let touched = self.wc.checkout(sha)?;
        self.build_here(touched.as_ref(), dir, clean)
    }

    /// Build what is checked out now.
    pub fn build_here(
        &mut self,
        touched: Option<&BTreeSet<String>>,
        dir: &Path,
        clean: Option<&Path>,
    ) -> Result<Built> {
        match clean {
            None => step::build(
                self.cell,
                &self.wc.tree,
                &self.bd,
                touched,
                dir,
                &self.jobs,
                self.events,
            ),
            Some(root) => {
                let _ = std::fs::remove_dir_all(root);
                let bd = crate::build::build_dir_for(root, &self.wc.tree, self.cell);
                let r = step::build(
                    self.cell,
                    &self.wc.tree,
                    &bd,
                    None,
                    dir,
                    &self.jobs,
                    self.events,
                );
                let _ = std::fs::remove_dir_all(root);
                r
            }
        }
    }

    /// A runtime chase's commit, its test run `runs` times.
    pub fn eval_runs(&mut self, sha: &str, role: Role, runs: usize) -> Result<StepRecord> {
        let Chase::Test(test) = self.opts.chase.clone() else {
            return self.eval(sha, role, None);
        };
        let info = self.wc.info(sha)?;
        (self.note)(format!(
            "{}: {} {}",
            role_word(role),
            &sha[..12.min(sha.len())],
            info.subject
        ));
        let dir = self.step_dir(role, sha);
        let t0 = Instant::now();
        self.wc.checkout(sha)?;
        let r = super::runtime::run_test(self, &test, &dir, runs)?;
        self.record_lines(info, role, r.verdict, r.reason, r.lines, t0, dir)
    }

    /// Record a runtime chase's verdict with its KTAP lines.
    #[allow(clippy::too_many_arguments)]
    pub fn record_lines(
        &mut self,
        commit: CommitInfo,
        role: Role,
        verdict: StepVerdict,
        reason: String,
        lines: Vec<String>,
        t0: Instant,
        dir: PathBuf,
    ) -> Result<StepRecord> {
        self.lines = lines;
        self.record(
            commit,
            role,
            verdict,
            reason,
            vec![],
            false,
            (0, false),
            t0,
            dir,
        )
    }

    /// Build and judge one commit; the record is kept and written as `step.json`.
    pub fn eval(&mut self, sha: &str, role: Role, clean: Option<&Path>) -> Result<StepRecord> {
        if matches!(self.opts.chase, Chase::Test(_)) {
            return self.eval_runs(sha, role, 1);
        }
        let info = self.wc.info(sha)?;
        (self.note)(format!(
            "{}: {} {}",
            role_word(role),
            &sha[..12.min(sha.len())],
            info.subject
        ));
        let dir = self.step_dir(role, sha);
        let t0 = Instant::now();
        let (verdict, reason, evidence, built) = match &self.opts.chase {
            Chase::Test(_) => unreachable!("handled above"),
            Chase::Helper(h) => {
                let h = h.clone();
                self.wc.checkout(sha)?;
                let (v, r, e) = super::verify::helper_verdict(self, &h, &dir, clean)?;
                (v, r, e, (0, clean.is_some()))
            }
            chase => {
                let chase = chase.clone();
                let b = self.build(sha, &dir, clean)?;
                let (v, r, e) = step::judge(&b, &chase, &self.key, &self.known);
                (v, r, e, (b.rebuilt, b.cold))
            }
        };
        self.record(
            info,
            role,
            verdict,
            reason,
            evidence,
            clean.is_some(),
            built,
            t0,
            dir,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        commit: CommitInfo,
        role: Role,
        verdict: StepVerdict,
        reason: String,
        evidence: Vec<Diagnostic>,
        clean: bool,
        (rebuilt, cold): (usize, bool),
        t0: Instant,
        dir: PathBuf,
    ) -> Result<StepRecord> {
        let rec = StepRecord {
            index: self.records.len(),
            role,
            commit,
            verdict,
            reason,
            evidence,
            lines: std::mem::take(&mut self.lines),
            clean,
            rebuilt,
            cold,
            wall_s: t0.elapsed().as_secs_f64(),
            dir,
        };
        std::fs::create_dir_all(&rec.dir).ctx(|| format!("creating {}", rec.dir.display()))?;
        crate::atomic::write_json(&rec.dir.join("step.json"), &rec)?;
        (self.note)(format!(
            "  {}: {}",
            match rec.verdict {
                StepVerdict::Good => "good",
                StepVerdict::Bad => "bad",
                StepVerdict::Skip => "skip",
            },
            rec.reason
        ));
        self.records.push(rec.clone());
        Ok(rec)
    }
}

fn role_word(r: Role) -> &'static str {
    match r {
        Role::Good => "good end",
        Role::Bad => "bad end",
        Role::Step => "step",
        Role::VerifyParent => "verify (clean build dir): the parent",
        Role::VerifyCulprit => "verify: the culprit",
        Role::VerifyRevert => "verify: the culprit reverted on the bad commit",
    }
}

/// Bisect `opts.cell` of `plan` between `opts.good` and `opts.bad` of the git source `src`.
pub fn bisect(
    plan: &Plan,
    reg: &Registry,
    src: &SourceTree,
    opts: &BisectOptions,
    events: &Sender<Event>,
    note: &dyn Fn(String),
) -> Result<BisectResult> {
    let started_at = chrono::Local::now().to_rfc3339();
    let t0 = Instant::now();
    let cell = plan
        .cells
        .iter()
        .find(|c| c.id == opts.cell)
        .ok_or_else(|| {
            Error::Usage(format!(
                "--cell {}: no such cell in matrix {}; its cells: {}",
                opts.cell,
                plan.matrix,
                plan.cells
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let user = UserRepo::of(src)?;
    let good = user.resolve(&opts.good, "good")?;
    let bad = user.resolve(&opts.bad, "bad")?;
    if good == bad {
        return Err(Error::Usage(format!(
            "--good {} and --bad {} are the same commit {good}",
            opts.good, opts.bad
        )));
    }
    if !user.is_ancestor(&good, &bad)? {
        return Err(Error::Usage(format!(
            "--good {} ({}) is not an ancestor of --bad {} ({}) in {}: a bisection needs good to come before bad",
            opts.good,
            &good[..12],
            opts.bad,
            &bad[..12],
            user.root.display()
        )));
    }
    std::fs::create_dir_all(&opts.run_dir)
        .ctx(|| format!("creating {}", opts.run_dir.display()))?;
    let wc = WorkingCopy::open(&user, &opts.cache, note)?;
    if wc.fresh {
        // A new clone's files are all new: build dirs of an earlier clone start again.
        let old = opts.build_root.join(wc.tree.build_id());
        if old.exists() {
            note(format!(
                "removing build dirs of an earlier working copy: {}",
                old.display()
            ));
            std::fs::remove_dir_all(&old).ctx(|| format!("removing {}", old.display()))?;
        }
    }
    let bd = crate::build::build_dir_for(&opts.build_root, &wc.tree, cell);
    let sandbox = opts.sandbox.clone().map(|s| s.with_writable(&wc.tree.root));
    let mut cx = Ctx {
        wc,
        cell,
        plan,
        reg,
        opts,
        jobs: Jobs::sandboxed(opts.jobs, sandbox)?,
        events,
        note,
        bd,
        key: String::new(),
        known: BTreeSet::new(),
        records: Vec::new(),
        lines: Vec::new(),
        dirs: 0,
    };
    let range = cx.wc.range(&bad, std::slice::from_ref(&good))?.len();
    let target = endpoints(&mut cx, &good, &bad)?;

    let mut goods = vec![good.clone()];
    let mut cur_bad = bad.clone();
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    let mut steps = 0;
    let (status, culprit, candidates) = loop {
        let left = cx.wc.range(&cur_bad, &goods)?;
        let untested: Vec<&String> = left
            .iter()
            .filter(|c| **c != cur_bad && !skipped.contains(*c))
            .collect();
        if untested.is_empty() {
            let among: Vec<String> = left
                .iter()
                .filter(|c| skipped.contains(*c))
                .cloned()
                .collect();
            if among.is_empty() {
                break (Status::Found, Some(cur_bad.clone()), vec![]);
            }
            let mut all = among;
            all.push(cur_bad.clone());
            break (Status::Ambiguous, None, all);
        }
        if steps >= opts.max_steps || opts.out_of_time() {
            break (Status::Incomplete, None, left);
        }
        let order = cx.wc.bisect_order(&cur_bad, &goods)?;
        let Some(pick) = order
            .into_iter()
            .find(|c| *c != cur_bad && !skipped.contains(c))
        else {
            break (Status::Incomplete, None, left);
        };
        steps += 1;
        let rec = cx.eval(&pick, Role::Step, None)?;
        match rec.verdict {
            StepVerdict::Good => goods.push(pick),
            StepVerdict::Bad => cur_bad = pick,
            StepVerdict::Skip => {
                skipped.insert(pick);
            }
        }
    };
    let culprit = culprit.map(|c| cx.wc.info(&c)).transpose()?;
    let verification = match &culprit {
        Some(_) if opts.verify && opts.out_of_time() => Some(Verification {
            verdict: Verified::Unverified,
            summary: "not verified: the bisect budget ran out before verification".into(),
            checks: vec![],
        }),
        Some(c) if opts.verify => Some(match &opts.chase {
            Chase::Test(t) => super::runtime::verify(&mut cx, t, &c.sha, &bad)?,
            _ => super::verify::verify(&mut cx, &c.sha)?,
        }),
        _ => None,
    };
    let candidates = candidates
        .iter()
        .map(|c| cx.wc.info(c))
        .collect::<Result<Vec<_>>>()?;
    let skipped = cx
        .records
        .iter()
        .filter(|r| r.role == Role::Step && r.verdict == StepVerdict::Skip)
        .map(|r| r.commit.clone())
        .collect();
    let result = BisectResult {
        kcross_version: env!("CARGO_PKG_VERSION").to_string(),
        repo: user.root.clone(),
        working_copy: cx.wc.tree.root.clone(),
        cell: cell.id.clone(),
        arch: cell.arch.clone(),
        chase: opts.chase.clone(),
        target,
        good: cx.wc.info(&good)?,
        bad: cx.wc.info(&bad)?,
        range,
        status,
        culprit,
        candidates,
        skipped,
        steps: cx.records.clone(),
        bisect_steps: steps,
        verification,
        started_at,
        wall_s: t0.elapsed().as_secs_f64(),
        run_dir: opts.run_dir.clone(),
    };
    crate::atomic::write_json(&opts.run_dir.join("bisect.json"), &result)?;
    Ok(result)
}

/// Build both ends; find what is chased (a build chase's default: the first new error or
/// warning of bad against good); prove good does not have it and bad does.
fn endpoints(cx: &mut Ctx, good: &str, bad: &str) -> Result<Target> {
    if let Chase::Helper(h) | Chase::Test(h) = &cx.opts.chase {
        cx.key = h.clone();
        let g = cx.eval(good, Role::Good, None)?;
        if g.verdict != StepVerdict::Good {
            return Err(endpoint_error(cx, "good", good, &g));
        }
        let b = cx.eval(bad, Role::Bad, None)?;
        if b.verdict != StepVerdict::Bad {
            return Err(endpoint_error(cx, "bad", bad, &b));
        }
        return Ok(Target {
            key: h.clone(),
            diagnostic: None,
            line: b.lines.last().cloned().unwrap_or_else(|| b.reason.clone()),
            lines: b.lines.clone(),
        });
    }
    let sev = match cx.opts.chase {
        Chase::Warning(_) => Severity::Warning,
        _ => Severity::Error,
    };
    let t0 = Instant::now();
    let gdir = cx.step_dir(Role::Good, good);
    let gb = cx.build(good, &gdir, None)?;
    let ginfo = cx.wc.info(good)?;
    if gb.configure_failed {
        let why = "the tree does not configure for this cell".to_string();
        cx.record(
            ginfo,
            Role::Good,
            StepVerdict::Skip,
            why,
            gb.diagnostics,
            false,
            (0, gb.cold),
            t0,
            gdir,
        )?;
        return Err(Error::Usage(format!(
            "--good {}: the good commit does not configure for cell {} (see {})",
            cx.opts.good,
            cx.cell.id,
            cx.records[0].dir.display()
        )));
    }
    let chase = cx.opts.chase.clone();
    if let Chase::Error(Some(f)) | Chase::Warning(Some(f)) = &chase {
        // A good end that has it is bad input: said before the bad end is built.
        let own: BTreeSet<String> = gb
            .diagnostics
            .iter()
            .map(|d| d.fingerprint.clone())
            .collect();
        let (gv, gr, ge) = step::judge(&gb, &chase, f, &own);
        if gv == StepVerdict::Bad {
            cx.key = f.clone();
            let g = cx.record(
                ginfo,
                Role::Good,
                gv,
                gr,
                ge,
                false,
                (gb.rebuilt, gb.cold),
                t0,
                gdir,
            )?;
            return Err(endpoint_error(cx, "good", good, &g));
        }
    }
    let t1 = Instant::now();
    let bdir = cx.step_dir(Role::Bad, bad);
    let bb = cx.build(bad, &bdir, None)?;
    let fp = match &cx.opts.chase {
        Chase::Error(Some(f)) | Chase::Warning(Some(f)) => f.clone(),
        _ => first_new(&gb.diagnostics, &bb.diagnostics, sev).ok_or_else(|| {
            Error::Usage(format!(
                "--bad {}: the bad commit has no {} that --good {} does not have, for cell {}: nothing to bisect",
                cx.opts.bad,
                if sev == Severity::Warning { "warning" } else { "error" },
                cx.opts.good,
                cx.cell.id
            ))
        })?,
    };
    cx.key = fp.clone();
    cx.known = gb
        .diagnostics
        .iter()
        .chain(bb.diagnostics.iter())
        .filter(|d| d.is_error())
        .map(|d| d.fingerprint.clone())
        .collect();
    let (gv, gr, ge) = step::judge(&gb, &chase, &fp, &cx.known);
    let g = cx.record(
        ginfo,
        Role::Good,
        gv,
        gr,
        ge,
        false,
        (gb.rebuilt, gb.cold),
        t0,
        gdir,
    )?;
    let (bv, br, be) = step::judge(&bb, &chase, &fp, &cx.known);
    let binfo = cx.wc.info(bad)?;
    let b = cx.record(
        binfo,
        Role::Bad,
        bv,
        br,
        be,
        false,
        (bb.rebuilt, bb.cold),
        t1,
        bdir,
    )?;
    if g.verdict == StepVerdict::Bad {
        return Err(endpoint_error(cx, "good", good, &g));
    }
    if b.verdict != StepVerdict::Bad {
        return Err(endpoint_error(cx, "bad", bad, &b));
    }
    let d = b.evidence.first().cloned();
    Ok(Target {
        key: fp,
        line: d.as_ref().map(one_line).unwrap_or_default(),
        diagnostic: d,
        lines: vec![],
    })
}

fn endpoint_error(cx: &Ctx, which: &str, sha: &str, r: &StepRecord) -> Error {
    let given = if which == "good" {
        &cx.opts.good
    } else {
        &cx.opts.bad
    };
    let is = match r.verdict {
        StepVerdict::Good => "good",
        StepVerdict::Bad => "bad",
        StepVerdict::Skip => "neither good nor bad",
    };
    Error::Usage(format!(
        "--{which} {given} ({}): the {which} commit is {is} for {} on cell {}: it {} (see {})",
        &sha[..12.min(sha.len())],
        cx.opts.chase.describe(),
        cx.cell.id,
        r.reason,
        r.dir.display()
    ))
}

/// The first diagnostic of `sev` that bad has more of than good, in bad's order, preferring
/// one with a source location over make's own failure line.
fn first_new(good: &[Diagnostic], bad: &[Diagnostic], sev: Severity) -> Option<String> {
    let diff = crate::diag::diff(
        &Counted::of_severity(good, sev),
        &Counted::of_severity(bad, sev),
    );
    let new: BTreeSet<&str> = diff.new.iter().map(|d| d.fingerprint.as_str()).collect();
    let mut cands = bad
        .iter()
        .filter(|d| d.severity == sev && new.contains(d.fingerprint.as_str()));
    let all: Vec<&Diagnostic> = cands.by_ref().collect();
    all.iter()
        .find(|d| d.tool != Tool::Make && d.file.is_some())
        .or(all.first())
        .map(|d| d.fingerprint.clone())
}

/// `file:line:col: error: message [-Wflag]`, as the compiler says it.
pub fn one_line(d: &Diagnostic) -> String {
    let loc = d.location();
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let mut s = if loc.is_empty() {
        format!("{sev}: {}", d.message)
    } else {
        format!("{loc}: {sev}: {}", d.message)
    };
    if let Some(f) = &d.flag {
        s.push_str(&format!(" [{f}]"));
    }
    s
}
