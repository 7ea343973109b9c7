//! Rendering a gated series: the terminal grid (patch x cell) and a plain-text/markdown report
//! written like a reply to the series. Rendering only: verdicts come from `SeriesResult`.

use super::table::{Align, Table};
use crate::build::Verdict;
use crate::diag::{Diagnostic, Severity};
use crate::report::Export;
use crate::series::{ChangeKind, Finding, SeriesMode, SeriesResult, Step, StepCell};

/// Column title of a cell: its arch when no other cell has that arch, else the cell id.
pub fn column(r: &SeriesResult, cell: &str) -> String {
    let arch = r.arches.get(cell).cloned().unwrap_or_default();
    if !arch.is_empty() && r.arches.values().filter(|a| **a == arch).count() == 1 {
        arch
    } else {
        cell.to_string()
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `ok`, `+1E +2W`, `fixed 1`, `FAIL`, ... for one step and cell.
pub fn cell_text(step: &Step, sc: &StepCell) -> String {
    let r = &sc.result;
    if step.index == 0 {
        let mut s = match r.verdict {
            Verdict::Pass => "ok".to_string(),
            _ => "FAIL".to_string(),
        };
        if r.errors > 0 {
            s.push_str(&format!(" {}E", r.errors));
        }
        if r.warnings > 0 {
            s.push_str(&format!(" {}W", r.warnings));
        }
        return s;
    }
    let sev = |v: &[Diagnostic], s: Severity| v.iter().filter(|d| d.severity == s).count();
    let mut parts = Vec::new();
    let (ne, nw) = (
        sev(&sc.new, Severity::Error),
        sev(&sc.new, Severity::Warning),
    );
    if ne > 0 {
        parts.push(format!("+{ne}E"));
    }
    if nw > 0 {
        parts.push(format!("+{nw}W"));
    }
    let others = sc.new.len() - ne - nw;
    if others > 0 {
        parts.push(format!("+{others}N"));
    }
    if !sc.reappeared.is_empty() {
        parts.push(format!("back {}", sc.reappeared.len()));
    }
    if !sc.fixed.is_empty() {
        parts.push(format!("fixed {}", sc.fixed.len()));
    }
    if parts.is_empty() {
        parts.push(
            if r.verdict == Verdict::Pass {
                "ok"
            } else {
                "still FAIL"
            }
            .to_string(),
        );
    }
    if !sc.probe.is_empty() {
        parts.push(format!("(probe {})", sc.probe.len()));
    }
    parts.join(" ")
}

/// One diagnostic as the compiler said it: `file:line:col: severity: message [flag]`.
pub fn diag_line(d: &Diagnostic) -> String {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let mut s = String::new();
    let loc = d.location();
    if !loc.is_empty() {
        s.push_str(&loc);
        s.push_str(": ");
    }
    s.push_str(sev);
    s.push_str(": ");
    s.push_str(&d.message);
    if let Some(f) = &d.flag {
        if !d.message.contains(f.as_str()) {
            s.push_str(&format!(" [{f}]"));
        }
    }
    s
}

/// The compiler's text: the diagnostic line, the function, the quoted source line.
pub fn diag_block(d: &Diagnostic, indent: &str) -> String {
    let mut out = String::new();
    if let Some(f) = &d.function {
        out.push_str(&format!("{indent}In function '{f}':\n"));
    }
    out.push_str(&format!("{indent}{}\n", diag_line(d)));
    if let Some(src) = &d.source_line {
        match d.line {
            Some(l) => out.push_str(&format!("{indent}{l:>5} | {src}\n")),
            None => out.push_str(&format!("{indent}      | {src}\n")),
        }
    }
    if d.file.is_none() {
        for n in d.notes.iter().take(5) {
            out.push_str(&format!("{indent}  {n}\n"));
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(3)).collect();
        t.push_str("...");
        t
    }
}

fn tally(fs: &[&Finding]) -> String {
    tally_with(fs, "")
}

/// `2 new errors, 1 new warning` (with `adj` = "new ").
fn tally_with(fs: &[&Finding], adj: &str) -> String {
    let e = fs.iter().filter(|f| f.severity == Severity::Error).count();
    let w = fs
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(count(e, &format!("{adj}error")));
    }
    if w > 0 {
        parts.push(count(w, &format!("{adj}warning")));
    }
    let o = fs.len() - e - w;
    if o > 0 {
        parts.push(count(o, &format!("{adj}note")));
    }
    parts.join(", ")
}

/// The one-line verdict.
pub fn verdict(r: &SeriesResult) -> String {
    let gating: Vec<&Finding> = r.findings.iter().filter(|f| f.gating).collect();
    let new: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.kind == ChangeKind::New)
        .collect();
    let policy = match r.fail_on {
        crate::series::FailOn::NewErrors => "new-errors",
        crate::series::FailOn::NewWarnings => "new-warnings",
    };
    if !r.broken_base.is_empty() {
        return format!(
            "FAIL: the base does not configure on {} (the gate cannot judge it); --fail-on {policy}",
            r.broken_base.join(", ")
        );
    }
    let known: Vec<&Finding> = new
        .iter()
        .copied()
        .filter(|f| !f.gating && !f.known.is_empty() && r.fail_on.gates(f.severity))
        .collect();
    if gating.is_empty() {
        if new.is_empty() {
            format!("PASS: nothing new (--fail-on {policy})")
        } else if !known.is_empty() {
            format!(
                "PASS: {}, {} known (--fail-on {policy})",
                tally_with(&new, "new "),
                known.len()
            )
        } else {
            format!(
                "PASS: {}, not gated (--fail-on {policy})",
                tally_with(&new, "new ")
            )
        }
    } else {
        format!("FAIL: {} (--fail-on {policy})", tally_with(&gating, "new "))
    }
}

