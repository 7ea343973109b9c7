//! The nightly report's "Known issues" section: stale entries first (they need doing), then
//! the ones that occurred, with the cells they cover, their reason and link. Everything from
//! the matrix or a log goes through `escape`.

use super::{anchor, escape};
use crate::history::RunReport;
use crate::known::KnownState;
use std::fmt::Write as _;

pub(super) fn section(o: &mut String, r: &RunReport) {
    let k = &r.run.summary.known;
    let shown: Vec<_> = k
        .entries
        .iter()
        .filter(|e| e.state != KnownState::NotRun)
        .collect();
    if shown.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "<section id=\"known\" class=\"known\">\n<h2>Known issues <span class=\"count\">({} stale, {} occurred)</span></h2>\n\
         <table class=\"changes\">\n<thead><tr><th>state</th><th>entry</th><th>matches</th><th>cells</th><th>reason</th></tr></thead>\n<tbody>\n",
        k.stale().count(),
        k.occurred().count()
    );
    // `entries` are stale first already.
    for e in shown {
        let (state, cells) = match e.state {
            KnownState::Stale => ("stale", e.applies_to.clone()),
            _ => {
                let mut c: Vec<String> = e.matches.iter().map(|m| m.cell.clone()).collect();
                c.dedup();
                (
                    if k.known_cells.values().any(|v| v.contains(&e.issue.at)) {
                        "known failure"
                    } else {
                        "known"
                    },
                    c,
                )
            }
        };
        let cells: Vec<String> = cells
            .iter()
            .map(|c| {
                format!(
                    "<a href=\"#{}\"><code>{}</code></a>",
                    escape(&anchor(c)),
                    escape(c)
                )
            })
            .collect();
        let link = match &e.issue.link {
            Some(l) if l.starts_with("https://") || l.starts_with("http://") => {
                format!(" <a href=\"{}\">{}</a>", escape(l), escape(l))
            }
            Some(l) => format!(" {}", escape(l)),
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "<tr class=\"{}\"><td><span class=\"kind\">{}</span></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}{link}</td></tr>",
            if e.state == KnownState::Stale { "stale" } else { "known" },
            escape(state),
            escape(&e.issue.at),
            escape(&crate::report::known::matcher(&e.issue)),
            cells.join(" "),
            escape(&e.issue.reason),
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}
