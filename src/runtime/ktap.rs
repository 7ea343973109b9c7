//! KTAP (and TAP 13/14) from a guest console, after the kernel's
//! tools/testing/kunit/kunit_parser.py: a `KTAP version N` / `TAP version N` header (found
//! anywhere in a line; the text before it is a prefix that later lines may carry, as do
//! printk timestamps), a plan `1..N`, results `ok N name [# directive]` / `not ok N ...`,
//! `# ` diagnostic lines (attached to the next result), and subtests indented by four spaces.
//!
//! Lines that are not KTAP (kernel messages interleaved on the console) are left alone.
//! Malformed input never panics: every oddity is recorded in `problems`, and tests the plan
//! announced but the output never reported become `missing` results.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum KtapStatus {
    Ok,
    NotOk,
    Skip,
    /// Announced by the plan, never reported (the guest stopped or hung).
    Missing,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KtapResult {
    pub number: u32,
    pub name: String,
    pub status: KtapStatus,
    /// The text after `#` on the result line (`SKIP reason`, or the failure reason).
    pub directive: Option<String>,
    /// The result line as the console showed it (prefix removed); empty when missing.
    pub line: String,
    /// The `# ` diagnostic lines printed before the result, without the `# `.
    pub diagnostics: Vec<String>,
    pub subtests: Vec<KtapResult>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KtapReport {
    /// `KTAP version 1`, `TAP version 13`, ...; None when the console has no KTAP at all.
    pub version: Option<String>,
    pub plan: Option<u32>,
    pub results: Vec<KtapResult>,
    /// Malformed or incomplete input, one sentence each (with the console line number).
    pub problems: Vec<String>,
    /// Diagnostics after the last top-level result.
    pub trailing: Vec<String>,
    /// 0-based console line of the header.
    pub header_line: Option<usize>,
    /// 0-based console lines that were KTAP (header, plans, results, diagnostics): the
    /// complaint scan leaves these to the tests.
    #[serde(skip)]
    pub ktap_lines: BTreeSet<usize>,
}

impl KtapReport {
    /// The top-level result of a test, by name.
    pub fn result(&self, name: &str) -> Option<&KtapResult> {
        self.results.iter().find(|r| r.name == name)
    }
}

/// The console split into lines the same way for every consumer (`\r` dropped).
pub fn console_lines(console: &str) -> Vec<&str> {
    console
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .collect()
}

struct Res {
    header: Regex,
    stamp: Regex,
    result: Regex,
    plan: Regex,
}

fn res() -> &'static Res {
    static R: OnceLock<Res> = OnceLock::new();
    R.get_or_init(|| Res {
        header: Regex::new(r"(K?TAP) version ([0-9]+)").unwrap(),
        stamp: Regex::new(r"^\[\s*[0-9]+\.[0-9]+\]\s?").unwrap(),
        result: Regex::new(
            r"^(ok|not ok)(?: +([0-9]+))?(?: +- +| +|$)([^#]*?)\s*(?:#\s*(.*?))?\s*$",
        )
        .unwrap(),
        plan: Regex::new(r"^1\.\.([0-9]+)\s*$").unwrap(),
    })
}

#[derive(Default)]
struct Level {
    results: Vec<KtapResult>,
    diags: Vec<String>,
    plan: Option<u32>,
    /// `# Subtest: name` seen at this level
    subtest_name: Option<String>,
}

fn status_of(ok: bool, directive: Option<&str>) -> KtapStatus {
    let d = directive.unwrap_or("").trim_start().to_ascii_uppercase();
    if d.starts_with("SKIP") || d.starts_with("TODO") {
        KtapStatus::Skip
    } else if ok {
        KtapStatus::Ok
    } else {
        KtapStatus::NotOk
    }
}

fn check_plan(level: &Level, what: &str, problems: &mut Vec<String>) {
    if let Some(p) = level.plan {
        let n = level.results.len() as u32;
        if n > p {
            problems.push(format!(
                "{what}: the plan announced {p} test(s), {n} were reported"
            ));
        }
    }
}