/// Said of a finding the fast mode's probe could not place.
pub const UNATTRIBUTED: &str =
    "unattributed: first seen at the tip, from this patch or an earlier one (without --no-bisect, or with --every-patch, kcross places it)";

/// Said of a file-less finding of the tip that fast mode bisected over the series.
pub fn bisected(r: &SeriesResult) -> String {
    format!(
        "placed by bisecting the series with full builds ({} build(s)): no probe sees a finding without a file",
        r.bisect_builds.len()
    )
}

/// The terminal grid: a row per step (base first), a column per cell, then the findings.
pub fn grid(r: &SeriesResult) -> String {
    let mut t = Table::new().col("PATCH", Align::Left);
    for c in &r.cells {
        t = t.col(column(r, c), Align::Left);
    }
    for s in &r.steps {
        let label = match &s.subject {
            None => "base".to_string(),
            Some(sub) => format!("{} {}", s.label, truncate(sub, 48)),
        };
        let mut row = vec![label];
        row.extend(s.cells.iter().map(|sc| cell_text(s, sc)));
        t.row(row);
    }
    // Stale known issues first, then the table.
    let mut out = super::known::block(&r.known);
    out.push_str(&t.render());
    let shown: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.kind != ChangeKind::Reappeared)
        .collect();
    if !shown.is_empty() {
        out.push('\n');
    }
    for f in shown {
        let what = match f.kind {
            ChangeKind::New => "new",
            ChangeKind::Fixed => "fixed",
            ChangeKind::Reappeared => "back",
        };
        out.push_str(&format!(
            "{} {what} on {}: {}\n",
            f.patch,
            f.arches.join(", "),
            diag_line(&f.diagnostic)
        ));
        for (cell, at) in &f.known {
            out.push_str(&format!("    known on {cell} ({at})\n"));
        }
        if f.unattributed {
            out.push_str(&format!("    {UNATTRIBUTED}\n"));
        }
        if f.bisected {
            out.push_str(&format!("    {}\n", bisected(r)));
        }
    }
    out.push_str(&format!("\nmode {}: {}\n", r.mode.name(), r.mode.proves()));
    out.push_str(&format!(
        "{} patch(es) on {} ({}), {} cell(s) {}, {:.0}s; results {}\n{}\n",
        r.series.patches.len(),
        r.source.origin,
        r.source.version,
        r.cells.len(),
        if r.sandboxed {
            "sandboxed"
        } else {
            "not sandboxed"
        },
        r.wall_s,
        r.run_dir.display(),
        verdict(r)
    ));
    out
}

