//! `kcross nightly --bisect`: after the comparison, each regression of a git-source nightly
//! whose previous run built a commit is bisected between that commit (good) and this run's
//! (bad), on its cell, chasing exactly what regressed (the new error's or warning's
//! fingerprint, the helper, the guest test), within one time budget for all of them. The
//! culprit, or why there is none, goes beside the regression in the reports; each bisection
//! keeps its own results dir (`<run>/bisect/<n>-<cell>/`) and its row in the history.

use super::common::{jobs, Common, Loaded};
use crate::bisect::{self, BisectOptions, Chase};
use crate::error::{Error, Result};
use crate::history::bisect::Culprit;
use crate::history::{ChangeKind, RunReport};
use crate::source::{SourceKind, SourceTree};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Bisect each regression between the previous run's commit and this run's (git sources)
    #[arg(long)]
    pub bisect: bool,
    /// Time for all bisections together (`90s`, `30m`, `2h`); a bisection that would start
    /// later is not run, one that runs out stops as `incomplete`
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = humantime::parse_duration)]
    pub bisect_budget: Duration,
}

/// What a regression's bisection chases (None: not a thing to bisect, such as `slower`).
fn chase_of(c: &crate::history::Change) -> Option<Chase> {
    let fp = || c.diagnostic.as_ref().map(|d| d.fingerprint.clone());
    match c.kind {
        ChangeKind::CellFail | ChangeKind::NewError => Some(Chase::Error(fp())),
        ChangeKind::NewWarning => Some(Chase::Warning(fp())),
        ChangeKind::CheckMissing => c.item.clone().map(Chase::Helper),
        ChangeKind::RuntimeFail => c.item.clone().map(Chase::Test),
        ChangeKind::Slower => None,
    }
}

/// A plain commit id (a dirty tree's key has a `-dirty-` suffix; a tarball's is a hash prefix).
fn commit_of(key: &str) -> Option<&str> {
    (key.len() == 40 && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(key)
}

/// Why no regression of this nightly can be bisected, if so.
fn refusal(report: &RunReport, src: &SourceTree) -> Option<String> {
    if src.kind != SourceKind::Git {
        return Some(format!(
            "not bisected: the source {} is not a git tree",
            src.origin
        ));
    }
    if commit_of(&src.key).is_none() {
        return Some(format!(
            "not bisected: this run built uncommitted changes ({})",
            src.key
        ));
    }
    let Some(b) = &report.baseline else {
        return Some("not bisected: there is no previous run".into());
    };
    if commit_of(&b.source_key).is_none() {
        return Some(format!(
            "not bisected: the previous run (#{}) did not build a commit of a git tree (source key {})",
            b.id, b.source_key
        ));
    }
    if b.source_key == src.key {
        return Some(format!(
            "not bisected: the previous run (#{}) built the same commit",
            b.id
        ));
    }
    None
}

/// Bisect the report's regressions and put each culprit beside its regression. Returns how
/// many bisections ran. Only an interruption is an error: a bisection that cannot run (bad
/// history, a tree that does not configure) is reported beside its regression.
pub fn bisect_regressions(
    args: &Args,
    c: &Common,
    l: &Loaded,
    src: &SourceTree,
    report: &mut RunReport,
    history: &Path,
    reported_by: &str,
) -> Result<usize> {
    let deadline = Instant::now() + args.bisect_budget;
    let refused = refusal(report, src);
    let good = report
        .baseline
        .as_ref()
        .map(|b| b.source_key.clone())
        .unwrap_or_default();
    let root = report.run.summary.out_dir.join("bisect");
    let mut done: BTreeMap<(String, String), Culprit> = BTreeMap::new();
    let mut ran = 0;
    for reg in report.comparison.regressions.iter_mut() {
        let Some(chase) = chase_of(reg) else {
            continue;
        };
        let key = (
            reg.cell.clone(),
            serde_json::to_string(&chase).unwrap_or_default(),
        );
        if let Some(found) = done.get(&key) {
            reg.culprit = Some(found.clone());
            continue;
        }
        let culprit = if let Some(why) = &refused {
            Culprit::not_bisected(why.clone())
        } else if Instant::now() >= deadline {
            Culprit::not_bisected(format!(
                "not bisected: the bisect budget ({}) ran out",
                humantime::format_duration(args.bisect_budget)
            ))
        } else {
            ran += 1;
            let opts = BisectOptions {
                good: good.clone(),
                bad: src.key.clone(),
                cell: reg.cell.clone(),
                chase,
                jobs: jobs(c),
                run_dir: root.join(format!("{ran}-{}", reg.cell)),
                build_root: crate::build::default_build_root(),
                cache: crate::source::cache_dir(),
                max_steps: 20,
                verify: true,
                deadline: Some(deadline),
                sandbox: super::common::sandbox(c.sandbox, "kcross nightly --bisect --sandbox")?,
            };
            eprintln!(
                "kcross: bisecting {} on {} between {} and {}",
                opts.chase.describe(),
                reg.cell,
                &good[..12],
                &src.key[..12]
            );
            match one(l, src, &opts, history, reported_by) {
                Ok(c) => c,
                Err(Error::Interrupted) => return Err(Error::Interrupted),
                Err(e) => Culprit::not_bisected(format!("not bisected: {e}")),
            }
        };
        eprintln!("kcross: {}: {}", reg.cell, culprit.line);
        done.insert(key, culprit.clone());
        reg.culprit = Some(culprit);
    }
    Ok(ran)
}

fn one(
    l: &Loaded,
    src: &SourceTree,
    opts: &BisectOptions,
    history: &Path,
    reported_by: &str,
) -> Result<Culprit> {
    let (tx, rx) = std::sync::mpsc::channel();
    let progress = std::thread::spawn(move || crate::report::terminal::progress(rx, false));
    let note = |s: String| eprintln!("kcross: {s}");
    let result = bisect::bisect(&l.plan, &l.reg, src, opts, &tx, &note);
    drop(tx);
    let _ = progress.join();
    let result = result?;
    let (line, id) = super::bisect::keep(&result, reported_by, history)?;
    Ok(Culprit::of(&result, line, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_commit_is_a_bisect_end() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(commit_of(sha), Some(sha));
        assert_eq!(commit_of(&format!("{sha}-dirty-0a1b2c3d")), None);
        assert_eq!(commit_of("5f0b3c2a9d1e"), None);
    }
}
