//! The nightly report as plain text / markdown, for mail or a chat channel: the first line is
//! the verdict with counts, then regressions, fixes, and a per-cell table.
//!
//! Text from logs goes into code spans (so neither markdown nor HTML in it is interpreted by
//! a renderer) with `|` escaped in tables and newlines folded.

use super::Export;
use crate::build::Verdict;
use crate::history::{plural, short_time, Change, RunReport};
use std::fmt::Write;

pub struct Markdown;

impl Export<RunReport> for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn render(&self, r: &RunReport) -> String {
        render(r)
    }
}

/// One line of text as an inline code span: fenced with more backticks than it contains,
/// newlines and control characters folded to spaces.
pub fn code(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one_line.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

/// A table cell: a code span with `|` escaped.
fn cell_code(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// The first line: verdict and counts.
pub fn headline(r: &RunReport) -> String {
    let s = &r.run.summary;
    let failed = r.run.failed_cells();
    let passed = s
        .cells
        .iter()
        .filter(|c| c.verdict == Verdict::Pass)
        .count();
    let skipped = s.cells.len() - failed - passed;
    let mut line = format!(
        "kcross nightly {} run #{}: {}: {}, {}; {}: {passed} pass, {failed} fail",
        s.matrix,
        r.run_id,
        r.headline(),
        plural(r.comparison.regressions.len(), "regression", "regressions"),
        plural(r.comparison.fixes.len(), "fix", "fixes"),
        plural(s.cells.len(), "cell", "cells"),
    );
    if skipped > 0 {
        let _ = write!(line, ", {skipped} skipped");
    }
    let _ = write!(
        line,
        "; {}",
        plural(r.run.warnings(), "warning", "warnings")
    );
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn change_line(c: &Change) -> String {
    let mut l = format!("- **{}** {}: {}\n", c.kind, code(&c.cell), code(&c.summary));
    if let Some(k) = &c.culprit {
        let v = if k.verified { " (verified)" } else { "" };
        let _ = writeln!(l, "  - culprit{v}: {}", code(&k.line));
    }
    l
}

pub fn render(r: &RunReport) -> String {
    let s = &r.run.summary;
    let mut o = headline(r);
    o.push_str("\n\n");
    // Stale known issues first (the list must not rot), then the known ones that occurred.
    let known = super::known::block(&s.known);
    if !known.is_empty() {
        for l in known.lines() {
            match l.strip_prefix("  ") {
                Some(entry) => {
                    let _ = writeln!(o, "- {}", code(entry));
                }
                None => {
                    let _ = writeln!(o, "{l}");
                }
            }
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "Source: Linux {} ({} {}) · started {} · wall {:.0}s · {}",
        code(&s.source.version),
        code(&s.source.origin),
        code(&s.source.key),
        code(&short_time(&s.started_at)),
        s.wall_s,
        match &r.baseline {
            Some(b) => format!(
                "compared with run #{} ({})",
                b.id,
                code(&short_time(&b.started_at))
            ),
            None => "first recorded run of this matrix".to_string(),
        }
    );
    for p in &r.run.patches {
        let _ = writeln!(o, "Patch: {} {}", code(&p.id), code(&p.subject));
    }
    let _ = write!(
        o,
        "\n## Regressions ({})\n\n",
        r.comparison.regressions.len()
    );
    if r.comparison.regressions.is_empty() {
        o.push_str("- none\n");
    }
    for c in &r.comparison.regressions {
        o.push_str(&change_line(c));
    }
    let _ = write!(o, "\n## Fixes ({})\n\n", r.comparison.fixes.len());
    if r.comparison.fixes.is_empty() {
        o.push_str("- none\n");
    }
    for c in &r.comparison.fixes {
        o.push_str(&change_line(c));
    }
    o.push_str("\n## Cells\n\n| cell | verdict | errors | warnings | build | changes |\n|---|---|--:|--:|--:|---|\n");
    for c in r.cells_in_report_order() {
        let mut kinds: Vec<&str> = r
            .comparison
            .regressions_for(&c.cell)
            .map(|x| x.kind.as_str())
            .collect();
        kinds.dedup();
        let fixes = r.comparison.fixes_for(&c.cell).count();
        let mut changes = kinds.join(", ");
        if fixes > 0 {
            if !changes.is_empty() {
                changes.push_str(", ");
            }
            changes.push_str(&plural(fixes, "fix", "fixes"));
        }
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {:.1}s | {} |",
            cell_code(&c.cell),
            c.verdict,
            c.errors,
            c.warnings,
            c.timings.build_s,
            changes
        );
    }
    if let Some(first) = r
        .cells_in_report_order()
        .into_iter()
        .find(|c| matches!(c.verdict, Verdict::Fail | Verdict::Timeout))
    {
        if let Some(reason) = &first.reason {
            let _ = write!(
                o,
                "\nFirst failure: {} {}\n",
                code(&first.cell),
                code(reason)
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_newlines() {
        assert_eq!(code("a `b`\nc"), "``a `b` c``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("<script>"), "`<script>`");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }
}