/// A reply to the series: what kcross found, per patch and arch, with the compiler's text.
pub fn markdown(r: &SeriesResult) -> String {
    let mut out = String::new();
    let subject = r
        .series
        .cover
        .clone()
        .or_else(|| r.series.patches.first().map(|p| p.raw_subject.clone()))
        .unwrap_or_default();
    out.push_str(&format!("Subject: Re: {subject}\n\n"));
    out.push_str("Hi,\n\n");
    let mode = match r.mode {
        SeriesMode::LastOnly => "as a whole (base, then all patches at once)",
        SeriesMode::EveryPatch => "patch by patch, rebuilding incrementally after each one",
        SeriesMode::Fast => "in fast mode (base and tip in full, a probe of each patch in between)",
    };
    out.push_str(&format!(
        "kcross built this series ({} patches) {mode}, on {} ({}), for:\n\n",
        r.series.patches.len(),
        r.source.origin,
        r.source.version
    ));
    for s in &r.steps[0].cells {
        out.push_str(&format!(
            "- {} ({}, {}, {}: {})\n",
            column(r, &s.result.cell),
            s.result.toolchain,
            s.result.config,
            if s.result.targets.len() == 1 {
                "target"
            } else {
                "targets"
            },
            s.result.targets.join(" ")
        ));
    }
    out.push_str(&format!("\n{}\n\n", verdict(r)));
    // The grid, as a table.
    let cols: Vec<String> = r.cells.iter().map(|c| column(r, c)).collect();
    out.push_str(&format!("| patch | {} |\n", cols.join(" | ")));
    out.push_str(&format!("| --- |{}\n", " --- |".repeat(cols.len())));
    for s in &r.steps {
        let label = match &s.subject {
            None => "base".to_string(),
            Some(sub) => format!("{} {}", s.label, sub.replace('|', "\\|")),
        };
        let cells: Vec<String> = s.cells.iter().map(|sc| cell_text(s, sc)).collect();
        out.push_str(&format!("| {label} | {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    if !r.broken_base.is_empty() {
        out.push_str("The base does not configure on:\n\n");
        for sc in r.steps[0]
            .cells
            .iter()
            .filter(|c| r.broken_base.contains(&c.result.cell))
        {
            out.push_str(&format!(
                "- {}: {}\n",
                sc.result.cell,
                sc.result.reason.clone().unwrap_or_default()
            ));
        }
        out.push('\n');
    }
    for s in r.steps.iter().skip(1) {
        let fs: Vec<&Finding> = r.findings_of(s.index, None).collect();
        let title = if r.last_only {
            format!("[{}] {}", s.label, s.subject.clone().unwrap_or_default())
        } else {
            let p = &r.series.patches[s.patches[0] - 1];
            if p.raw_subject.is_empty() {
                format!("[{}] {}", s.label, p.subject)
            } else {
                p.raw_subject.clone()
            }
        };
        out.push_str(&format!("## {title}\n\n"));
        if fs.is_empty() {
            let failing: Vec<String> = s
                .cells
                .iter()
                .filter(|c| c.result.verdict != Verdict::Pass)
                .map(|c| column(r, &c.result.cell))
                .collect();
            if failing.is_empty() {
                out.push_str("Nothing new on any arch.\n\n");
            } else {
                out.push_str(&format!(
                    "Nothing new; still failing as before on {}.\n\n",
                    failing.join(", ")
                ));
            }
            continue;
        }
        for kind in [ChangeKind::New, ChangeKind::Reappeared, ChangeKind::Fixed] {
            let of_kind: Vec<&Finding> = fs.iter().copied().filter(|f| f.kind == kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            // Grouped per set of arches, in order of first appearance.
            let mut groups: Vec<(Vec<String>, Vec<&Finding>)> = Vec::new();
            for f in of_kind {
                let arches: Vec<String> = f.cells.iter().map(|c| column(r, c)).collect();
                match groups.iter_mut().find(|(a, _)| *a == arches) {
                    Some((_, v)) => v.push(f),
                    None => groups.push((arches, vec![f])),
                }
            }
            for (arches, list) in groups {
                let what = match kind {
                    ChangeKind::New => tally_with(&list, "new "),
                    ChangeKind::Reappeared => {
                        format!("{} back (already in the base)", tally(&list))
                    }
                    ChangeKind::Fixed => format!("{} fixed", tally(&list)),
                };
                out.push_str(&format!("{}: {what}:\n\n", arches.join(", ")));
                for f in list {
                    out.push_str(&diag_block(&f.diagnostic, "    "));
                    if f.unattributed {
                        out.push_str(&format!("    ({UNATTRIBUTED})\n"));
                    }
                    if f.bisected {
                        out.push_str(&format!("    ({})\n", bisected(r)));
                    }
                    out.push('\n');
                }
            }
        }
        let clean: Vec<String> = s
            .cells
            .iter()
            .filter(|c| c.new.is_empty() && c.fixed.is_empty() && c.reappeared.is_empty())
            .map(|c| column(r, &c.result.cell))
            .collect();
        if !clean.is_empty() {
            out.push_str(&format!("Nothing new on {}.\n\n", clean.join(", ")));
        }
    }
    out.push_str(&format!(
        "What this proves: {}.\n\n-- \nkcross {} (results: {})\n",
        r.mode.proves(),
        r.kcross_version,
        r.run_dir.display()
    ));
    out
}

/// `report.md` as an export.
pub struct Markdown;

impl Export<SeriesResult> for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn render(&self, value: &SeriesResult) -> String {
        markdown(value)
    }
}
