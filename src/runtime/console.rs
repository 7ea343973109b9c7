//! The console log scanned for kernel complaints, whatever the tests say: every line that
//! carries one of `COMPLAINTS` is a failure, quoted. KTAP lines (the tests' own words,
//! which may quote the kernel) are left to the KTAP parser.

use super::ktap::console_lines;
use std::collections::BTreeSet;

/// One kind of kernel complaint: the fragments a line must contain, in this order
/// (case-sensitive, anywhere in the line, so a printk timestamp or a syslog prefix before
/// them does not matter).
#[derive(Debug, Clone, Copy)]
pub struct Complaint {
    /// What it is, for people.
    pub what: &'static str,
    pub fragments: &'static [&'static str],
}

impl Complaint {
    pub fn matches(&self, line: &str) -> bool {
        let mut rest = line;
        for f in self.fragments {
            match rest.find(f) {
                Some(i) => rest = &rest[i + f.len()..],
                None => return false,
            }
        }
        true
    }
}

const fn c(what: &'static str, fragments: &'static [&'static str]) -> Complaint {
    Complaint { what, fragments }
}

/// What the kernel prints when something is wrong. `BUG:` also covers `BUG: KASAN: ...`,
/// `BUG: soft lockup - CPU#0 stuck ...`, `BUG: unable to handle page fault ...`. A user
/// process's general protection fault (`traps: prog[1] general protection fault ip:...`)
/// is not the kernel's: only the kernel's `general protection fault:` / `..., probably for
/// non-canonical address` is matched. Boot banners such as `kasan: KernelAddressSanitizer
/// initialized`, `rcu: Hierarchical RCU implementation.` or `rcu: RCU CPU stall warnings
/// timeout set to 21` match none of these.
pub const COMPLAINTS: &[Complaint] = &[
    c("bad page table entry", &["bad pud"]),
    c("bad page table entry", &["bad pmd"]),
    c("bad page table entry", &["bad p4d"]),
    c("bad page table entry", &["bad pgd"]),
    c("memory error (KASAN)", &["KASAN:"]),
    c("undefined behaviour (UBSAN)", &["UBSAN:"]),
    c("soft lockup", &["soft lockup - CPU"]),
    c("BUG_ON", &["kernel BUG at"]),
    c("BUG", &["BUG:"]),
    c("warning", &["WARNING:"]),
    c("oops", &["Oops"]),
    c("panic", &["Kernel panic"]),
    c("backtrace", &["Call Trace"]),
    c("unhandled kernel fault", &["Unable to handle kernel"]),
    c("general protection fault", &["general protection fault:"]),
    c("general protection fault", &["general protection fault,"]),
    c("hung task", &["INFO: task ", " blocked for more than "]),
    c("RCU stall", &["INFO: rcu", "stall"]),
];

/// The first kind of complaint `line` carries.
pub fn complaint_in(line: &str) -> Option<&'static Complaint> {
    COMPLAINTS.iter().find(|c| c.matches(line))
}

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
        if complaint_in(line).is_some() {
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

    /// A real kernel log excerpt (tests/fixtures/console/README.md says where from).
    fn excerpt(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/console")
            .join(name);
        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
    }

    /// The complaint lines of an excerpt, each with the kind it was taken for.
    fn kinds(name: &str) -> Vec<(String, &'static str)> {
        complaints(&excerpt(name), &BTreeSet::new())
            .into_iter()
            .map(|l| {
                let what = complaint_in(&l).expect("a complaint line").what;
                (l, what)
            })
            .collect()
    }

    fn owned(v: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        v.iter().map(|(l, w)| (l.to_string(), *w)).collect()
    }

    #[test]
    fn sanitizer_reports_are_complaints() {
        assert_eq!(
            kinds("ubsan.log"),
            owned(&[
                (
                    "[   78.016071] UBSAN: shift-out-of-bounds in ./include/linux/log2.h:57:13",
                    "undefined behaviour (UBSAN)"
                ),
                ("[   78.016083] Call Trace:", "backtrace"),
            ])
        );
        assert_eq!(
            kinds("kasan.log"),
            owned(&[
                (
                    "[1502.527398][T14140] BUG: KASAN: slab-use-after-free in kernfs_test_super \
                     (fs/kernfs/mount.c:286)",
                    "memory error (KASAN)"
                ),
                ("[ 1502.558322][T14140] Call Trace:", "backtrace"),
            ])
        );
        // KASAN's null-ptr-deref line has no "BUG:" before it
        assert_eq!(
            kinds("gpf-kasan-null.log"),
            owned(&[
                (
                    "general protection fault, probably for non-canonical address \
                     0xdffffc0000000000: 0000 [#1] PREEMPT DEBUG_PAGEALLOC KASAN",
                    "general protection fault"
                ),
                (
                    "KASAN: null-ptr-deref in range [0x0000000000000000-0x0000000000000007]",
                    "memory error (KASAN)"
                ),
            ])
        );
    }

    #[test]
    fn crashes_are_complaints() {
        assert_eq!(
            kinds("kernel-bug.log"),
            owned(&[
                (
                    "[ 8638.470712] kernel BUG at fs/iomap/buffered-io.c:1061!",
                    "BUG_ON"
                ),
                (
                    "[ 8638.470722] Oops: invalid opcode: 0000 [#1] SMP NOPTI",
                    "oops"
                ),
            ])
        );
        assert_eq!(
            kinds("gpf.log"),
            owned(&[(
                "Jul 09 23:44:05 knx kernel: general protection fault: 0000 [#1] SMP",
                "general protection fault"
            )])
        );
        assert_eq!(
            kinds("unable-to-handle.log"),
            owned(&[
                (
                    "[    3.792789] Unable to handle kernel NULL pointer dereference at virtual \
                     address 0000000000000000",
                    "unhandled kernel fault"
                ),
                (
                    "[    3.797203] Internal error: Oops: 96000004 [#1] PREEMPT SMP",
                    "oops"
                ),
            ])
        );
    }

    #[test]
    fn hangs_and_stalls_are_complaints() {
        assert_eq!(
            kinds("hung-task.log"),
            owned(&[
                (
                    "[26825.855448] INFO: task kworker/2:1:5747 blocked for more than 120 seconds.",
                    "hung task"
                ),
                (
                    "[26825.873379] INFO: task ntpd:11794 blocked for more than 120 seconds.",
                    "hung task"
                ),
            ])
        );
        assert_eq!(
            kinds("rcu-stall.log"),
            owned(&[(
                "[   89.892668] rcu: INFO: rcu_sched self-detected stall on CPU",
                "RCU stall"
            )])
        );
        assert_eq!(
            kinds("rcu-stalls-detected.log"),
            owned(&[(
                "[  103.087243] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
                "RCU stall"
            )])
        );
        assert_eq!(
            kinds("soft-lockup.log"),
            owned(&[(
                "[53021.381908] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [cc1plus:171665]",
                "soft lockup"
            )])
        );
    }

    /// Lines that look alike but are not the kernel complaining.
    #[test]
    fn banners_and_user_faults_are_not_complaints() {
        let none = BTreeSet::new();
        assert_eq!(
            complaints(&excerpt("rcu-boot.log"), &none),
            Vec::<String>::new()
        );
        assert_eq!(
            complaints(&excerpt("user-gpf.log"), &none),
            Vec::<String>::new()
        );
        // the follow-up lines of a stall or a hung task are not complaints of their own
        let hung = excerpt("hung-task.log");
        let hint = hung.lines().nth(2).unwrap();
        assert!(hint.contains("hung_task_timeout_secs") && complaint_in(hint).is_none());
        let stall = excerpt("rcu-stall.log");
        assert_eq!(
            stall.lines().filter(|l| complaint_in(l).is_some()).count(),
            1
        );
        // fragments in the wrong order are no match
        let kind = COMPLAINTS.iter().find(|c| c.what == "hung task").unwrap();
        assert!(!kind.matches("blocked for more than 120 seconds: INFO: task x"));
    }

    #[test]
    fn bad_pud_lines_are_quoted_once() {
        // the real 6.1 console: the kernel's three lines, not the test's "# kernel log:" quotes
        let text = fixture("devdax-x86_64-6.1.log");
        let k = ktap::parse(&text);
        let c = complaints(&text, &k.ktap_lines);
        assert_eq!(
            c,
            [
                "mm/pgtable-generic.c:39: bad pud (____ptrval____)(84000001400000e7)",
                "mm/pgtable-generic.c:39: bad pud (____ptrval____)(84000001800000e7)",
                "mm/pgtable-generic.c:39: bad pud (____ptrval____)(84000001400000a5)"
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
        assert_eq!(c[1], "Call Trace:");
        assert_eq!(c[2], "Kernel panic - not syncing: Fatal exception");
    }

    #[test]
    fn clean_boot_and_command_line_are_not_complaints() {
        let text = fixture("devdax-x86_64-6.12.log");
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
