//! Known issues: the matrix's `[[known]]` entries, matched against a stage's diagnostics.
//! Plain data in (`KnownIssue`s and the cells' diagnostics), plain data out (`KnownReport`):
//! which entries occurred where (`known`), which applied to cells of the run and occurred in
//! none of them (`stale`), and which cells failed only on known issues (their outcome is
//! `Outcome::Known`, which never fails a run). A stage calls `judge` once on its result; the
//! series gate asks `covering` per finding. Nothing here decides exit codes or prints.

use crate::diag::{Diagnostic, Severity};
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One `[[known]]` entry, checked (see `matrix::known`): what it matches, where, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KnownIssue {
    /// `file:line:col` of the entry in its matrix: the entry's identity in reports.
    pub at: String,
    /// A diagnostic's fingerprint (16 hex digits, as `--json` and diagnostics.json show it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The diagnostic's file, relative to the source tree; `*` and `?` are wildcards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A regular expression searched in the diagnostic's message (checked at load); `'`
    /// also matches the typographic quotes gcc prints in a UTF-8 locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Only diagnostics of this severity (`error`, `warning`); None: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Cell ids, arch names or globs over either; empty: every cell.
    #[serde(default)]
    pub cells: Vec<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A cell as the matcher sees it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub cell: &'a str,
    pub arch: &'a str,
    /// Did the cell fail (so that its errors decide whether the failure is known)?
    pub failed: bool,
    pub diagnostics: &'a [Diagnostic],
}

/// What became of one entry in a run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum KnownState {
    /// It occurred in at least one cell it applies to.
    Known,
    /// It applies to cells of this run and occurred in none of them: remove it, or fix it.
    Stale,
    /// No cell of this run is one it applies to (a filtered run): nothing to say.
    NotRun,
}

/// A diagnostic an entry matched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KnownMatch {
    pub cell: String,
    pub fingerprint: String,
    pub severity: Severity,
    /// `file:line:col`, or empty.
    pub location: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KnownStatus {
    pub issue: KnownIssue,
    pub state: KnownState,
    /// The cells of this run it applies to.
    pub applies_to: Vec<String>,
    pub matches: Vec<KnownMatch>,
}

/// The `[[known]]` entries judged on one stage's result.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct KnownReport {
    /// Every entry, stale ones first.
    pub entries: Vec<KnownStatus>,
    /// Failed cells whose every error is a known issue: cell id -> the entries (`at`) that
    /// cover it. Their outcome is `known`.
    pub known_cells: BTreeMap<String, Vec<String>>,
}

impl KnownReport {
    /// The outcome of a cell whose own verdict means `own`: `Known` when it failed only on
    /// known issues, else `own`.
    pub fn outcome_of(&self, cell: &str, own: Outcome) -> Outcome {
        if own == Outcome::Fail && self.known_cells.contains_key(cell) {
            Outcome::Known
        } else {
            own
        }
    }

    pub fn stale(&self) -> impl Iterator<Item = &KnownStatus> {
        self.entries.iter().filter(|e| e.state == KnownState::Stale)
    }

    pub fn occurred(&self) -> impl Iterator<Item = &KnownStatus> {
        self.entries.iter().filter(|e| e.state == KnownState::Known)
    }

    /// The entries that cover a cell's failure, for reports (reason and link).
    pub fn covering_cell(&self, cell: &str) -> Vec<&KnownIssue> {
        let ats = self.known_cells.get(cell).cloned().unwrap_or_default();
        self.entries
            .iter()
            .map(|e| &e.issue)
            .filter(|i| ats.contains(&i.at))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `*` (any run of characters, `/` included) and `?` (one character); the rest literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative wildcard matching with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Does the entry apply to this cell (its id or its arch)?
pub fn applies(issue: &KnownIssue, cell: &str, arch: &str) -> bool {
    issue.cells.is_empty()
        || issue
            .cells
            .iter()
            .any(|p| glob_match(p, cell) || glob_match(p, arch))
}

/// An entry with its pattern compiled once.
struct Compiled<'a> {
    issue: &'a KnownIssue,
    pattern: Option<regex::Regex>,
}

impl<'a> Compiled<'a> {
    fn new(issue: &'a KnownIssue) -> Compiled<'a> {
        // Checked when the matrix was loaded; an entry read back from elsewhere whose pattern
        // does not compile matches nothing rather than everything.
        let pattern = issue.pattern.as_deref().map(|p| {
            regex::Regex::new(p).unwrap_or_else(|_| regex::Regex::new("$^").expect("regex"))
        });
        Compiled { issue, pattern }
    }

    fn matches(&self, d: &Diagnostic) -> bool {
        let i = self.issue;
        if i.severity.is_some_and(|s| s != d.severity) {
            return false;
        }
        if let Some(fp) = &i.fingerprint {
            return d.fingerprint.eq_ignore_ascii_case(fp);
        }
        if let Some(f) = &i.file {
            if !d.file.as_deref().is_some_and(|df| glob_match(f, df)) {
                return false;
            }
        }
        match &self.pattern {
            // gcc quotes with ‘’ in a UTF-8 locale and '' in C: both match a pattern with '.
            Some(re) => re.is_match(&d.message) || re.is_match(&plain_quotes(&d.message)),
            None => i.file.is_some(),
        }
    }
}

/// The message with typographic quotes and backquotes as `'`.
fn plain_quotes(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            c => c,
        })
        .collect()
}

