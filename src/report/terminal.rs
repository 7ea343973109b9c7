//! The terminal: live progress while cells run (indicatif, a line per running cell; plain
//! lines when stderr is not a terminal or CI=true), then a results table.

use super::table::{Align, Table};
use crate::build::{CellResult, Event, RunSummary, Verdict};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// Should progress be drawn live? Not in CI, not when stderr is a pipe or file.
pub fn interactive() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false")
}

/// Consume events until the sender hangs up. Runs on its own thread.
pub fn progress(rx: Receiver<Event>, quiet: bool) {
    if interactive() && !quiet {
        live(rx)
    } else {
        plain(rx, quiet)
    }
}

fn plain(rx: Receiver<Event>, quiet: bool) {
    for ev in rx {
        if quiet {
            continue;
        }
        match ev {
            Event::RunStarted { cells, jobs } => {
                eprintln!(
                    "kcross: {} cell(s), {} job(s): {}",
                    cells.len(),
                    jobs,
                    cells.join(", ")
                )
            }
            Event::CellPhase { cell, phase } => eprintln!("[{cell}] {phase}"),
            Event::CellFinished { result } => eprintln!("[{}] {}", result.cell, one_line(&result)),
            Event::CellStarted { .. } | Event::CellOutput { .. } => {}
        }
    }
}

fn one_line(r: &CellResult) -> String {
    let mut s = format!(
        "{} in {:.1}s ({} error(s), {} warning(s){})",
        r.verdict,
        r.timings.total_s,
        r.errors,
        r.warnings,
        if r.config_reused {
            ", config reused"
        } else {
            ""
        }
    );
    if let Some(w) = &r.wrapper {
        s.push_str(&format!(", {}", wrapper_line(w)));
    }
    if let Some(reason) = &r.reason {
        s.push_str(": ");
        s.push_str(reason);
    }
    s
}

/// `ccache: 228/228 hits (100.0%), 62 uncacheable`
fn wrapper_line(w: &crate::toolchain::wrapper::WrapperStats) -> String {
    let rate = match w.hit_rate() {
        Some(r) => format!(" ({:.1}%)", r * 100.0),
        None => String::new(),
    };
    format!(
        "{}: {}/{} hits{rate}, {} uncacheable",
        w.wrapper,
        w.hits,
        w.hits + w.misses,
        w.uncacheable
    )
}

fn live(rx: Receiver<Event>) {
    let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {prefix:<28} {elapsed:>4} {wide_msg}")
        .expect("template");
    let mut bars: BTreeMap<String, ProgressBar> = BTreeMap::new();
    for ev in rx {
        match ev {
            Event::RunStarted { .. } => {}
            Event::CellStarted { cell } => {
                let b = mp.add(ProgressBar::new_spinner());
                b.set_style(style.clone());
                b.set_prefix(cell.clone());
                b.set_message("waiting for a job slot");
                b.enable_steady_tick(Duration::from_millis(200));
                bars.insert(cell, b);
            }
            Event::CellPhase { cell, phase } => {
                if let Some(b) = bars.get(&cell) {
                    b.set_message(phase);
                }
            }
            Event::CellOutput { cell, line } => {
                if let Some(b) = bars.get(&cell) {
                    b.set_message(line.trim().to_string());
                }
            }
            Event::CellFinished { result } => {
                if let Some(b) = bars.remove(&result.cell) {
                    b.finish_and_clear();
                    let _ = mp.println(format!("{:<28} {}", result.cell, one_line(&result)));
                }
            }
        }
    }
    let _ = mp.clear();
}

