//! The nightly's robot-style mail (`mail.eml` in a nightly's run dir when something new
//! broke; `kcross nightly --format mail`): the same layout as a reply to a patch (`mail`),
//! for the tree itself: the cells whose build regressed since the previous run, each with
//! its config, compiler and reproduce lines, and "All errors (new ones prefixed by >>):" with
//! the regressions' diagnostics marked among the unit's others. Not a reply: no
//! `In-Reply-To`; the reader adds `To:`.

use super::mail::{self, Options};
use super::rfc5322;
use crate::diag::{Diagnostic, Severity};
use crate::history::{ChangeKind, RunReport};

/// The new diagnostics of a cell: those of its new-error and new-warning regressions, and
/// when it went from pass to FAIL, every error it has (a passing build had none); once each.
fn new_of(r: &RunReport, cell: &crate::build::CellResult) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    let broke = r
        .comparison
        .regressions_for(&cell.cell)
        .any(|c| c.kind == ChangeKind::CellFail);
    if broke {
        out.extend(
            cell.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .cloned(),
        );
    }
    for c in r.comparison.regressions_for(&cell.cell) {
        if !matches!(
            c.kind,
            ChangeKind::CellFail | ChangeKind::NewError | ChangeKind::NewWarning
        ) {
            continue;
        }
        if let Some(d) = &c.diagnostic {
            if !out.iter().any(|x| x.fingerprint == d.fingerprint) {
                out.push(d.clone());
            }
        }
    }
    out
}

