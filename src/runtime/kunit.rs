//! The kernel's own KUnit results: built-in suites run at boot, before init, and print KTAP
//! on the console (a top-level plan of suites, each suite a subtest with its cases), as
//! `kunit.py run` reads it. The console is split at the kernel's `Run <init> as init
//! process` line: what comes before is the kernel's (KUnit's) stream, what follows is
//! kcross's guest. Pure: no QEMU, no files.

use super::ktap::{self, KtapResult, KtapStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The KUnit suites of one boot, from the console.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KunitRun {
    /// `KTAP version 1`; None when the kernel printed no KUnit output before init.
    pub version: Option<String>,
    /// The suites: top-level results, their cases as subtests.
    pub suites: Vec<KtapResult>,
    /// Malformed or truncated KTAP (a kernel that died or hung inside a suite), with the
    /// console line numbers.
    pub problems: Vec<String>,
}

/// One case of a suite, for rows and exports: `suite`, `case`, its status and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case<'a> {
    pub suite: &'a str,
    pub case: &'a KtapResult,
}

impl Case<'_> {
    /// The case's name (`#<n>` for one the output never reported).
    pub fn name(&self) -> String {
        if self.case.name.is_empty() {
            format!("#{}", self.case.number)
        } else {
            self.case.name.clone()
        }
    }

    /// Why it did not pass: the KTAP directive, else its log (KUnit's `EXPECTATION FAILED`
    /// lines), else the result line.
    pub fn reason(&self) -> Option<String> {
        let c = self.case;
        match c.status {
            KtapStatus::Ok => None,
            KtapStatus::Skip => Some(c.directive.clone().unwrap_or_else(|| c.line.clone())),
            KtapStatus::Missing => Some("never reported (the output ends)".into()),
            KtapStatus::NotOk => {
                let log: Vec<&str> = c
                    .diagnostics
                    .iter()
                    .map(String::as_str)
                    .filter(|d| !d.starts_with("Subtest:"))
                    .collect();
                Some(match (&c.directive, log.is_empty()) {
                    (Some(d), _) => format!("{}: {d}", c.line),
                    (None, false) => format!("{}: {}", c.line, log.join(" / ")),
                    (None, true) => c.line.clone(),
                })
            }
        }
    }
}

impl KunitRun {
    /// Every case of every suite, in console order.
    pub fn cases(&self) -> Vec<Case<'_>> {
        self.suites
            .iter()
            .flat_map(|s| {
                s.subtests.iter().map(move |c| Case {
                    suite: &s.name,
                    case: c,
                })
            })
            .collect()
    }

    /// Cases with this status.
    pub fn count(&self, status: KtapStatus) -> usize {
        self.cases()
            .iter()
            .filter(|c| c.case.status == status)
            .count()
    }

    /// Suites that did not pass (not ok, or never reported).
    fn failed_suites(&self) -> Vec<&KtapResult> {
        self.suites
            .iter()
            .filter(|s| matches!(s.status, KtapStatus::NotOk | KtapStatus::Missing))
            .collect()
    }

    /// `None` when every suite passed (or was skipped); else why not, in one line: the
    /// failed cases (`suite.case: line: log`), or the truncation.
    pub fn failure(&self) -> Option<String> {
        if self.version.is_none() {
            return Some(
                "no KUnit output before init (no `KTAP version` line: the kernel ran no suites)"
                    .into(),
            );
        }
        let failed: Vec<String> = self
            .cases()
            .iter()
            .filter(|c| matches!(c.case.status, KtapStatus::NotOk | KtapStatus::Missing))
            .map(|c| {
                format!(
                    "{}.{}: {}",
                    c.suite,
                    c.name(),
                    c.reason().unwrap_or_default()
                )
            })
            .collect();
        let total = self.cases().len();
        if !failed.is_empty() {
            return Some(format!(
                "kunit: {} of {total} case(s) failed, first: {}",
                failed.len(),
                failed[0]
            ));
        }
        if let Some(s) = self.failed_suites().first() {
            return Some(format!("kunit: suite {} failed: {}", s.name, s.line));
        }
        if self.suites.is_empty() {
            return Some("kunit: the kernel's KTAP has no suites".into());
        }
        if !self.problems.is_empty() {
            return Some(format!(
                "kunit: malformed KTAP: {}",
                self.problems.join("; ")
            ));
        }
        None
    }

    /// Every suite skipped (or no cases at all but suites that said skip).
    pub fn all_skipped(&self) -> bool {
        !self.suites.is_empty() && self.suites.iter().all(|s| s.status == KtapStatus::Skip)
    }
}

/// The 0-based console line of the kernel's `Run <path> as init process` (the end of the
/// kernel's KUnit stream and the start of the guest's), after a printk timestamp.
pub fn init_line(lines: &[&str]) -> Option<usize> {
    lines.iter().position(|l| {
        let l = l.trim_start();
        let l = match l.strip_prefix('[') {
            Some(rest) => rest
                .split_once(']')
                .map(|(_, t)| t.trim_start())
                .unwrap_or(l),
            None => l,
        };
        l.starts_with("Run ") && l.ends_with(" as init process")
    })
}

