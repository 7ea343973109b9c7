//! The nightly report as one self-contained HTML5 file: inline CSS, inline SVG charts, no
//! scripts and no network (a Content-Security-Policy forbids both, should anything slip).
//!
//! Order: the verdict banner, regressions, fixes, the matrix grid (arch x config x toolchain,
//! coloured by verdict), trend charts, then per-cell details (diagnostics with file:line,
//! helper checks, runtime tests, build-time history, log tail).
//!
//! Every piece of text that is not a literal of this file goes through `escape`.

use super::svg::{self, Bar, BarChart, LineChart, Series};
use super::Export;
use crate::build::{CellResult, Verdict};
use crate::diag::Severity;
use crate::history::{outcome, plural, short_time, Change, Outcome, RunReport};
use std::collections::{BTreeSet, HashSet};
use std::fmt::Write;

pub struct Html;

impl Export<RunReport> for Html {
    fn extension(&self) -> &'static str {
        "html"
    }

    fn render(&self, r: &RunReport) -> String {
        render(r)
    }
}

/// Escape text for HTML content and attribute values (quoted). Control characters, which
/// HTML5 forbids, become visible symbols (ESC -> U+241B) or U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'))
            }
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' | '\u{fdd0}'..='\u{fdef}' => out.push('\u{FFFD}'),
            c if (c as u32) & 0xFFFE == 0xFFFE => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An element id for a cell: only `[A-Za-z0-9_-]`, others as `.xx` hex.
pub fn anchor(cell: &str) -> String {
    let mut out = String::from("cell-");
    for b in cell.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            let _ = write!(out, ".{b:02x}");
        }
    }
    out
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "v-pass",
        Verdict::Fail => "v-fail",
        Verdict::Skipped => "v-skip",
    }
}

fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "#2da44e",
        Verdict::Fail => "#cf222e",
        Verdict::Skipped => "#8c959f",
    }
}

fn secs(s: f64) -> String {
    if s >= 600.0 {
        format!(
            "{}m{:02}s",
            (s / 60.0).floor() as u64,
            (s % 60.0).round() as u64
        )
    } else {
        format!("{s:.1}s")
    }
}