/// How many `missing` results one console may get in all: a plan is a number on a line
/// (`1..4294967295`), and a result per announced test would be allocated without bound.
/// Past this many, the problem says how many more were announced and never reported.
pub const MAX_MISSING: u32 = 1000;

/// Fill in the tests a plan announced that never reported (at most `budget` of them; the
/// budget is the console's, shared by every level).
fn add_missing(level: &mut Level, what: &str, problems: &mut Vec<String>, budget: &mut u32) {
    let Some(p) = level.plan else { return };
    let n = level.results.len() as u32;
    if n < p {
        let listed = (p - n).min(*budget);
        *budget -= listed;
        let unlisted = p - n - listed;
        problems.push(format!(
            "{what}: the plan announced {p} test(s), {n} reported; test(s) {}..{p} never reported (the output ends){}",
            n + 1,
            if unlisted > 0 {
                format!("; {unlisted} of them not listed as missing results (at most {MAX_MISSING} per console)")
            } else {
                String::new()
            }
        ));
        let mut diags = std::mem::take(&mut level.diags);
        for k in n + 1..=n + listed {
            level.results.push(KtapResult {
                number: k,
                name: String::new(),
                status: KtapStatus::Missing,
                directive: None,
                line: String::new(),
                diagnostics: std::mem::take(&mut diags),
                subtests: Vec::new(),
            });
        }
    }
}

/// Parse the KTAP in a console log. Never panics; see the module docs.
pub fn parse(console: &str) -> KtapReport {
    parse_lines(&console_lines(console), 0..usize::MAX)
}

