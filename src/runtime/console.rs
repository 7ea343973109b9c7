//! The console log scanned for kernel complaints, whatever the tests say: every line that
//! carries one of `COMPLAINTS` is a failure, quoted. KTAP lines (the tests' own words,
//! which may quote the kernel) are left to the KTAP parser.

use super::ktap::console_lines;
use std::collections::BTreeSet;

/// What the kernel prints when something is wrong (matched case-sensitively, anywhere in a
/// line).
pub const COMPLAINTS: &[&str] = &[
    "bad pud",
    "bad pmd",
    "bad p4d",
    "bad pgd",
    "BUG:",
    "kernel BUG at",
    "WARNING:",
    "Oops",
    "Kernel panic",
    "Call Trace",
    "Unable to handle kernel",
];

/// At most this many complaint lines are kept (a storm of oopses is still one failure).
pub const MAX_COMPLAINTS: usize = 100;

/// Complaint lines of the console (trimmed), in order; `ktap_lines` are skipped.
pub fn complaints(console: &str, ktap_lines: &BTreeSet<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let mut more = 0usize;
    for (i, line) in console_lines(console).iter().enumerate() {
        if ktap_lines.contains(&i) {
            continue;
        }
        if COMPLAINTS.iter().any(|c| line.contains(c)) {
            if out.len() < MAX_COMPLAINTS {
                out.push(line.trim().to_string());
            } else {
                more += 1;
            }
        }
    }
    if more > 0 {
        out.push(format!(
            "... and {more} more complaint line(s) in the console log"
        ));
    }
    out
}

/// The last non-empty console lines (for a reason when nothing else explains an ending).
pub fn tail(console: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = console_lines(console)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ktap;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ktap")
            .join(name);
        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
    }

    #[test]
    fn bad_pud_lines_are_quoted_once() {
        let text = fixture("interleaved.log");
        let k = ktap::parse(&text);
        let c = complaints(&text, &k.ktap_lines);
        assert_eq!(
            c,
            [
                "mm/pgtable-generic.c:39: bad pud 00000001c00000e7.",
                "mm/pgtable-generic.c:39: bad pud 00000002000000e7."
            ]
        );
    }

    #[test]
    fn oops_and_panic() {
        let text = fixture("truncated.log");
        let k = ktap::parse(&text);
        let c = complaints(&text, &k.ktap_lines);
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c[0].starts_with("Oops: Exception in kernel mode, sig: 4"));
        assert_eq!(c[2], "Kernel panic - not syncing: Fatal exception");
    }

    #[test]
    fn clean_boot_and_command_line_are_not_complaints() {
        let text = fixture("pass.log");
        assert!(complaints(&text, &ktap::parse(&text).ktap_lines).is_empty());
        let nothing = BTreeSet::new();
        assert!(complaints(
            "Kernel command line: console=ttyS0 panic=-1 oops=panic\n",
            &nothing
        )
        .is_empty());
    }

    #[test]
    fn capped() {
        let text = "WARNING: x\n".repeat(MAX_COMPLAINTS + 5);
        let c = complaints(&text, &BTreeSet::new());
        assert_eq!(c.len(), MAX_COMPLAINTS + 1);
        assert!(c.last().unwrap().contains("5 more"));
        assert_eq!(tail("a\n\nb\nc\n", 2), ["b", "c"]);
    }
}
