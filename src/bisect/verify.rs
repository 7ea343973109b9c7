//! Verification of a named culprit: its parent is good and it is bad, each built from a
//! clean build dir (a new, empty one, removed afterwards), so neither verdict leans on the
//! incremental state the bisection built up. And the helper chase's verdict of one commit.

use super::run::Ctx;
use super::{Role, StepVerdict, Verification, Verified};
use crate::check::{self, CheckOptions};
use crate::diag::{Diagnostic, Severity, Tool};
use crate::error::Result;
use crate::plan::Plan;
use std::path::Path;

/// Re-check `culprit` and its first parent from clean build dirs.
pub fn verify(cx: &mut Ctx, culprit: &str) -> Result<Verification> {
    let Some(parent) = cx.wc.parent(culprit)? else {
        return Ok(Verification {
            verdict: Verified::Unverified,
            summary: "the culprit is a root commit: there is no parent to build".into(),
            checks: vec![],
        });
    };
    let root = cx
        .opts
        .build_root
        .join(format!("bisect-verify-{}", std::process::id()));
    let p = cx.eval(&parent, Role::VerifyParent, Some(&root))?;
    let c = cx.eval(culprit, Role::VerifyCulprit, Some(&root))?;
    let ok = p.verdict == StepVerdict::Good && c.verdict == StepVerdict::Bad;
    let word = |v: StepVerdict| match v {
        StepVerdict::Good => "good",
        StepVerdict::Bad => "bad",
        StepVerdict::Skip => "neither good nor bad",
    };
    let summary = if ok {
        format!(
            "from clean build dirs, the parent {} is good and the culprit {} is bad",
            &parent[..12],
            &culprit[..12]
        )
    } else {
        format!(
            "from clean build dirs, the parent {} is {} ({}) and the culprit {} is {} ({}): expected good and bad",
            &parent[..12],
            word(p.verdict),
            p.reason,
            &culprit[..12],
            word(c.verdict),
            c.reason
        )
    };
    Ok(Verification {
        verdict: if ok {
            Verified::Verified
        } else {
            Verified::Unverified
        },
        summary,
        checks: vec![p, c],
    })
}

/// The helper check of the commit checked out, for the bisection's cell: provided or not
/// required is good, missing or unresolved is bad, a set-up failure (configure, prepare) is a
/// skip. The evidence comes back as notes on one diagnostic-shaped line each.
pub fn helper_verdict(
    cx: &mut Ctx,
    helper: &str,
    dir: &Path,
    clean: Option<&Path>,
) -> Result<(StepVerdict, String, Vec<Diagnostic>)> {
    let plan = Plan {
        cells: vec![cx.cell.clone()],
        ..cx.plan.clone()
    };
    let build_root = clean.map_or_else(|| cx.opts.build_root.clone(), Path::to_path_buf);
    if clean.is_some() {
        let _ = std::fs::remove_dir_all(&build_root);
    }
    let opts = CheckOptions {
        helpers: vec![helper.to_string()],
        extra_objects: cx.plan.check_objects.clone(),
        includes: cx.plan.check_includes.clone(),
        jobs: cx.opts.jobs,
        run_dir: dir.to_path_buf(),
        build_root: build_root.clone(),
        sandbox: cx
            .opts
            .sandbox
            .clone()
            .map(|s| s.with_writable(&cx.wc.tree.root)),
    };
    let (tx, _rx) = std::sync::mpsc::channel();
    let s = check::run(&plan, &cx.wc.tree, &opts, &tx);
    if clean.is_some() {
        let _ = std::fs::remove_dir_all(&build_root);
    }
    let s = s?;
    let Some(cc) = s.cells.first() else {
        return Ok((StepVerdict::Skip, "the check ran no cell".into(), vec![]));
    };
    if let Some(f) = &cc.setup_failure {
        return Ok((
            StepVerdict::Skip,
            format!("the check could not set up: {f}"),
            cc.setup_diagnostics.iter().take(3).cloned().collect(),
        ));
    }
    let Some(h) = cc.helpers.iter().find(|h| h.helper == helper) else {
        return Ok((
            StepVerdict::Skip,
            format!("the check has no verdict for {helper}"),
            vec![],
        ));
    };
    let evidence = h
        .evidence
        .iter()
        .map(|e| Diagnostic {
            code: format!(
                "helper-{}",
                h.verdict.to_string().to_lowercase().replace(' ', "-")
            ),
            severity: if h.verdict.is_failure() {
                Severity::Error
            } else {
                Severity::Note
            },
            tool: Tool::Other,
            file: e
                .at
                .as_ref()
                .map(|a| a.split(':').next().unwrap_or(a).to_string()),
            line: e
                .at
                .as_ref()
                .and_then(|a| a.split(':').nth(1))
                .and_then(|l| l.parse().ok()),
            column: None,
            flag: None,
            message: e.what.clone(),
            function: None,
            source_line: None,
            notes: vec![],
            cell: cx.cell.id.clone(),
            fingerprint: String::new(),
        })
        .collect();
    let verdict = if h.verdict.is_failure() {
        StepVerdict::Bad
    } else {
        StepVerdict::Good
    };
    Ok((
        verdict,
        format!("{helper}: {} ({})", h.verdict, h.summary),
        evidence,
    ))
}