/// Parse the KTAP of the console lines `range` (0-based; the end is clamped): the first
/// header in the range starts the stream, the range's end ends it. Line numbers in problems
/// and `ktap_lines` are the console's.
pub fn parse_lines(lines: &[&str], range: std::ops::Range<usize>) -> KtapReport {
    let r = res();
    let end = range.end.min(lines.len());
    let lines = &lines[..end];
    let mut rep = KtapReport::default();
    let Some((start, m)) = lines
        .iter()
        .enumerate()
        .skip(range.start)
        .find_map(|(i, l)| r.header.captures(l).map(|c| (i, c)))
    else {
        rep.problems
            .push("no KTAP output: no `KTAP version` / `TAP version` line on the console".into());
        return rep;
    };
    let whole = m.get(0).unwrap();
    let prefix = lines[start][..whole.start()].to_string();
    let version_n = m[2].to_string();
    rep.version = Some(whole.as_str().to_string());
    rep.header_line = Some(start);
    rep.ktap_lines.insert(start);
    let known = match &m[1] {
        "KTAP" => version_n == "1",
        _ => matches!(version_n.as_str(), "13" | "14"),
    };
    if !known {
        rep.problems.push(format!(
            "line {}: unknown version `{}`; parsing as KTAP version 1",
            start + 1,
            whole.as_str()
        ));
    }

    let mut levels: Vec<Level> = vec![Level::default()];
    let mut budget = MAX_MISSING;
    // The depth of the last KTAP line: an indented line inside a subtest that is not KTAP
    // (KUnit's failed expectation continues on such lines) is that subtest's log.
    let mut last_depth = 0;
    for (i, raw) in lines.iter().enumerate().skip(start + 1) {
        let no = i + 1;
        // Strip a printk timestamp, else the header's prefix.
        let mut text: &str = raw;
        if let Some(s) = r.stamp.find(text) {
            text = &text[s.end()..];
        } else if !prefix.is_empty() {
            if let Some(t) = text.strip_prefix(prefix.as_str()) {
                text = t;
            }
        }
        let spaces = text.len() - text.trim_start_matches(' ').len();
        let content = text.trim();
        if content.is_empty() {
            continue;
        }
        let depth = spaces / 4;
        // A second top-level header: another KTAP stream (a guest that ran init twice).
        if let Some(c) = r.header.captures(content) {
            if c.get(0).unwrap().start() == 0 {
                rep.ktap_lines.insert(i);
                if depth == 0 {
                    rep.problems.push(format!(
                        "line {no}: a second top-level `{}`: the guest started its tests again",
                        content
                    ));
                } else {
                    while levels.len() <= depth {
                        levels.push(Level::default());
                    }
                    last_depth = depth;
                }
                continue;
            }
        }
        let is_result = content.starts_with("ok") || content.starts_with("not ok");
        let is_plan = content.starts_with("1..");
        let is_diag = content.starts_with('#');
        if !(is_result || is_plan || is_diag) {
            if last_depth > 0 && depth >= last_depth && levels.len() > last_depth {
                rep.ktap_lines.insert(i);
                levels[last_depth].diags.push(content.to_string());
            }
            continue; // not KTAP: a kernel message, or a subtest's log
        }
        if is_result {
            // "ok" must be a word of its own ("okay ..." is not a result).
            let rest = content
                .strip_prefix("not ok")
                .or_else(|| content.strip_prefix("ok"))
                .unwrap_or("");
            if !(rest.is_empty() || rest.starts_with(' ')) {
                continue;
            }
        }
        rep.ktap_lines.insert(i);
        last_depth = depth;
        if !spaces.is_multiple_of(4) {
            rep.problems.push(format!(
                "line {no}: indented by {spaces} space(s), not a multiple of 4; taken as depth {depth}"
            ));
        }
        while levels.len() <= depth + 1 {
            levels.push(Level::default());
        }
        if is_diag {
            let d = content.trim_start_matches('#').trim_start();
            if let Some(name) = d.strip_prefix("Subtest:") {
                levels[depth].subtest_name = Some(name.trim().to_string());
            }
            levels[depth].diags.push(d.to_string());
            continue;
        }
        if is_plan {
            match r
                .plan
                .captures(content)
                .and_then(|c| c[1].parse::<u32>().ok())
            {
                Some(n) => {
                    if let Some(old) = levels[depth].plan {
                        rep.problems.push(format!(
                            "line {no}: a second plan `{content}` (the first said 1..{old}); keeping the first"
                        ));
                    } else {
                        levels[depth].plan = Some(n);
                    }
                }
                None => rep
                    .problems
                    .push(format!("line {no}: malformed plan `{content}`")),
            }
            continue;
        }
        // A result line.
        let Some(c) = r.result.captures(content) else {
            rep.problems
                .push(format!("line {no}: malformed result line `{content}`"));
            continue;
        };
        let ok = &c[1] == "ok";
        let number = match c.get(2).map(|m| m.as_str().parse::<u32>()) {
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                rep.problems.push(format!(
                    "line {no}: test number out of range in `{content}`"
                ));
                continue;
            }
            None => {
                rep.problems.push(format!(
                    "line {no}: result line without a test number `{content}`"
                ));
                continue;
            }
        };
        let name = c
            .get(3)
            .map(|m| m.as_str().trim().to_string())
            .unwrap_or_default();
        let directive = c
            .get(4)
            .map(|m| m.as_str().to_string())
            .filter(|s| !s.is_empty());
        if name.is_empty() {
            rep.problems
                .push(format!("line {no}: result {number} has no name"));
        }
        // Close the deeper levels: their results are this result's subtests.
        let mut subtests = Vec::new();
        if levels.len() > depth + 1 {
            let mut deeper: Vec<Level> = levels.drain(depth + 1..).collect();
            for (k, extra) in deeper.iter().enumerate().skip(1) {
                if !extra.results.is_empty() {
                    rep.problems.push(format!(
                        "line {no}: {} result(s) at depth {} have no parent result",
                        extra.results.len(),
                        depth + 1 + k
                    ));
                }
            }
            let child = &mut deeper[0];
            let what = format!("line {no}: subtests of `{name}`");
            check_plan(child, &what, &mut rep.problems);
            add_missing(child, &what, &mut rep.problems, &mut budget);
            if let Some(sub) = &child.subtest_name {
                if !name.is_empty() && sub != &name {
                    rep.problems.push(format!(
                        "line {no}: `# Subtest: {sub}` ends with a result named `{name}`"
                    ));
                }
            }
            subtests = std::mem::take(&mut child.results);
        }
        let level = &mut levels[depth];
        let expected = level.results.len() as u32 + 1;
        if number != expected {
            rep.problems.push(format!(
                "line {no}: test `{name}` has number {number}, expected {expected}"
            ));
        }
        let diagnostics = std::mem::take(&mut level.diags);
        level.results.push(KtapResult {
            number,
            name,
            status: status_of(ok, directive.as_deref()),
            directive,
            line: content.to_string(),
            diagnostics,
            subtests,
        });
    }
    // The end of the console: open subtests mean the guest stopped inside a test.
    let mut top = levels.remove(0);
    for (k, open) in levels.iter().enumerate() {
        if !open.results.is_empty() || open.plan.is_some() {
            rep.problems.push(format!(
                "the output ends inside a subtest at depth {} ({} result(s) without their parent's result)",
                k + 1,
                open.results.len()
            ));
        }
    }
    if top.plan.is_none() {
        rep.problems
            .push("no plan line (`1..N`) at the top level".into());
    }
    check_plan(&top, "top level", &mut rep.problems);
    rep.trailing = std::mem::take(&mut top.diags);
    if top.plan.is_some_and(|p| p as usize > top.results.len()) {
        top.diags = std::mem::take(&mut rep.trailing);
    }
    add_missing(&mut top, "top level", &mut rep.problems, &mut budget);
    // The test the output ended in (KUnit: the suite a crash or a timeout cut short): the
    // first missing result gets the open subtest's name and the results it did report.
    if let (Some(open), Some(m)) = (
        levels.first_mut(),
        top.results
            .iter_mut()
            .find(|r| r.status == KtapStatus::Missing),
    ) {
        if m.name.is_empty() {
            m.name = open.subtest_name.take().unwrap_or_default();
        }
        if !open.results.is_empty() || open.plan.is_some() {
            let what = format!("subtests of `{}`", m.name);
            add_missing(open, &what, &mut rep.problems, &mut budget);
            m.subtests = std::mem::take(&mut open.results);
        }
    }
    rep.plan = top.plan;
    rep.results = top.results;
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ktap")
            .join(name);
        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
    }

    // Every fixture but garbage.log and out-of-order.log is a real console capture
    // (tests/fixtures/ktap/README.md says which command made it).

    #[test]
    fn pass() {
        let r = parse(&fixture("devdax-x86_64-6.12.log"));
        assert_eq!(r.version.as_deref(), Some("KTAP version 1"));
        assert_eq!(r.plan, Some(1));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let t = r.result("devdax-pud-mprotect").unwrap();
        assert_eq!(t.status, KtapStatus::Ok);
        assert_eq!(t.line, "ok 1 devdax-pud-mprotect");
        assert!(t
            .diagnostics
            .iter()
            .any(|d| d == "finding: fault-in: 3 faults for 3 GiB (1 GiB PUDs)"));
        assert_eq!(r.trailing, ["kcross: powering off"]);
        // kernel lines are not KTAP; the KTAP lines are (0-based line numbers)
        assert!(
            !r.ktap_lines.contains(&196)
                && r.ktap_lines.contains(&197)
                && r.ktap_lines.contains(&216)
        );
    }

    #[test]
    fn fail_keeps_the_line_and_reason() {
        let r = parse(&fixture("fail.log"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.results.len(), 1);
        let f = r.result("selftest-fail").unwrap();
        assert_eq!(f.status, KtapStatus::NotOk);
        assert_eq!(f.number, 1);
        assert_eq!(
            f.line,
            "not ok 1 selftest-fail # deliberate failure (selftest)"
        );
        assert_eq!(
            f.directive.as_deref(),
            Some("deliberate failure (selftest)")
        );
        assert_eq!(f.diagnostics.len(), 2);
        // the kernel's power-off lines after it are not KTAP
        assert_eq!(r.trailing, ["kcross: powering off"]);
    }

    #[test]
    fn skip_with_its_reason() {
        let r = parse(&fixture("skip.log"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.results.len(), 1);
        assert_eq!(r.results[0].status, KtapStatus::Skip);
        assert_eq!(
            r.results[0].directive.as_deref(),
            Some(
                "SKIP this kernel offers no 1 GiB device-dax alignment (dax0.0 supports 4096 \
                 2097152): no PUD mappings to mprotect()"
            )
        );
    }

    #[test]
    fn nested_tap14_subtest_from_the_kunit_docs() {
        let r = parse(&fixture("nested.log"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.version.as_deref(), Some("TAP version 14"));
        assert_eq!(r.results.len(), 1);
        let ex = &r.results[0];
        assert_eq!((ex.name.as_str(), ex.status), ("example", KtapStatus::Ok));
        let st: Vec<_> = ex
            .subtests
            .iter()
            .map(|s| (s.name.as_str(), s.status))
            .collect();
        assert_eq!(st, [("example_simple_test", KtapStatus::Ok)]);
        // the TAP14 "# Subtest:" header is kept as a diagnostic of the nested block
        assert_eq!(
            ex.subtests[0].diagnostics,
            ["Subtest: example", "example_simple_test: initializing"]
        );
    }

    #[test]
    fn truncated_output_reports_missing_tests() {
        // powerpc64le's guest died binding the dax device (the oops of dcbstps under TCG)
        let r = parse(&fixture("truncated.log"));
        assert_eq!(r.results.len(), 1);
        assert!(r.results.iter().all(|t| t.status == KtapStatus::Missing));
        assert!(r.results[0]
            .diagnostics
            .iter()
            .any(|d| d.starts_with("binding dax0.0")));
        assert!(
            r.problems.iter().any(|p| p.contains("never reported")),
            "{:?}",
            r.problems
        );
        // the oops lines are not KTAP
        assert!(!r.ktap_lines.contains(&157));
    }

    #[test]
    fn no_header() {
        let r = parse(&fixture("no-header.log"));
        assert_eq!(r.version, None);
        assert!(r.results.is_empty());
        assert!(r.problems[0].contains("no KTAP output"));
        assert!(r.ktap_lines.is_empty());
    }

    #[test]
    fn garbage_is_recorded_not_fatal() {
        let r = parse(&fixture("garbage.log"));
        let p = r.problems.join("\n");
        for want in [
            "without a test number `ok`",
            "without a test number `not ok abc`",
            "malformed plan `1..x`",
            "a second plan",
            "has number 3, expected 2",
            "out of range",
            "result 2 has no name",
        ] {
            assert!(p.contains(want), "missing {want:?} in:\n{p}");
        }
        assert_eq!(r.plan, Some(3));
        assert_eq!(r.results.len(), 3);
    }

    #[test]
    fn interleaved_kernel_lines_are_not_ktap() {
        // 6.1: the kernel's "bad pud" lines land between the test's own lines
        let r = parse(&fixture("devdax-x86_64-6.1.log"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let t = r.result("devdax-pud-mprotect").unwrap();
        assert_eq!(t.status, KtapStatus::NotOk);
        assert!(!r.ktap_lines.contains(&203) && !r.ktap_lines.contains(&208));
        assert!(r.ktap_lines.contains(&211) && r.ktap_lines.contains(&218));
    }

    #[test]
    fn out_of_order_numbers() {
        let r = parse(&fixture("out-of-order.log"));
        let p = r.problems.join("\n");
        assert!(p.contains("`c` has number 3, expected 2"), "{p}");
        assert!(p.contains("announced 3 test(s), 4 were reported"), "{p}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let alphabet = [
            "ok ",
            "not ok ",
            "1..",
            "# ",
            "    ",
            "KTAP version 1\n",
            "\n",
            "9",
            "x",
            "#",
            "\r",
            "[ 1.0] ",
        ];
        for _ in 0..500 {
            let mut s = String::new();
            for _ in 0..40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = parse(&s);
        }
    }
}
