//! The verdict of one boot: the console's KTAP (the guest's own results) and its kernel
//! complaints, with how QEMU ended, become `Pass`, `Fail`, `Skipped` or `BootFailure` and a
//! one-line reason; the test's `# finding: <subject>: <detail>` diagnostics become its
//! `findings`, whatever the verdict. Pure: no QEMU, no files.

use super::ktap::{self, KtapStatus};
use super::kunit;
use super::{console, qemu, BootResult, BootVerdict, Finding};
use std::path::Path;
use std::time::Duration;

/// The marker of a finding among a test's KTAP diagnostics.
pub const FINDING: &str = "finding: ";

/// The findings among a test's diagnostics: `finding: <subject>: <detail>` (a line without a
/// subject is all detail, under the subject `finding`).
pub fn findings(diagnostics: &[String]) -> Vec<Finding> {
    diagnostics
        .iter()
        .filter_map(|d| d.trim().strip_prefix(FINDING))
        .map(|f| match f.split_once(": ") {
            Some((subject, detail)) => Finding {
                subject: subject.trim().to_string(),
                detail: detail.trim().to_string(),
            },
            None => Finding {
                subject: "finding".to_string(),
                detail: f.trim().to_string(),
            },
        })
        .collect()
}

/// The verdict of one boot, from what the console and QEMU showed.
pub fn judge(
    cell: &str,
    arch: &str,
    test: &str,
    image: &Path,
    log: &Path,
    timeout: Duration,
    run: qemu::BootRun,
) -> BootResult {
    let lines = ktap::console_lines(&run.console);
    // The guest's KTAP follows the kernel's `Run /init as init process`: before it, the
    // kernel may print its own (KUnit's).
    let guest_from = kunit::init_line(&lines).unwrap_or(0);
    let mut k = ktap::parse_lines(&lines, guest_from..lines.len());
    let is_kunit = super::guest_test(test).is_some_and(|t| t.kunit);
    let kunit_run = is_kunit.then(|| {
        let (run, own) = kunit::parse(&lines);
        k.ktap_lines.extend(own);
        run
    });
    // The guest ran this one test: a result the output never gave is this test's.
    for r in k.results.iter_mut() {
        if r.status == KtapStatus::Missing && r.name.is_empty() && r.number == 1 {
            r.name = test.to_string();
        }
    }
    let complaints = console::complaints(&run.console, &k.ktap_lines);
    let ended = if run.timed_out {
        format!(
            "no end within the {} s timeout (QEMU killed)",
            timeout.as_secs()
        )
    } else if let Some(c) = run.exit_code {
        format!("QEMU exited with status {c}")
    } else {
        "QEMU was killed".to_string()
    };
    let (verdict, reason) = if k.version.is_none() {
        // Never reached init: a boot failure, explained by the kernel if it said something.
        let why = complaints
            .iter()
            .find(|c| c.contains("Kernel panic"))
            .or(complaints.first())
            .cloned()
            .or_else(|| {
                run.qemu_stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| format!("QEMU: {}", l.trim()))
            })
            .or_else(|| {
                console::tail(&run.console, 1)
                    .pop()
                    .map(|l| format!("last console line: {l}"))
            });
        let reason = match why {
            Some(w) => format!("the kernel did not reach init ({ended}): {w}"),
            None => format!("the kernel did not reach init ({ended}); the console is empty"),
        };
        (BootVerdict::BootFailure, reason)
    } else {
        let r = k.result(test);
        match r {
            _ if !complaints.is_empty() => (
                BootVerdict::Fail,
                format!(
                    "{} kernel complaint(s), first: {}{}",
                    complaints.len(),
                    complaints[0],
                    match r {
                        Some(r) if r.status == KtapStatus::NotOk =>
                            format!("; and the test said: {}", r.line),
                        _ => String::new(),
                    }
                ),
            ),
            Some(r) if r.status == KtapStatus::NotOk => (BootVerdict::Fail, r.line.clone()),
            Some(r) if r.status == KtapStatus::Skip => (
                BootVerdict::Skipped,
                r.directive.clone().unwrap_or_else(|| r.line.clone()),
            ),
            Some(r) if r.status == KtapStatus::Ok && k.problems.is_empty() && !run.timed_out => {
                (BootVerdict::Pass, String::new())
            }
            Some(r) if r.status == KtapStatus::Ok && run.timed_out => (
                BootVerdict::Fail,
                format!("{} but the guest then hung: {ended}", r.line),
            ),
            Some(r) if r.status == KtapStatus::Ok => (
                BootVerdict::Fail,
                format!(
                    "{}, but the KTAP is malformed: {}",
                    r.line,
                    k.problems.join("; ")
                ),
            ),
            _ => (
                BootVerdict::Fail,
                format!(
                    "no result for {test} ({ended}){}",
                    match k.problems.first() {
                        Some(p) => format!(": {p}"),
                        None => String::new(),
                    }
                ),
            ),
        }
    };
    // Killed at the timeout with nothing else to blame (no kernel complaint, no `not ok`):
    // the verdict is the timeout; the reason keeps what the guest got to.
    let not_ok = k
        .result(test)
        .is_some_and(|r| r.status == KtapStatus::NotOk);
    let verdict = if run.timed_out && complaints.is_empty() && !not_ok {
        BootVerdict::Timeout
    } else {
        verdict
    };
    // A KUnit boot that the guest passed is judged by the kernel's suites.
    let (verdict, reason) = match &kunit_run {
        Some(kr) if verdict == BootVerdict::Pass => match kr.failure() {
            Some(why) => (BootVerdict::Fail, why),
            None if kr.all_skipped() => (
                BootVerdict::Skipped,
                "kunit: every suite was skipped".to_string(),
            ),
            None => (verdict, reason),
        },
        _ => (verdict, reason),
    };
    let findings = k
        .result(test)
        .map(|r| findings(&r.diagnostics))
        .unwrap_or_default();
    BootResult {
        cell: cell.to_string(),
        arch: arch.to_string(),
        test: test.to_string(),
        verdict,
        reason: if reason.is_empty() {
            None
        } else {
            Some(reason)
        },
        ktap: k.results,
        ktap_problems: k.problems,
        complaints,
        findings,
        workarounds: Vec::new(),
        kunit: kunit_run,
        boot_s: run.boot_s,
        test_s: run.test_s,
        total_s: run.total_s,
        timed_out: run.timed_out,
        powered_off: run.powered_off,
        qemu_exit: run.exit_code,
        qemu_peak_rss_kib: run.peak_rss_kib,
        console_log: Some(log.to_path_buf()),
        image: Some(image.to_path_buf()),
        qemu_command: run.command,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::runtime) fn run_of(
        console: &str,
        timed_out: bool,
        exit: Option<i32>,
    ) -> qemu::BootRun {
        qemu::BootRun {
            console: console.to_string(),
            qemu_stderr: String::new(),
            exit_code: exit,
            timed_out,
            powered_off: !timed_out,
            finished: console.contains(qemu::END_MARKER),
            boot_s: Some(1.0),
            test_s: Some(1.0),
            total_s: 2.0,
            peak_rss_kib: None,
            command: Vec::new(),
        }
    }

    fn fixture(name: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ktap")
            .join(name);
        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
    }

    fn j(console: &str, test: &str, timed_out: bool) -> BootResult {
        let exit = if timed_out { None } else { Some(0) };
        judge(
            "c",
            "x86_64",
            test,
            Path::new("/i"),
            Path::new("/l"),
            Duration::from_secs(300),
            run_of(console, timed_out, exit),
        )
    }

    #[test]
    fn verdicts() {
        let p = j(
            &fixture("devdax-x86_64-6.12.log"),
            "devdax-pud-mprotect",
            false,
        );
        assert_eq!(p.verdict, BootVerdict::Pass, "{p:?}");
        assert_eq!(p.reason, None);

        let f = j(&fixture("fail.log"), "selftest-fail", false);
        assert_eq!(f.verdict, BootVerdict::Fail);
        assert_eq!(
            f.reason.as_deref(),
            Some("not ok 1 selftest-fail # deliberate failure (selftest)")
        );

        let b = j(
            &fixture("devdax-x86_64-6.1.log"),
            "devdax-pud-mprotect",
            false,
        );
        assert_eq!(b.verdict, BootVerdict::Fail);
        assert_eq!(b.complaints.len(), 3);
        assert!(b.reason.unwrap().contains("bad pud"));

        let n = j(&fixture("no-header.log"), "boot", false);
        assert_eq!(n.verdict, BootVerdict::BootFailure);
        assert!(n
            .reason
            .unwrap()
            .contains("Kernel panic - not syncing: VFS: Unable to mount root fs"));

        let t = j(&fixture("truncated.log"), "devdax-pud-mprotect", false);
        assert_eq!(t.verdict, BootVerdict::Fail);
        assert_eq!(t.result().unwrap().status, KtapStatus::Missing);
        assert!(t.reason.unwrap().contains("Oops"));

        let h = j("KTAP version 1\n1..1\n# working\n", "boot", true);
        assert_eq!(h.verdict, BootVerdict::Timeout);
        assert!(h.reason.unwrap().contains("timeout"), "hung guest");

        let s = j(&fixture("skip.log"), "devdax-pud-mprotect", false);
        assert_eq!(s.verdict, BootVerdict::Skipped);

        let e = j("", "boot", true);
        assert_eq!(e.verdict, BootVerdict::Timeout);
        assert!(e.reason.unwrap().contains("console is empty"));
    }

    // The cases below are built from console text, one behaviour each, with the exact
    // verdict and reason (any change to the judge's wording or precedence shows here).

    /// A console as the guest prints it: kernel lines, KTAP for one test (its diagnostics,
    /// kernel lines interleaved, its result line), then the end marker.
    fn console(diagnostics: &[&str], kernel: &[&str], result: &str) -> String {
        let mut c = String::from("Linux version 6.12.0 (kcross@host)\nRun /init as init process\n");
        c.push_str("KTAP version 1\n1..1\n");
        for d in diagnostics {
            c.push_str(&format!("# {d}\n"));
        }
        for k in kernel {
            c.push_str(&format!("{k}\n"));
        }
        c.push_str(&format!("{result}\n{}\n", qemu::END_MARKER));
        c
    }

    const BAD_PUD: &str = "mm/pgtable-generic.c:39: bad pud 00000001c00000e7.";

    #[test]
    fn a_passing_test_passes() {
        let r = j(
            &console(&["boot took 3 ms"], &[], "ok 1 boot"),
            "boot",
            false,
        );
        assert_eq!(r.verdict, BootVerdict::Pass, "{r:?}");
        assert_eq!(r.reason, None);
        assert_eq!(r.result().unwrap().status, KtapStatus::Ok);
        assert_eq!(r.result().unwrap().diagnostics, ["boot took 3 ms"]);
        assert!(r.complaints.is_empty() && r.ktap_problems.is_empty());
        assert_eq!(r.console_log.as_deref(), Some(Path::new("/l")));
        assert_eq!(r.image.as_deref(), Some(Path::new("/i")));
    }

    #[test]
    fn a_failing_ktap_case_fails_with_its_line() {
        let r = j(
            &console(
                &["mprotect(PROT_READ) on GiB 0: -EINVAL"],
                &[],
                "not ok 1 devdax-pud-mprotect # mprotect returned -EINVAL",
            ),
            "devdax-pud-mprotect",
            false,
        );
        assert_eq!(r.verdict, BootVerdict::Fail, "{r:?}");
        assert_eq!(
            r.reason.as_deref(),
            Some("not ok 1 devdax-pud-mprotect # mprotect returned -EINVAL")
        );
        assert_eq!(r.result().unwrap().status, KtapStatus::NotOk);
        assert!(r.complaints.is_empty());
    }

    #[test]
    fn a_bad_pud_line_fails_a_test_that_said_ok() {
        let test = "devdax-pud-mprotect";
        let ok = "ok 1 devdax-pud-mprotect";
        let r = j(&console(&[], &[BAD_PUD], ok), test, false);
        assert_eq!(
            r.result().unwrap().status,
            KtapStatus::Ok,
            "the test said ok"
        );
        assert_eq!(r.verdict, BootVerdict::Fail, "{r:?}");
        assert_eq!(r.complaints, [BAD_PUD]);
        assert_eq!(
            r.reason.as_deref(),
            Some(
                "1 kernel complaint(s), first: mm/pgtable-generic.c:39: bad pud 00000001c00000e7."
            )
        );

        // The same boot without the kernel's line passes, and the guest quoting the kernel
        // in a KTAP diagnostic is the test's word, not a complaint.
        let quoted = format!("kernel log: {BAD_PUD}");
        let clean = j(&console(&[&quoted], &[], ok), test, false);
        assert_eq!(clean.verdict, BootVerdict::Pass, "{clean:?}");
        assert!(clean.complaints.is_empty());
    }

    #[test]
    fn findings_are_the_tests_finding_lines_whatever_the_verdict() {
        let test = "devdax-pud-mprotect";
        let diags = [
            "faulted 3 GiB in: 3 minor faults for 24 writes",
            "finding: fault-in: 3 faults for 3 GiB (1 GiB PUDs)",
            "finding: pud: zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)",
            "kernel log: mm/pgtable-generic.c:39: bad pud 00000001c00000e7.",
        ];
        let want = [
            Finding {
                subject: "fault-in".into(),
                detail: "3 faults for 3 GiB (1 GiB PUDs)".into(),
            },
            Finding {
                subject: "pud".into(),
                detail: "zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)".into(),
            },
        ];
        let failed = "not ok 1 devdax-pud-mprotect # mprotect(PROT_READ) zapped the PUD";
        let f = j(&console(&diags, &[BAD_PUD], failed), test, false);
        assert_eq!(f.verdict, BootVerdict::Fail, "{f:?}");
        assert_eq!(f.findings, want);
        assert_eq!(
            f.findings[1].to_string(),
            "pud: zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)"
        );
        let p = j(
            &console(&diags[..3], &[], "ok 1 devdax-pud-mprotect"),
            test,
            false,
        );
        assert_eq!(p.verdict, BootVerdict::Pass, "{p:?}");
        assert_eq!(p.findings, want);
        // a test without finding lines has none; the judge never invents workarounds
        let b = j(
            &console(&["boot took 3 ms"], &[], "ok 1 boot"),
            "boot",
            false,
        );
        assert!(b.findings.is_empty() && b.workarounds.is_empty());
        assert_eq!(
            findings(&["finding: no subject here".to_string()]),
            [Finding {
                subject: "finding".into(),
                detail: "no subject here".into()
            }]
        );
    }

    /// Real consoles of the two kernels (tests/fixtures/ktap/README.md): the findings that
    /// separate them, and the complaints that do independently.
    #[test]
    fn the_real_6_12_and_6_1_consoles() {
        let test = "devdax-pud-mprotect";
        let kept = j(&fixture("devdax-x86_64-6.12.log"), test, false);
        assert_eq!(kept.verdict, BootVerdict::Pass, "{kept:?}");
        assert!(kept.complaints.is_empty());
        let zapped = j(&fixture("devdax-x86_64-6.1.log"), test, false);
        assert_eq!(zapped.verdict, BootVerdict::Fail, "{zapped:?}");
        assert_eq!(zapped.complaints.len(), 3, "{:?}", zapped.complaints);
        let differ: Vec<(String, String)> = kept
            .findings
            .iter()
            .zip(&zapped.findings)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(kept.findings.len(), 5);
        assert_eq!(zapped.findings.len(), 5);
        assert_eq!(
            differ,
            [
                (
                    "pud: kept after mprotect(PROT_READ) (0 faults to read GiB 0 back)".into(),
                    "pud: zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)".into()
                ),
                (
                    "pud: kept after mprotect back to PROT_READ|PROT_WRITE (0 faults to use \
                     GiB 0 and GiB 1 again; data intact)"
                        .into(),
                    "pud: zapped by mprotect (1 and 1 fault to use GiB 0 and GiB 1 again; data \
                     intact after faulting back in)"
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn a_kernel_that_never_reaches_init_is_a_boot_failure() {
        // The panic explains it, even after an earlier complaint.
        let panic = "Linux version 6.12.0 (kcross@host)\n\
            WARNING: CPU: 0 PID: 1 at init/main.c:1500 kernel_init+0x10/0x20\n\
            Kernel panic - not syncing: No working init found.\n\
            Call Trace:\n";
        let r = j(panic, "boot", false);
        assert_eq!(r.verdict, BootVerdict::BootFailure, "{r:?}");
        assert_eq!(
            r.reason.as_deref(),
            Some(
                "the kernel did not reach init (QEMU exited with status 0): \
                 Kernel panic - not syncing: No working init found."
            )
        );
        assert!(r.ktap.is_empty());
        assert_eq!(r.complaints.len(), 3);

        // Nothing the kernel said: QEMU's last word, else the console's.
        let mut quiet = run_of("Booting the kernel.\n", false, Some(1));
        let reason = |run: qemu::BootRun| {
            let d = Duration::from_secs(300);
            judge(
                "c",
                "x86_64",
                "boot",
                Path::new("/i"),
                Path::new("/l"),
                d,
                run,
            )
            .reason
        };
        assert_eq!(
            reason(quiet.clone()).as_deref(),
            Some(
                "the kernel did not reach init (QEMU exited with status 1): \
                 last console line: Booting the kernel."
            )
        );
        quiet.qemu_stderr = "qemu-system-x86_64: terminating on signal 15\n".into();
        assert_eq!(
            reason(quiet).as_deref(),
            Some(
                "the kernel did not reach init (QEMU exited with status 1): \
                 QEMU: qemu-system-x86_64: terminating on signal 15"
            )
        );
    }

    #[test]
    fn a_timeout_is_a_timeout_unless_the_kernel_or_the_test_said_more() {
        // Killed inside the test: the result the plan announced is missing.
        let test = "devdax-pud-mprotect";
        let hung = "KTAP version 1\n1..1\n# faulting 3 GiB in\n";
        let r = j(hung, test, true);
        assert_eq!(r.verdict, BootVerdict::Timeout, "{r:?}");
        assert!(r.timed_out);
        assert_eq!(r.result().unwrap().status, KtapStatus::Missing);
        assert_eq!(
            r.reason.as_deref(),
            Some(
                "no result for devdax-pud-mprotect (no end within the 300 s timeout (QEMU \
                 killed)): top level: the plan announced 1 test(s), 0 reported; test(s) 1..1 \
                 never reported (the output ends)"
            )
        );

        // Killed after the test said ok: still a timeout, the guest hung.
        let r = j("KTAP version 1\n1..1\nok 1 boot\n", "boot", true);
        assert_eq!(r.verdict, BootVerdict::Timeout, "{r:?}");
        assert_eq!(
            r.reason.as_deref(),
            Some(
                "ok 1 boot but the guest then hung: no end within the 300 s timeout (QEMU killed)"
            )
        );

        // Killed before init, silently: a timeout too.
        let r = j("Linux version 6.12.0 (kcross@host)\n", "boot", true);
        assert_eq!(r.verdict, BootVerdict::Timeout, "{r:?}");
        assert_eq!(
            r.reason.as_deref(),
            Some(
                "the kernel did not reach init (no end within the 300 s timeout (QEMU \
                 killed)): last console line: Linux version 6.12.0 (kcross@host)"
            )
        );

        // The counter-cases: what the kernel or the test said comes before the timeout.
        let panic = "Linux version 6.12.0\nKernel panic - not syncing: No working init found.\n";
        let r = j(panic, "boot", true);
        assert_eq!(r.verdict, BootVerdict::BootFailure, "{r:?}");
        let r = j(
            "KTAP version 1\n1..1\nnot ok 1 boot # broken\n",
            "boot",
            true,
        );
        assert_eq!(r.verdict, BootVerdict::Fail, "{r:?}");
        let r = j("KTAP version 1\n1..1\nok 1 boot\n", "boot", false);
        assert_eq!(r.verdict, BootVerdict::Pass, "{r:?}");
    }
}