const CSS: &str = r#"
:root { --pass:#1a7f37; --pass-bg:#dafbe1; --fail:#cf222e; --fail-bg:#ffebe9; --skip:#57606a; --skip-bg:#f6f8fa;
  --warn:#9a6700; --warn-bg:#fff8c5; --line:#d0d7de; --muted:#57606a; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:#24292f; background:#fff; }
main, .banner-in { max-width:1240px; margin:0 auto; padding:0 20px; }
.banner { color:#fff; padding:14px 0 12px; }
.banner.regressed { background:#cf222e; } .banner.ok { background:#1a7f37; } .banner.failing { background:#9a6700; }
.banner h1 { margin:0; font-size:22px; font-weight:600; }
.banner .headline { font-size:17px; margin:4px 0 2px; font-weight:600; }
.banner .meta { margin:0; opacity:.92; font-size:13px; }
.banner code { background:rgba(255,255,255,.18); color:#fff; }
h2 { font-size:18px; margin:26px 0 8px; padding-bottom:4px; border-bottom:1px solid var(--line); }
h2 .count { color:var(--muted); font-weight:400; }
h4 { margin:14px 0 6px; font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
code, pre { font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size:12.5px; }
code { background:#f6f8fa; padding:1px 4px; border-radius:4px; }
a { color:#0969da; text-decoration:none; } a:hover { text-decoration:underline; }
table { border-collapse:collapse; }
.changes { width:100%; }
.changes td, .changes th { border-bottom:1px solid var(--line); padding:6px 8px; text-align:left; vertical-align:top; }
.changes th { font-size:12px; color:var(--muted); font-weight:600; }
.changes td:nth-child(2), .changes td:nth-child(3) { white-space:nowrap; }
.kind { display:inline-block; font:600 11.5px/1.6 ui-monospace,monospace; padding:0 7px; border-radius:10px; white-space:nowrap; }
.regressions .kind { background:var(--fail-bg); color:var(--fail); border:1px solid #ff818266; }
.fixes .kind { background:var(--pass-bg); color:var(--pass); border:1px solid #4ac26b66; }
.none { color:var(--muted); margin:4px 0; }
.grid { margin-top:4px; }
.grid th, .grid td { border:1px solid var(--line); padding:6px 8px; }
.grid thead th { background:#f6f8fa; font-weight:600; text-align:center; }
.grid tbody th { background:#f6f8fa; text-align:left; font-family:ui-monospace,monospace; }
.grid td { min-width:150px; vertical-align:top; }
.grid td.empty { background:repeating-linear-gradient(45deg,#fff,#fff 6px,#f6f8fa 6px,#f6f8fa 12px); color:var(--muted); text-align:center; }
.gcell { display:block; color:inherit; }
.gcell + .gcell { border-top:1px dashed var(--line); margin-top:6px; padding-top:6px; }
.gcell .v { font-weight:700; font-size:15px; }
.gcell .sub { display:block; font-size:12px; color:#3d444d; }
td.v-pass { background:var(--pass-bg); } td.v-fail { background:var(--fail-bg); } td.v-skip { background:var(--skip-bg); }
td.regressed { box-shadow:inset 0 0 0 3px var(--fail); }
.v-pass .v { color:var(--pass); } .v-fail .v { color:var(--fail); } .v-skip .v { color:var(--skip); }
.badge { display:inline-block; font-size:11px; font-weight:700; padding:0 6px; border-radius:8px; vertical-align:1px; }
.badge.regressed { background:var(--fail); color:#fff; } .badge.fixed { background:var(--pass); color:#fff; }
.badge.v-pass { background:var(--pass-bg); color:var(--pass); } .badge.v-fail { background:var(--fail-bg); color:var(--fail); }
.badge.v-skip { background:var(--skip-bg); color:var(--skip); }
.bad { color:var(--fail); font-weight:600; }
.charts { display:flex; flex-wrap:wrap; gap:18px; }
.charts svg { border:1px solid var(--line); border-radius:6px; background:#fff; }
details.cell { border:1px solid var(--line); border-radius:6px; margin:8px 0; }
details.cell.v-fail { border-left:5px solid var(--fail); } details.cell.v-pass { border-left:5px solid #4ac26b; }
details.cell.v-skip { border-left:5px solid #8c959f; }
details.cell > summary { cursor:pointer; padding:8px 12px; background:#f6f8fa; border-radius:6px; }
details.cell[open] > summary { border-bottom:1px solid var(--line); border-radius:6px 6px 0 0; }
details.cell .body { padding:4px 14px 12px; }
.reason { margin:8px 0; }
.diags { width:100%; }
.diags td, .diags th { border-bottom:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; }
.diags th { font-size:12px; color:var(--muted); }
.diags tr.sev-error td:first-child { color:var(--fail); font-weight:700; }
.diags tr.sev-warning td:first-child { color:var(--warn); font-weight:700; }
.diags tr.new td { background:#fff1f0; }
.diags .src { display:block; margin-top:2px; white-space:pre-wrap; }
.diags .notes { color:var(--muted); font-size:12px; white-space:pre-wrap; font-family:ui-monospace,monospace; }
pre.log { background:#0d1117; color:#e6edf3; padding:10px 12px; border-radius:6px; overflow:auto; max-height:420px; white-space:pre-wrap; word-break:break-all; }
.rows td, .rows th { border-bottom:1px solid var(--line); padding:3px 8px; text-align:left; vertical-align:top; }
.paths { color:var(--muted); font-size:12px; }
.rows td.ev { white-space:pre-line; }
dl.run { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:6px 0; }
dl.run dt { color:var(--muted); } dl.run dd { margin:0; }
footer { max-width:1240px; margin:30px auto 20px; padding:0 20px; color:var(--muted); font-size:12px; }
"#;

/// Render the report.
pub fn render(r: &RunReport) -> String {
    let s = &r.run.summary;
    let mut o = String::with_capacity(64 * 1024);
    let headline = r.headline();
    let banner = match headline {
        "REGRESSED" => "regressed",
        "OK" => "ok",
        _ => "failing",
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(&format!("kcross nightly {} run #{}: {headline}", s.matrix, r.run_id))
    );
    // Banner: the ten-second answer.
    let failed = r.run.failed_cells();
    let passed = s
        .cells
        .iter()
        .filter(|c| c.verdict == Verdict::Pass)
        .count();
    let skipped = s.cells.len() - failed - passed;
    let mut counts = format!(
        "{}, {} · {}: {passed} pass, {failed} fail",
        plural(r.comparison.regressions.len(), "regression", "regressions"),
        plural(r.comparison.fixes.len(), "fix", "fixes"),
        plural(s.cells.len(), "cell", "cells"),
    );
    if skipped > 0 {
        let _ = write!(counts, ", {skipped} skipped");
    }
    let _ = write!(
        counts,
        " · {}",
        plural(r.run.warnings(), "warning", "warnings")
    );
    let since = match &r.baseline {
        Some(b) => format!(
            "compared with run #{} ({})",
            b.id,
            short_time(&b.started_at)
        ),
        None => "first recorded run of this matrix: nothing to compare with".to_string(),
    };
    let _ = write!(
        o,
        "<header class=\"banner {banner}\"><div class=\"banner-in\">\n<h1>kcross nightly · {} · run #{}</h1>\n\
         <p class=\"headline\">{headline} — {}</p>\n\
         <p class=\"meta\">Linux {} ({} <code>{}</code>) · started {} · wall {} · {}</p>\n</div></header>\n<main>\n",
        escape(&s.matrix),
        r.run_id,
        escape(&counts),
        escape(&s.source.version),
        escape(&enum_name(&s.source.kind)),
        escape(&s.source.key),
        escape(&short_time(&s.started_at)),
        escape(&secs(s.wall_s)),
        escape(&since),
    );
    changes_section(&mut o, r, true);
    changes_section(&mut o, r, false);
    grid(&mut o, r);
    trends(&mut o, r);
    run_section(&mut o, r);
    cells(&mut o, r);
    let _ = write!(
        o,
        "</main>\n<footer>Generated by kcross {} from the history; matrix {} ({}); build-time regression threshold {}%.</footer>\n</body>\n</html>\n",
        escape(env!("CARGO_PKG_VERSION")),
        escape(&s.matrix),
        escape(&s.matrix_origin),
        escape(&svg::fmt_num(r.slower_pct)),
    );
    o
}

fn enum_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn change_where(c: &Change) -> String {
    if let Some(d) = &c.diagnostic {
        let loc = d.location();
        if !loc.is_empty() {
            return format!("<code>{}</code>", escape(&loc));
        }
    }
    match &c.item {
        Some(i) => format!("<code>{}</code>", escape(i)),
        None => String::new(),
    }
}

fn changes_section(o: &mut String, r: &RunReport, regressions: bool) {
    let (list, id, title) = if regressions {
        (&r.comparison.regressions, "regressions", "Regressions")
    } else {
        (&r.comparison.fixes, "fixes", "Fixes")
    };
    let _ = write!(
        o,
        "<section id=\"{id}\" class=\"{id}\">\n<h2>{title} <span class=\"count\">({})</span></h2>\n",
        list.len()
    );
    if list.is_empty() {
        let what = if regressions {
            "No regressions"
        } else {
            "No fixes"
        };
        let text = match &r.baseline {
            Some(b) => format!("{what} since run #{}.", b.id),
            None => format!("{what}: this is the first recorded run of the matrix."),
        };
        let _ = writeln!(o, "<p class=\"none\">{}</p>\n</section>", escape(&text));
        return;
    }
    o.push_str("<table class=\"changes\">\n<thead><tr><th>kind</th><th>cell</th><th>where</th><th>what</th></tr></thead>\n<tbody>\n");
    for c in list {
        let _ = writeln!(
            o,
            "<tr><td><span class=\"kind\">{}</span></td><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td>{}</td></tr>",
            escape(c.kind.as_str()),
            escape(&anchor(&c.cell)),
            escape(&c.cell),
            change_where(c),
            escape(&c.summary),
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

/// `a/b` good over evaluated rows, and whether any is bad.
fn tally<'a>(verdicts: impl Iterator<Item = &'a str>) -> Option<(usize, usize)> {
    let mut good = 0;
    let mut run = 0;
    for v in verdicts {
        match outcome(v) {
            Outcome::Good => {
                good += 1;
                run += 1;
            }
            Outcome::Bad => run += 1,
            Outcome::NotRun => {}
        }
    }
    (run > 0).then_some((good, run))
}

fn first_seen<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    it.filter(|x| seen.insert(*x)).collect()
}

fn grid(o: &mut String, r: &RunReport) {
    let s = &r.run.summary;
    let arches = first_seen(s.cells.iter().map(|c| c.arch.as_str()));
    let configs = first_seen(s.cells.iter().map(|c| c.config.as_str()));
    let mut cols: Vec<(&str, Vec<&str>)> = Vec::new();
    for cfg in &configs {
        let tcs = first_seen(
            s.cells
                .iter()
                .filter(|c| c.config == *cfg)
                .map(|c| c.toolchain.as_str()),
        );
        cols.push((cfg, tcs));
    }
    o.push_str("<section id=\"matrix\">\n<h2>Matrix <span class=\"count\">(arch × config × toolchain)</span></h2>\n<table class=\"grid\">\n<thead><tr><th rowspan=\"2\">arch</th>");
    for (cfg, tcs) in &cols {
        let _ = write!(
            o,
            "<th colspan=\"{}\">config <code>{}</code></th>",
            tcs.len(),
            escape(cfg)
        );
    }
    o.push_str("</tr>\n<tr>");
    for (_, tcs) in &cols {
        for tc in tcs {
            let _ = write!(o, "<th>{}</th>", escape(tc));
        }
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for arch in &arches {
        let _ = write!(o, "<tr><th>{}</th>", escape(arch));
        for (cfg, tcs) in &cols {
            for tc in tcs {
                let here: Vec<&CellResult> = s
                    .cells
                    .iter()
                    .filter(|c| c.arch == *arch && c.config == *cfg && c.toolchain == *tc)
                    .collect();
                if here.is_empty() {
                    o.push_str("<td class=\"empty\">—</td>");
                    continue;
                }
                let worst = here.iter().map(|c| c.verdict).max_by_key(|v| match v {
                    Verdict::Fail => 2,
                    Verdict::Pass => 1,
                    Verdict::Skipped => 0,
                });
                let regressed = here
                    .iter()
                    .any(|c| r.comparison.regressions_for(&c.cell).next().is_some());
                let _ = write!(
                    o,
                    "<td class=\"{}{}\">",
                    verdict_class(worst.unwrap_or(Verdict::Skipped)),
                    if regressed { " regressed" } else { "" }
                );
                let shared = here.len() > 1;
                for c in here {
                    grid_cell(o, r, c, shared);
                }
                o.push_str("</td>");
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

fn grid_cell(o: &mut String, r: &RunReport, c: &CellResult, shared: bool) {
    let nreg = r.comparison.regressions_for(&c.cell).count();
    let nfix = r.comparison.fixes_for(&c.cell).count();
    let _ = write!(
        o,
        "<a class=\"gcell {}\" href=\"#{}\" title=\"{}\"><span class=\"v\">{}</span>",
        verdict_class(c.verdict),
        escape(&anchor(&c.cell)),
        escape(&c.cell),
        escape(&c.verdict.to_string()),
    );
    if nreg > 0 {
        let _ = write!(
            o,
            " <span class=\"badge regressed\">{}</span>",
            escape(&plural(nreg, "regression", "regressions"))
        );
    }
    if nfix > 0 {
        let _ = write!(
            o,
            " <span class=\"badge fixed\">{}</span>",
            escape(&plural(nfix, "fix", "fixes"))
        );
    }
    if shared {
        // Several cells share this arch/config/toolchain: they differ by targets.
        let _ = write!(
            o,
            "<span class=\"sub\">{}</span>",
            escape(&c.targets.join(" "))
        );
    }
    let _ = write!(
        o,
        "<span class=\"sub\">{} · {} · build {}</span>",
        escape(&plural(c.errors, "error", "errors")),
        escape(&plural(c.warnings, "warning", "warnings")),
        escape(&secs(c.timings.build_s))
    );
    if let Some((good, run)) = tally(r.run.checks_for(&c.cell).map(|x| x.verdict.as_str())) {
        let _ = write!(
            o,
            "<span class=\"sub{}\">helpers {good}/{run} ok</span>",
            if good < run { " bad" } else { "" }
        );
    }
    if let Some((good, run)) = tally(r.run.runtime_for(&c.cell).map(|x| x.verdict.as_str())) {
        let _ = write!(
            o,
            "<span class=\"sub{}\">runtime {good}/{run} pass</span>",
            if good < run { " bad" } else { "" }
        );
    }
    o.push_str("</a>");
}

fn trends(o: &mut String, r: &RunReport) {
    let cells: Vec<&str> = r
        .run
        .summary
        .cells
        .iter()
        .map(|c| c.cell.as_str())
        .collect();
    let labels: Vec<String> = r.trend.iter().map(|p| format!("#{}", p.run_id)).collect();
    let series = |f: &dyn Fn(&crate::history::TrendCell) -> Option<f64>| -> Vec<Series> {
        cells
            .iter()
            .map(|name| Series {
                name: name.to_string(),
                values: r
                    .trend
                    .iter()
                    .map(|p| p.cells.iter().find(|c| c.cell == *name).and_then(f))
                    .collect(),
            })
            .collect()
    };
    let _ = write!(
        o,
        "<section id=\"trends\">\n<h2>Trends <span class=\"count\">(last {})</span></h2>\n<div class=\"charts\">\n",
        escape(&plural(r.trend.len(), "run", "runs"))
    );
    o.push_str(&svg::line_chart(&LineChart {
        title: "Warnings per cell".into(),
        unit: String::new(),
        x_labels: labels.clone(),
        series: series(&|c| (c.verdict != Verdict::Skipped).then_some(c.warnings as f64)),
        width: 580,
        height: 260,
    }));
    o.push('\n');
    o.push_str(&svg::line_chart(&LineChart {
        title: "Build time per cell (passing builds)".into(),
        unit: "s".into(),
        x_labels: labels,
        series: series(&|c| (c.verdict == Verdict::Pass).then_some(c.build_s)),
        width: 580,
        height: 260,
    }));
    o.push_str("\n</div>\n</section>\n");
}

fn run_section(o: &mut String, r: &RunReport) {
    let s = &r.run.summary;
    o.push_str("<section id=\"run\">\n<h2>Run</h2>\n<dl class=\"run\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(o, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    };
    row(
        "source",
        format!(
            "Linux {} — {} <code>{}</code> ({})",
            escape(&s.source.version),
            escape(&enum_name(&s.source.kind)),
            escape(&s.source.key),
            escape(&s.source.origin)
        ),
    );
    row(
        "matrix",
        format!(
            "{} (<code>{}</code>)",
            escape(&s.matrix),
            escape(&s.matrix_origin)
        ),
    );
    row("started", escape(&short_time(&s.started_at)));
    row(
        "wall time",
        format!("{} with {} make jobs", escape(&secs(s.wall_s)), s.jobs),
    );
    row(
        "baseline",
        match &r.baseline {
            Some(b) => escape(&format!(
                "run #{} of {} (Linux {} {})",
                b.id,
                short_time(&b.started_at),
                b.source_version,
                b.source_key
            )),
            None => "none (first run of this matrix)".into(),
        },
    );
    if !r.run.patches.is_empty() {
        let mut v = String::from("<ul>");
        for p in &r.run.patches {
            let _ = write!(
                v,
                "<li><code>{}</code> {}</li>",
                escape(&p.id),
                escape(&p.subject)
            );
        }
        v.push_str("</ul>");
        row("patches", v);
    }
    if !r.comparison.added_cells.is_empty() && r.baseline.is_some() {
        row("new cells", escape(&r.comparison.added_cells.join(", ")));
    }
    if !r.comparison.removed_cells.is_empty() {
        row("cells gone", escape(&r.comparison.removed_cells.join(", ")));
    }
    row(
        "results",
        format!("<code>{}</code>", escape(&s.out_dir.to_string_lossy())),
    );
    o.push_str("</dl>\n</section>\n");
}

/// Diagnostics shown per cell; the rest are counted.
const MAX_DIAGS: usize = 200;

fn cells(o: &mut String, r: &RunReport) {
    o.push_str("<section id=\"cells\">\n<h2>Cells</h2>\n");
    for c in r.cells_in_report_order() {
        cell_details(o, r, c);
    }
    o.push_str("</section>\n");
}

fn cell_details(o: &mut String, r: &RunReport, c: &CellResult) {
    let regs: Vec<&Change> = r.comparison.regressions_for(&c.cell).collect();
    let fixes: Vec<&Change> = r.comparison.fixes_for(&c.cell).collect();
    let open = c.verdict == Verdict::Fail || !regs.is_empty();
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
                if outcome(&h.verdict) == Outcome::Bad {
                    "bad"
                } else {
                    ""
                },
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
                if outcome(&t.verdict) == Outcome::Bad { "bad" } else { "" },
                escape(&t.verdict),
                escape(&t.duration_s.map(secs).unwrap_or_default()),
                escape(&t.detail)
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a & \"b\""), "a &amp; &quot;b&quot;");
        assert_eq!(escape("\u{1b}[31mred\u{0}"), "\u{241b}[31mred\u{2400}");
        assert_eq!(escape("tab\tnl\n"), "tab\tnl\n");
        assert_eq!(escape("\u{85}\u{ffff}"), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn anchors_are_plain() {
        assert_eq!(anchor("x86_64-gcc-pud"), "cell-x86_64-gcc-pud");
        assert_eq!(anchor("a b\"<"), "cell-a.20b.22.3c");
    }
}