/// The KUnit suites the kernel printed before init (the whole console when it never ran
/// init), with the console lines that were theirs (left out of the complaint scan).
pub fn parse(lines: &[&str]) -> (KunitRun, BTreeSet<usize>) {
    let end = init_line(lines).unwrap_or(lines.len());
    let k = ktap::parse_lines(lines, 0..end);
    let run = KunitRun {
        version: k.version.clone(),
        suites: k.results,
        problems: if k.version.is_some() {
            k.problems
        } else {
            Vec::new()
        },
    };
    (run, k.ktap_lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<&str> {
        ktap::console_lines(s)
    }

    /// KUnit's shape (lib/kunit/test.c of 6.12): a plan of suites, each a subtest with its
    /// own header, `# Subtest:`, plan and cases; a failed expectation's log on indented lines
    /// that are not KTAP.
    const TWO_SUITES: &str = r#"Linux version 6.12.0
KTAP version 1
1..2
    KTAP version 1
    # Subtest: alpha
    # module: alpha_kunit
    1..2
    ok 1 a_passes
    # b_fails: EXPECTATION FAILED at lib/alpha_kunit.c:67
    Expected 4 == errors, but
        errors == 3 (0x3)
    not ok 2 b_fails
# alpha: pass:1 fail:1 skip:0 total:2
not ok 1 alpha
    KTAP version 1
    # Subtest: beta
    1..1
    ok 1 c_skips # SKIP no hardware
ok 2 beta # SKIP
Run /init as init process
KTAP version 1
1..1
ok 1 kunit
"#;

    #[test]
    fn suites_cases_and_the_failed_expectation() {
        let l = lines(TWO_SUITES);
        assert_eq!(init_line(&l), Some(19));
        let (k, own) = parse(&l);
        assert!(k.problems.is_empty(), "{:?}", k.problems);
        assert_eq!(k.suites.len(), 2);
        let names: Vec<String> = k
            .cases()
            .iter()
            .map(|c| format!("{}.{} {:?}", c.suite, c.case.name, c.case.status))
            .collect();
        assert_eq!(
            names,
            [
                "alpha.a_passes Ok",
                "alpha.b_fails NotOk",
                "beta.c_skips Skip"
            ]
        );
        let cases = k.cases();
        assert_eq!(
            cases[1].reason().unwrap(),
            "not ok 2 b_fails: b_fails: EXPECTATION FAILED at lib/alpha_kunit.c:67 / Expected 4 \
             == errors, but / errors == 3 (0x3)"
        );
        assert_eq!(cases[2].reason().unwrap(), "SKIP no hardware");
        assert_eq!(
            k.failure().unwrap(),
            "kunit: 1 of 3 case(s) failed, first: alpha.b_fails: not ok 2 b_fails: b_fails: \
             EXPECTATION FAILED at lib/alpha_kunit.c:67 / Expected 4 == errors, but / errors \
             == 3 (0x3)"
        );
        // the log lines are KUnit's, the guest's KTAP is not
        assert!(own.contains(&9) && own.contains(&10) && !own.contains(&22));
    }

    #[test]
    fn passing_suites_pass_and_a_truncated_stream_is_recorded() {
        let pass = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: alpha\n    1..1\n    ok 1 a_passes\nok 1 alpha\nRun /init as init process\n";
        let (k, _) = parse(&lines(pass));
        assert_eq!(k.failure(), None, "{k:?}");
        assert_eq!(k.count(KtapStatus::Ok), 1);

        // The kernel died (or the timeout hit) inside alpha's second case: no init line.
        let cut = "KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: alpha\n    1..3\n    ok 1 a_passes\n    ok 2 b_passes\n";
        let (k, _) = parse(&lines(cut));
        assert!(!k.problems.is_empty());
        assert_eq!(k.suites[0].status, KtapStatus::Missing);
        assert_eq!(k.suites[0].name, "alpha");
        let cases: Vec<(&str, KtapStatus)> = k
            .cases()
            .iter()
            .map(|c| (c.case.name.as_str(), c.case.status))
            .collect();
        assert_eq!(
            cases,
            [
                ("a_passes", KtapStatus::Ok),
                ("b_passes", KtapStatus::Ok),
                ("", KtapStatus::Missing)
            ]
        );
        assert_eq!(
            k.failure().unwrap(),
            "kunit: 1 of 3 case(s) failed, first: alpha.#3: never reported (the output ends)"
        );

        let (none, _) = parse(&lines("Linux version 6.12.0\nRun /init as init process\n"));
        assert_eq!(
            none.failure().unwrap(),
            "no KUnit output before init (no `KTAP version` line: the kernel ran no suites)"
        );
    }
}