/// The mail, or None when no build regressed with a diagnostic.
pub fn render(r: &RunReport, o: &Options) -> Option<String> {
    let s = &r.run.summary;
    let cells: Vec<(&crate::build::CellResult, Vec<Diagnostic>)> = s
        .cells
        .iter()
        .map(|c| (c, new_of(r, c)))
        .filter(|(_, n)| !n.is_empty())
        .collect();
    if cells.is_empty() {
        return None;
    }
    let errors = cells
        .iter()
        .any(|(_, n)| n.iter().any(|d| d.severity == Severity::Error));
    let (what, upper) = if errors {
        ("errors", "ERROR")
    } else {
        ("warnings", "WARNING")
    };
    let count = |sev: Severity| {
        cells
            .iter()
            .map(|(_, n)| n.iter().filter(|d| d.severity == sev).count())
            .sum::<usize>()
    };
    let from = if o.from.is_empty() {
        mail::DEFAULT_FROM
    } else {
        &o.from
    };
    let run_name = s
        .out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let closes = match &o.base_url {
        Some(b) => format!("{}/{run_name}/mail.eml", b.trim_end_matches('/')),
        None => format!("file://{}", s.out_dir.join("mail.eml").display()),
    };
    let id = {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(s.out_dir.display().to_string().as_bytes());
        let hex: String = d[..10].iter().map(|b| format!("{b:02x}")).collect();
        format!("kcross-nightly-{hex}@localhost")
    };
    let date = chrono::DateTime::parse_from_rfc3339(&s.started_at)
        .map(|d| d.to_rfc2822())
        .unwrap_or_else(|_| chrono::Local::now().to_rfc2822());

    let mut m = String::new();
    m.push_str(&rfc5322::header("From", &rfc5322::address(from)));
    let plural = |n: usize, w: &str| format!("{n} new {w}{}", if n == 1 { "" } else { "s" });
    let subject = format!(
        "[kcross] BUILD REGRESSION {} on {} {}: {}, {}",
        s.matrix,
        s.source.origin,
        s.source.version,
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning")
    );
    m.push_str(&rfc5322::header("Subject", &rfc5322::text(&subject)));
    m.push_str(&rfc5322::header("Date", &date));
    m.push_str(&rfc5322::header("Message-ID", &format!("<{id}>")));
    m.push_str("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
    m.push_str("Hi,\n\n");
    m.push_str(&format!("kcross noticed the following build {what}:\n\n"));
    m.push_str(&format!(
        "[auto build test {upper} on {} {}]\n\n",
        s.source.origin, s.source.version
    ));
    m.push_str(&format!(
        "base:          {} ({}, key {})\n",
        s.source.origin, s.source.version, s.source.key
    ));
    match &r.baseline {
        Some(b) => m.push_str(&format!("compared with: run {} of {}\n", b.id, s.matrix)),
        None => m.push_str("compared with: nothing (the first run)\n"),
    }
    for (c, _) in &cells {
        let info = o.cells.get(&c.cell).cloned().unwrap_or_default();
        let config = if info.config.is_empty() {
            c.config.clone()
        } else {
            info.config
        };
        let compiler = if info.compiler.is_empty() {
            c.toolchain.clone()
        } else {
            info.compiler
        };
        m.push_str(&format!(
            "config: {} ({config})\ncompiler: {compiler}\n",
            c.cell
        ));
    }
    m.push_str("reproduce:\n");
    let ind = "        ";
    for (c, _) in &cells {
        let info = o.cells.get(&c.cell).cloned().unwrap_or_default();
        m.push_str(&format!(
            "{ind}# {}: with kcross\n{ind}{}\n{ind}# or by hand, in the tree\n{ind}{}\n",
            c.cell,
            [
                "kcross",
                "build",
                &s.matrix_origin,
                "--source",
                &s.source.origin,
                "--arch",
                &c.arch,
            ]
            .iter()
            .map(|w| mail::shell_word(w))
            .collect::<Vec<_>>()
            .join(" "),
            ["cd", &s.source.root.display().to_string()]
                .iter()
                .map(|w| mail::shell_word(w))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        m.push_str(&mail::make_lines(
            ind,
            &c.dir.join("config"),
            &info,
            &c.targets,
        ));
    }
    m.push('\n');
    m.push_str(&mail::tags(from, &closes));
    m.push_str(&format!("All {what} (new ones prefixed by >>):\n\n"));
    for (c, new) in &cells {
        if cells.len() > 1 {
            m.push_str(&format!("   [{}]\n", c.cell));
        }
        for l in mail::mark_lines(&c.diagnostics, new) {
            m.push_str(&l);
            m.push('\n');
        }
        m.push('\n');
    }
    m.push_str(&format!(
        "-- \nkcross {}\nresults: {}\n",
        s.kcross_version,
        s.out_dir.display()
    ));
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str) -> RunReport {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nightly-report")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    }

    /// A real nightly that broke arm64 (an injected change to mm/mprotect.c): a mail in the
    /// robot's layout, `>>` on the new error and the new warning; the first, clean run of the
    /// same matrix gets none.
    #[test]
    fn a_regressed_nightly_gets_a_mail_and_a_clean_one_none() {
        assert!(render(&report("first.report.json"), &Options::default()).is_none());
        let r = report("regressed.report.json");
        let m = render(&r, &Options::default()).unwrap();
        let head = m.split("\n\n").next().unwrap();
        assert!(!head.contains("In-Reply-To"));
        assert!(
            head.contains("Subject: [kcross] BUILD REGRESSION "),
            "{head}"
        );
        let order = [
            "\nHi,\n",
            "\nkcross noticed the following build errors:\n",
            "\n[auto build test ERROR on ",
            "\nbase: ",
            "\nconfig: arm64-gcc-mprotect (",
            "\ncompiler: ",
            "\nreproduce:\n",
            "\nIf you fix the issue in a separate patch/commit",
            "\n| Reported-by: kcross <kcross@localhost>\n| Closes: ",
            "\nAll errors (new ones prefixed by >>):\n",
            "\n-- \n",
        ];
        let mut at = 0;
        for o in order {
            let i = m[at..]
                .find(o)
                .unwrap_or_else(|| panic!("{o:?} after {at}:\n{m}"));
            at += i + 1;
        }
        let marked: Vec<&str> = m.lines().filter_map(|l| l.strip_prefix(">> ")).collect();
        // Every error is new (the cell passed before), and the new warning.
        assert_eq!(marked.len(), 3, "{m}");
        assert!(marked[0].starts_with("mm/mprotect.c:917:"), "{m}");
        assert!(marked.iter().any(|l| l.contains(": error: ")));
        assert!(marked
            .iter()
            .any(|l| l.contains(": warning: no previous prototype")));
        assert!(
            head.replace("\n ", " ")
                .contains(": 2 new errors, 1 new warning\n"),
            "{head}"
        );
    }
}
