//! Known issues in words, for every reporter: what an entry matches, its reason and link, and
//! the stale block that the terminal and the reports show first. Plain text; markup outputs
//! escape it (`escape`).

use crate::known::{KnownIssue, KnownReport, KnownState, KnownStatus};

/// `fingerprint 1a2b...`, `file mm/mprotect.c, pattern 'x'`.
pub fn matcher(i: &KnownIssue) -> String {
    let mut parts = Vec::new();
    if let Some(f) = &i.fingerprint {
        parts.push(format!("fingerprint {f}"));
    }
    if let Some(f) = &i.file {
        parts.push(format!("file {f}"));
    }
    if let Some(p) = &i.pattern {
        parts.push(format!("pattern '{p}'"));
    }
    if let Some(s) = i.severity {
        parts.push(format!("{s:?}s only").to_lowercase());
    }
    if !i.cells.is_empty() {
        parts.push(format!("cells {}", i.cells.join(", ")));
    }
    parts.join(", ")
}

/// `reason (link)`.
pub fn why(i: &KnownIssue) -> String {
    match &i.link {
        Some(l) => format!("{} ({l})", i.reason),
        None => i.reason.clone(),
    }
}

/// One line per entry: `stale  m.toml:12:1  file mm/x.c: reason (link)`.
pub fn line(e: &KnownStatus) -> String {
    let state = match e.state {
        KnownState::Known => "known",
        KnownState::Stale => "STALE",
        KnownState::NotRun => "not run",
    };
    let mut s = format!(
        "{state} {} [{}]: {}",
        e.issue.at,
        matcher(&e.issue),
        why(&e.issue)
    );
    match e.state {
        KnownState::Known => {
            let mut cells: Vec<&str> = e.matches.iter().map(|m| m.cell.as_str()).collect();
            cells.dedup();
            s.push_str(&format!(" -- occurs on {}", cells.join(", ")));
        }
        KnownState::Stale => s.push_str(&format!(
            " -- no longer occurs on {}: remove the entry, or find out why",
            e.applies_to.join(", ")
        )),
        KnownState::NotRun => {}
    }
    s
}

/// The block shown before a stage's results: stale entries first, then the known ones that
/// occurred. Empty when the matrix has no entries that apply.
pub fn block(r: &KnownReport) -> String {
    let mut out = String::new();
    let stale: Vec<_> = r.stale().collect();
    if !stale.is_empty() {
        out.push_str(&format!(
            "{} stale known issue(s) (they no longer occur):\n",
            stale.len()
        ));
        for e in stale {
            out.push_str(&format!("  {}\n", line(e)));
        }
    }
    let occurred: Vec<_> = r.occurred().collect();
    if !occurred.is_empty() {
        out.push_str(&format!("{} known issue(s) occurred:\n", occurred.len()));
        for e in occurred {
            out.push_str(&format!("  {}\n", line(e)));
        }
    }
    out
}
