//! The per-cell details of the HTML report: diagnostics with file:line, helper checks,
//! runtime tests, the build-time history and the log tail.

use super::{anchor, enum_name, secs, verdict_class, verdict_colour};
use crate::build::{CellResult, Verdict};
use crate::diag::Severity;
use crate::history::{plural, Change, RunReport};
use crate::report::escape::escape;
use crate::report::svg::{self, Bar, BarChart};
use std::collections::HashSet;
use std::fmt::Write;

/// Diagnostics shown per cell; the rest are counted.
const MAX_DIAGS: usize = 200;

pub(super) fn cells(o: &mut String, r: &RunReport) {
    o.push_str("<section id=\"cells\">\n<h2>Cells</h2>\n");
    for c in r.cells_in_report_order() {
        cell_details(o, r, c);
    }
    o.push_str("</section>\n");
}

fn cell_details(o: &mut String, r: &RunReport, c: &CellResult) {
    let regs: Vec<&Change> = r.comparison.regressions_for(&c.cell).collect();
    let fixes: Vec<&Change> = r.comparison.fixes_for(&c.cell).collect();
    let open = matches!(c.verdict, Verdict::Fail | Verdict::Timeout) || !regs.is_empty();
    let _ = write!(
        o,
        "<details class=\"cell {}\" id=\"{}\"{}>\n<summary><span class=\"badge {}\">{}</span> <code>{}</code> — {} · configure {}{} · build {} · {} · {}",
        verdict_class(c.verdict),
        escape(&anchor(&c.cell)),
        if open { " open" } else { "" },
        verdict_class(c.verdict),
        escape(&c.verdict.to_string()),
        escape(&c.cell),
        escape(&format!("{} {} {}", c.arch, c.config, c.toolchain)),
        escape(&secs(c.timings.configure_s)),
        if c.config_reused { " (reused)" } else { "" },
        escape(&secs(c.timings.build_s)),
        escape(&plural(c.errors, "error", "errors")),
        escape(&plural(c.warnings, "warning", "warnings")),
    );
    if !regs.is_empty() {
        let _ = write!(
            o,
            " <span class=\"badge regressed\">{}</span>",
            escape(&plural(regs.len(), "regression", "regressions"))
        );
    }
    if !fixes.is_empty() {
        let _ = write!(
            o,
            " <span class=\"badge fixed\">{}</span>",
            escape(&plural(fixes.len(), "fix", "fixes"))
        );
    }
    o.push_str("</summary>\n<div class=\"body\">\n");
    if let Some(reason) = &c.reason {
        let stage = c.failed_stage.as_ref().map(enum_name).unwrap_or_default();
        let _ = writeln!(
            o,
            "<p class=\"reason\"><strong>{}</strong> {}</p>",
            escape(&if stage.is_empty() {
                "why:".to_string()
            } else {
                format!("failed at {stage}:")
            }),
            escape(reason)
        );
    }
    if !regs.is_empty() || !fixes.is_empty() {
        o.push_str("<h4>Changes since the previous run</h4>\n<table class=\"rows\">\n");
        for (ch, class) in regs
            .iter()
            .map(|c| (c, "regressions"))
            .chain(fixes.iter().map(|c| (c, "fixes")))
        {
            let _ = writeln!(
                o,
                "<tr class=\"{class}\"><td><span class=\"kind\">{}</span></td><td>{}</td></tr>",
                escape(ch.kind.as_str()),
                escape(&ch.summary)
            );
        }
        o.push_str("</table>\n");
    }
    let new_fps: HashSet<&str> = regs
        .iter()
        .filter_map(|ch| ch.diagnostic.as_ref().map(|d| d.fingerprint.as_str()))
        .collect();
    let shown: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Note)
        .collect();
    if !shown.is_empty() {
        o.push_str("<h4>Diagnostics</h4>\n<table class=\"diags\">\n<thead><tr><th>severity</th><th>location</th><th>flag / code</th><th>message</th></tr></thead>\n<tbody>\n");
        for d in shown.iter().take(MAX_DIAGS) {
            let sev = enum_name(&d.severity);
            let is_new = new_fps.contains(d.fingerprint.as_str());
            let _ = write!(
                o,
                "<tr class=\"sev-{}{}\"><td>{}{}</td><td><code>{}</code></td><td><code>{}</code></td><td>",
                escape(&sev),
                if is_new { " new" } else { "" },
                escape(&sev),
                if is_new { " <span class=\"badge regressed\">new</span>" } else { "" },
                escape(&d.location()),
                escape(d.flag.as_deref().unwrap_or(&d.code)),
            );
            if let Some(f) = &d.function {
                let _ = write!(o, "<span class=\"paths\">in {}: </span>", escape(f));
            }
            o.push_str(&escape(&d.message));
            if let Some(src) = &d.source_line {
                let _ = write!(o, "<code class=\"src\">{}</code>", escape(src));
            }
            if !d.notes.is_empty() {
                let _ = write!(
                    o,
                    "<div class=\"notes\">{}</div>",
                    escape(&d.notes.join("\n"))
                );
            }
            o.push_str("</td></tr>\n");
        }
        o.push_str("</tbody>\n</table>\n");
        if shown.len() > MAX_DIAGS {
            let _ = writeln!(
                o,
                "<p class=\"paths\">{} more in {}</p>",
                shown.len() - MAX_DIAGS,
                escape(&c.dir.join("diagnostics.json").to_string_lossy())
            );
        }
    }
    let checks: Vec<_> = r.run.checks_for(&c.cell).collect();
    if !checks.is_empty() {
        o.push_str("<h4>Helper check</h4>\n<table class=\"rows\">\n");
        for h in checks {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td class=\"{}\">{}</td><td class=\"ev\">{}</td></tr>",
                escape(&h.helper),
                if h.outcome.is_failure() { "bad" } else { "" },
                escape(&h.verdict),
                escape(&h.evidence)
            );
        }
        o.push_str("</table>\n");
    }
    let rt: Vec<_> = r.run.runtime_for(&c.cell).collect();
    if !rt.is_empty() {
        o.push_str("<h4>Runtime</h4>\n<table class=\"rows\">\n");
        for t in rt {
            let _ =
                writeln!(
                o,
                "<tr><td><code>{}</code></td><td class=\"{}\">{}</td><td>{}</td><td class=\"ev\">{}</td></tr>",
                escape(&t.test),
                if t.outcome.is_failure() { "bad" } else { "" },
                escape(&t.verdict),
                escape(&t.duration_s.map(secs).unwrap_or_default()),
                escape(&t.detail)
            );
            for f in &t.findings {
                let _ = writeln!(
                    o,
                    "<tr><td></td><td>finding</td><td></td><td class=\"ev\">{}</td></tr>",
                    escape(f)
                );
            }
            for w in &t.workarounds {
                let _ = writeln!(
                    o,
                    "<tr><td></td><td>workaround</td><td></td><td class=\"ev\">{}</td></tr>",
                    escape(w)
                );
            }
        }
        o.push_str("</table>\n");
    }
    let bars: Vec<Bar> = r
        .trend
        .iter()
        .filter_map(|p| {
            p.cells.iter().find(|x| x.cell == c.cell).map(|x| Bar {
                label: format!("#{}", p.run_id),
                value: x.build_s,
                colour: verdict_colour(x.verdict),
                tooltip: format!(
                    "run #{}: {} in {}, {}",
                    p.run_id,
                    x.verdict,
                    secs(x.build_s),
                    plural(x.warnings, "warning", "warnings")
                ),
            })
        })
        .collect();
    if bars.len() > 1 {
        o.push_str("<h4>Build time, last runs</h4>\n");
        o.push_str(&svg::bar_chart(&BarChart {
            title: format!("{}: build time per run (red: failed)", c.cell),
            unit: "s".into(),
            bars,
            width: 420,
            height: 150,
        }));
        o.push('\n');
    }
    let tail = r
        .run
        .log_tails
        .get(&c.cell)
        .map(String::as_str)
        .unwrap_or("");
    if !tail.trim().is_empty() {
        let _ = write!(
            o,
            "<h4>Log tail</h4>\n<pre class=\"log\">\n{}</pre>\n",
            escape(tail)
        );
    }
    let _ = writeln!(
        o,
        "<p class=\"paths\">results <code>{}</code> · build dir <code>{}</code></p>",
        escape(&c.dir.to_string_lossy()),
        escape(&c.build_dir.to_string_lossy())
    );
    o.push_str("</div>\n</details>\n");
}