/// Does `issue` match `d` on this cell?
pub fn matches(issue: &KnownIssue, cell: &str, arch: &str, d: &Diagnostic) -> bool {
    applies(issue, cell, arch) && Compiled::new(issue).matches(d)
}

/// The first entry that covers `d` on this cell, if any (the series gate: a new diagnostic
/// that is known does not gate).
pub fn covering<'a>(
    issues: &'a [KnownIssue],
    cell: &str,
    arch: &str,
    d: &Diagnostic,
) -> Option<&'a KnownIssue> {
    issues.iter().find(|i| matches(i, cell, arch, d))
}

/// Judge every entry on a stage's cells.
pub fn judge(issues: &[KnownIssue], subjects: &[Subject]) -> KnownReport {
    let compiled: Vec<Compiled> = issues.iter().map(Compiled::new).collect();
    let mut entries: Vec<KnownStatus> = issues
        .iter()
        .map(|i| KnownStatus {
            issue: i.clone(),
            state: KnownState::NotRun,
            applies_to: Vec::new(),
            matches: Vec::new(),
        })
        .collect();
    let mut known_cells = BTreeMap::new();
    for s in subjects {
        let mut covered_by: Vec<String> = Vec::new();
        let mut uncovered_error = false;
        let mut errors = 0;
        for (c, e) in compiled.iter().zip(entries.iter_mut()) {
            // A cell may come more than once (the series gate's steps): once each.
            if applies(c.issue, s.cell, s.arch) && !e.applies_to.iter().any(|x| x == s.cell) {
                e.applies_to.push(s.cell.to_string());
            }
        }
        for d in s.diagnostics {
            let mut hit = None;
            for (c, e) in compiled.iter().zip(entries.iter_mut()) {
                if applies(c.issue, s.cell, s.arch) && c.matches(d) {
                    let seen = e
                        .matches
                        .iter()
                        .any(|m| m.cell == s.cell && m.fingerprint == d.fingerprint);
                    hit.get_or_insert_with(|| c.issue.at.clone());
                    if seen {
                        continue;
                    }
                    e.matches.push(KnownMatch {
                        cell: s.cell.to_string(),
                        fingerprint: d.fingerprint.clone(),
                        severity: d.severity,
                        location: d.location(),
                        message: d.message.clone(),
                    });
                }
            }
            if d.is_error() {
                errors += 1;
                match hit {
                    Some(at) if !covered_by.contains(&at) => covered_by.push(at),
                    Some(_) => {}
                    None => uncovered_error = true,
                }
            }
        }
        if s.failed && errors > 0 && !uncovered_error {
            known_cells.insert(s.cell.to_string(), covered_by);
        }
    }
    for e in &mut entries {
        e.state = if !e.matches.is_empty() {
            KnownState::Known
        } else if e.applies_to.is_empty() {
            KnownState::NotRun
        } else {
            KnownState::Stale
        };
    }
    // Stale first: they are what needs doing.
    entries.sort_by_key(|e| match e.state {
        KnownState::Stale => 0,
        KnownState::Known => 1,
        KnownState::NotRun => 2,
    });
    KnownReport {
        entries,
        known_cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Tool;

    fn diag(sev: Severity, file: &str, msg: &str) -> Diagnostic {
        let mut d = Diagnostic {
            code: if sev == Severity::Error {
                "cc-error".into()
            } else {
                "cc-warning".into()
            },
            severity: sev,
            tool: Tool::Compiler,
            file: Some(file.into()),
            line: Some(10),
            column: Some(2),
            flag: None,
            message: msg.into(),
            function: None,
            source_line: None,
            notes: Vec::new(),
            cell: "c".into(),
            fingerprint: String::new(),
        };
        d.fingerprint = crate::diag::fingerprint(&d);
        d
    }

    fn issue(at: &str) -> KnownIssue {
        KnownIssue {
            at: at.into(),
            fingerprint: None,
            file: None,
            pattern: None,
            severity: None,
            cells: Vec::new(),
            reason: "r".into(),
            link: None,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("arm64-*", "arm64-gcc-obj"));
        assert!(glob_match("*", ""));
        assert!(glob_match("arch/*/mm/pgtable.c", "arch/x86/mm/pgtable.c"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("arm64", "arm64-gcc-obj"));
        assert!(glob_match("*-clang-*", "riscv64-clang-pud"));
        assert!(!glob_match("*-clang-*", "riscv64-gcc-pud"));
    }

    #[test]
    fn a_failure_is_known_only_when_every_error_is() {
        let e1 = diag(Severity::Error, "mm/a.c", "'x' undeclared");
        let w = diag(Severity::Warning, "mm/c.c", "unused variable 'z'");
        let mut by_fp = issue("m.toml:1:1");
        by_fp.fingerprint = Some(e1.fingerprint.to_uppercase());
        let mut by_file = issue("m.toml:5:1");
        by_file.file = Some("mm/*.c".into());
        by_file.pattern = Some("implicit declaration of '[a-z]+'".into());
        let e2 = diag(
            Severity::Error,
            "mm/b.c",
            "implicit declaration of \u{2018}y\u{2019}",
        );
        let diags = [e1.clone(), e2.clone(), w.clone()];
        let s = |failed| Subject {
            cell: "arm64-gcc-obj",
            arch: "arm64",
            failed,
            diagnostics: &diags,
        };
        // Only one of the two errors known: the cell still fails.
        let r = judge(std::slice::from_ref(&by_fp), &[s(true)]);
        assert!(r.known_cells.is_empty());
        assert_eq!(r.entries[0].state, KnownState::Known);
        assert_eq!(r.outcome_of("arm64-gcc-obj", Outcome::Fail), Outcome::Fail);
        // Both known: the failure is known, covered by both entries.
        let r = judge(&[by_fp.clone(), by_file.clone()], &[s(true)]);
        assert_eq!(
            r.known_cells["arm64-gcc-obj"],
            vec!["m.toml:1:1".to_string(), "m.toml:5:1".to_string()]
        );
        assert_eq!(r.outcome_of("arm64-gcc-obj", Outcome::Fail), Outcome::Known);
        assert_eq!(r.covering_cell("arm64-gcc-obj").len(), 2);
        // A passing cell stays a pass even when a known warning occurs.
        assert_eq!(r.outcome_of("arm64-gcc-obj", Outcome::Pass), Outcome::Pass);
        let r = judge(&[by_fp.clone(), by_file.clone()], &[s(false)]);
        assert!(r.known_cells.is_empty());
        // A file-wide entry matches the warning too, unless it names a severity.
        let mut whole_file = issue("m.toml:9:1");
        whole_file.file = Some("mm/c.c".into());
        assert!(matches(&whole_file, "arm64-gcc-obj", "arm64", &w));
        whole_file.severity = Some(Severity::Error);
        assert!(!matches(&whole_file, "arm64-gcc-obj", "arm64", &w));
        whole_file.file = Some("mm/a.c".into());
        assert!(matches(&whole_file, "arm64-gcc-obj", "arm64", &e1));
    }

    #[test]
    fn stale_entries_come_first_and_cells_scope_them() {
        let e = diag(Severity::Error, "mm/mprotect.c", "'q' undeclared");
        let mut hit = issue("m.toml:1:1");
        hit.file = Some("mm/mprotect.c".into());
        let mut gone = issue("m.toml:9:1");
        gone.pattern = Some("never printed".into());
        let mut elsewhere = issue("m.toml:20:1");
        elsewhere.file = Some("mm/mprotect.c".into());
        elsewhere.cells = vec!["powerpc64le".into()];
        let diags = [e];
        let r = judge(
            &[hit, gone, elsewhere.clone()],
            &[Subject {
                cell: "arm64-gcc-obj",
                arch: "arm64",
                failed: true,
                diagnostics: &diags,
            }],
        );
        let states: Vec<_> = r
            .entries
            .iter()
            .map(|e| (&e.issue.at[..], e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("m.toml:9:1", KnownState::Stale),
                ("m.toml:1:1", KnownState::Known),
                ("m.toml:20:1", KnownState::NotRun),
            ]
        );
        assert!(!matches(&elsewhere, "arm64-gcc-obj", "arm64", &diags[0]));
        assert!(matches(
            &elsewhere,
            "powerpc64le-gcc-obj",
            "powerpc64le",
            &diags[0]
        ));
        assert_eq!(r.stale().count(), 1);
    }
}