/// The results table, with the first errors of each failed cell.
pub fn table(s: &RunSummary) -> String {
    // A SANDBOX column only when some cell ran sandboxed: the word says which did.
    let any_sandboxed = s.cells.iter().any(|c| c.sandboxed);
    let mut t = Table::new()
        .col("CELL", Align::Left)
        .col("VERDICT", Align::Left)
        .col("ERRORS", Align::Right)
        .col("WARNINGS", Align::Right)
        .col("TIME", Align::Right);
    if any_sandboxed {
        t = t.col("SANDBOX", Align::Left);
    }
    for c in &s.cells {
        let known = s.outcome_of(c) == crate::outcome::Outcome::Known;
        let mut row = vec![
            c.cell.clone(),
            if known {
                "known".to_string()
            } else {
                c.verdict.to_string()
            },
            c.errors.to_string(),
            c.warnings.to_string(),
            format!("{:.1}s", c.timings.total_s),
        ];
        if any_sandboxed {
            row.push(if c.sandboxed { "sandboxed" } else { "none" }.to_string());
        }
        t.row(row);
        if let Some(w) = &c.wrapper {
            t.text(format!("    {}", wrapper_line(w)));
        }
        if matches!(c.verdict, Verdict::Fail | Verdict::Timeout) {
            for i in s.known.covering_cell(&c.cell) {
                t.text(format!(
                    "    known issue {}: {}",
                    i.at,
                    super::known::why(i)
                ));
            }
            if let (Verdict::Timeout, Some(r)) = (c.verdict, &c.reason) {
                t.text(format!("    {r}"));
            }
            for d in c.first_errors(3) {
                let loc = d.location();
                if loc.is_empty() {
                    t.text(format!("    {}", d.message));
                } else {
                    t.text(format!("    {loc}: {}", d.message));
                }
            }
            t.text(format!("    log: {}", c.dir.join("build.log").display()));
        }
    }
    // Stale known issues first: they are what needs doing.
    let mut out = super::known::block(&s.known);
    out.push_str(&t.render());
    let failed = s
        .cells
        .iter()
        .filter(|c| s.outcome_of(c).is_failure())
        .count();
    let known = s.known.known_cells.len();
    out.push_str(&format!(
        "{} cell(s), {} failed{}, wall {:.1}s, source {} ({}), results {}\n",
        s.cells.len(),
        failed,
        if known > 0 {
            format!(", {known} known")
        } else {
            String::new()
        },
        s.wall_s,
        s.source.origin,
        s.source.version,
        s.out_dir.display()
    ));
    out
}

/// The helper check: a grid helper x cell, then the reason for every verdict that is not a
/// plain "provided", with its evidence.
pub fn check_table(s: &crate::check::CheckSummary) -> String {
    use crate::check::HelperVerdict;
    let mut t = Table::new().col("HELPER", Align::Left);
    for c in &s.cells {
        t = t.col_min(c.cell.clone(), Align::Left, 12);
    }
    for h in &s.helpers {
        let mut row = vec![h.clone()];
        for c in &s.cells {
            row.push(
                match (&c.setup_failure, c.helpers.iter().find(|r| &r.helper == h)) {
                    (Some(_), _) => "SETUP FAILED".to_string(),
                    (None, Some(r)) => r.verdict.to_string(),
                    (None, None) => "-".to_string(),
                },
            );
        }
        t.row(row);
    }
    let mut out = t.render();
    out.push('\n');
    for c in &s.cells {
        if let Some(f) = &c.setup_failure {
            out.push_str(&format!("{}: setup failed: {f}\n", c.cell));
        }
        for r in &c.helpers {
            out.push_str(&format!(
                "{} {}: {}: {}\n",
                c.cell, r.helper, r.verdict, r.summary
            ));
            if r.verdict != HelperVerdict::Provided {
                for e in r.evidence.iter().take(3) {
                    match &e.at {
                        Some(at) => out.push_str(&format!("    {at}: {}\n", e.what)),
                        None => out.push_str(&format!("    {}\n", e.what)),
                    }
                }
            }
        }
    }
    if !s.provided_nowhere.is_empty() {
        out.push_str(&format!(
            "provided on no cell at all: {} (a typo, or a tree without the series?)\n",
            s.provided_nowhere.join(", ")
        ));
    }
    let reused = s
        .cells
        .iter()
        .filter(|c| c.configure_reused && c.prepare_reused)
        .count();
    out.push_str(&format!(
        "{} cell(s) x {} helper(s) in {:.1}s ({} cell(s) reused a prepared build dir), source {} ({}), results {}\n",
        s.cells.len(),
        s.helpers.len(),
        s.wall_s,
        reused,
        s.source.origin,
        s.source.version,
        s.out_dir.display()
    ));
    out
}
