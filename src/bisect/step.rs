//! One build of the cell at the commit checked out: configure (reused when the stamp says so)
//! and `make -k` of the cell's targets through `build::Tracked`, so the diagnostics are the
//! build dir's complete state (a warm step reports what a cold build of the commit would),
//! then the verdict for what is chased.

use super::{Chase, StepVerdict};
use crate::build::{self, BuildDir, Event, Jobs, Tracked};
use crate::diag::{self, Diagnostic, Severity};
use crate::error::{IoContext, Result};
use crate::plan::Cell;
use crate::source::SourceTree;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc::Sender;

/// What one build found.
#[derive(Debug, Clone)]
pub struct Built {
    /// configure failed (the tree does not configure for this cell).
    pub configure_failed: bool,
    /// The build dir's diagnostics for the cell's targets (configure's included).
    pub diagnostics: Vec<Diagnostic>,
    /// Units kbuild recompiled.
    pub rebuilt: usize,
    /// The first make in this dir.
    pub cold: bool,
}

/// Build `cell` in `bd` (its lock is taken here) from `tree`; `touched`: the files that
/// changed since the dir's last build (None: unknown, a fresh checkout).
pub fn build(
    cell: &Cell,
    tree: &SourceTree,
    bd: &BuildDir,
    touched: Option<&BTreeSet<String>>,
    logs: &Path,
    jobs: &Jobs,
    events: &Sender<Event>,
) -> Result<Built> {
    std::fs::create_dir_all(logs).ctx(|| format!("creating {}", logs.display()))?;
    if let Some(p) = bd.lock.parent() {
        std::fs::create_dir_all(p).ctx(|| format!("creating {}", p.display()))?;
    }
    let _lock = crate::util::FileLock::acquire(&bd.lock)?;
    let mut tracked = Tracked::open(bd, &tree.root, &cell.id)?;
    let cfg_log = logs.join("configure.log");
    let build_log = logs.join("build.log");
    crate::atomic::write(&cfg_log, b"")?;
    crate::atomic::write(&build_log, b"")?;
    let conf = build::configure(cell, tree, bd, &cfg_log, jobs, events)?;
    tracked.configured(&conf)?;
    if !conf.ok {
        return Ok(Built {
            configure_failed: true,
            diagnostics: stamp(conf.diagnostics, &cell.id),
            rebuilt: 0,
            cold: tracked.is_cold(),
        });
    }
    let cold = tracked.is_cold();
    let mut cmd = build::make_command(&tree.root, &bd.path, cell, &cell.targets);
    cmd.arg("-k");
    let none = BTreeSet::new();
    let run = tracked.make(
        &mut cmd,
        &cell.targets,
        jobs,
        &build_log,
        touched.unwrap_or(&none),
        |line| {
            let _ = events.send(Event::CellOutput {
                cell: cell.id.clone(),
                line: line.to_string(),
            });
        },
    )?;
    Ok(Built {
        configure_failed: false,
        diagnostics: tracked.view(&cell.targets),
        rebuilt: run.rebuilt.len(),
        cold,
    })
}

fn stamp(mut v: Vec<Diagnostic>, cell: &str) -> Vec<Diagnostic> {
    for d in &mut v {
        d.cell = cell.to_string();
        if d.fingerprint.is_empty() {
            d.fingerprint = diag::fingerprint(d);
        }
    }
    v
}

/// Whether a diagnostic is the one chased: the full fingerprint, or a prefix of at least 8
/// characters of it (as the reports print it short).
pub fn matches(d: &Diagnostic, fp: &str) -> bool {
    fp.len() >= 8 && d.fingerprint.starts_with(fp)
}

/// The verdict of a build for a build chase (`--error` / `--warning`), with the reason and
/// the diagnostics that decided. `known`: the error fingerprints the good and bad endpoints
/// have (an error both ends share, or the bad end's own, is not "another reason").
pub fn judge(
    b: &Built,
    chase: &Chase,
    fp: &str,
    known: &BTreeSet<String>,
) -> (StepVerdict, String, Vec<Diagnostic>) {
    if b.configure_failed {
        let first: Vec<Diagnostic> = b.diagnostics.iter().take(3).cloned().collect();
        return (
            StepVerdict::Skip,
            "the tree does not configure for this cell".into(),
            first,
        );
    }
    let sev = match chase {
        Chase::Warning(_) => Severity::Warning,
        _ => Severity::Error,
    };
    let hits: Vec<Diagnostic> = b
        .diagnostics
        .iter()
        .filter(|d| d.severity == sev && matches(d, fp))
        .cloned()
        .collect();
    if !hits.is_empty() {
        let d = &hits[0];
        return (
            StepVerdict::Bad,
            format!("has the {}: {}: {}", sev_word(sev), d.location(), d.message),
            hits,
        );
    }
    let other: Vec<Diagnostic> = b
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !known.contains(&d.fingerprint))
        .cloned()
        .collect();
    if let Some(d) = other.first() {
        let loc = d.location();
        return (
            StepVerdict::Skip,
            format!(
                "fails for another reason: {}{}",
                if loc.is_empty() {
                    String::new()
                } else {
                    format!("{loc}: ")
                },
                d.message
            ),
            other,
        );
    }
    (
        StepVerdict::Good,
        format!("does not have the {}", sev_word(sev)),
        Vec::new(),
    )
}

fn sev_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "diagnostic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(diags: Vec<Diagnostic>) -> Built {
        Built {
            configure_failed: false,
            diagnostics: diags,
            rebuilt: 1,
            cold: false,
        }
    }

    fn error(file: &str, msg: &str) -> Diagnostic {
        let mut d = diag::test_warning(file, 10, "", msg, "x = y;");
        d.severity = Severity::Error;
        d.code = "cc-error".into();
        d.flag = None;
        d.fingerprint = diag::fingerprint(&d);
        d
    }

    #[test]
    fn the_fingerprint_decides_and_another_error_is_a_skip() {
        let w = diag::test_warning(
            "mm/mprotect.c",
            530,
            "-Wunused-variable",
            "unused variable 'n'",
            "int n;",
        );
        let other_w = diag::test_warning(
            "mm/mprotect.c",
            540,
            "-Wunused-variable",
            "unused variable 'm'",
            "int m;",
        );
        let known = error("arch/powerpc/mm/book3s64/pgtable.c", "'F' undeclared");
        let stray = error("mm/huge_memory.c", "implicit declaration of function 'f'");
        let chase = Chase::Warning(None);
        let fp = &w.fingerprint[..8];
        let known_set: BTreeSet<String> = [known.fingerprint.clone()].into();
        // The warning, moved by 40 lines and with an error the ends share: bad.
        let mut moved = w.clone();
        moved.line = Some(570);
        let b = built(vec![known.clone(), moved]);
        assert_eq!(judge(&b, &chase, fp, &known_set).0, StepVerdict::Bad);
        // Another warning at the same place is not it: good.
        let b = built(vec![known.clone(), other_w.clone()]);
        assert_eq!(judge(&b, &chase, fp, &known_set).0, StepVerdict::Good);
        // An error neither end has: skip, naming it.
        let b = built(vec![other_w, stray.clone()]);
        let (v, why, ev) = judge(&b, &chase, fp, &known_set);
        assert_eq!(v, StepVerdict::Skip);
        assert!(
            why.starts_with("fails for another reason: mm/huge_memory.c:10:5: implicit"),
            "{why}"
        );
        assert_eq!(ev, vec![stray.clone()]);
        // ... unless it has the chased one too.
        let b = built(vec![stray, w.clone()]);
        assert_eq!(judge(&b, &chase, fp, &known_set).0, StepVerdict::Bad);
        // A chased warning is not an error of the same fingerprint, and a short prefix is no
        // fingerprint at all.
        let b = built(vec![w.clone()]);
        assert_eq!(
            judge(&b, &Chase::Error(None), fp, &known_set).0,
            StepVerdict::Good
        );
        assert_eq!(judge(&b, &chase, &fp[..4], &known_set).0, StepVerdict::Good);
        // A tree that does not configure: skip.
        let mut b = built(vec![]);
        b.configure_failed = true;
        assert_eq!(judge(&b, &chase, fp, &known_set).0, StepVerdict::Skip);
    }
}
