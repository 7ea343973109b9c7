//! The verdict of one boot: the console's KTAP (the guest's own results) and its kernel
//! complaints, with how QEMU ended, become `Pass`, `Fail`, `Skipped` or `BootFailure` and a
//! one-line reason. Pure: no QEMU, no files.

use super::ktap::{self, KtapStatus};
use super::{console, qemu, BootResult, BootVerdict};
use std::path::Path;
use std::time::Duration;

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
    let mut k = ktap::parse(&run.console);
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
        let p = j(&fixture("pass.log"), "devdax-pud-mprotect", false);
        assert_eq!(p.verdict, BootVerdict::Pass, "{p:?}");
        assert_eq!(p.reason, None);

        let f = j(&fixture("fail.log"), "selftest-fail", false);
        assert_eq!(f.verdict, BootVerdict::Fail);
        assert_eq!(
            f.reason.as_deref(),
            Some("not ok 2 selftest-fail # deliberate failure (selftest)")
        );

        let b = j(&fixture("interleaved.log"), "devdax-pud-mprotect", false);
        assert_eq!(b.verdict, BootVerdict::Fail);
        assert_eq!(b.complaints.len(), 2);
        assert!(b.reason.unwrap().contains("bad pud"));

        let n = j(&fixture("no-header.log"), "boot", false);
        assert_eq!(n.verdict, BootVerdict::BootFailure);
        assert!(n
            .reason
            .unwrap()
            .contains("Kernel panic - not syncing: VFS"));

        let t = j(&fixture("truncated.log"), "devdax-pud-mprotect", false);
        assert_eq!(t.verdict, BootVerdict::Fail);
        assert_eq!(t.result().unwrap().status, KtapStatus::Missing);
        assert!(t.reason.unwrap().contains("Oops"));

        let h = j("KTAP version 1\n1..1\n# working\n", "boot", true);
        assert_eq!(h.verdict, BootVerdict::Fail);
        assert!(h.reason.unwrap().contains("timeout"), "hung guest");

        let s = j(&fixture("skip.log"), "devdax-pud-mprotect", false);
        assert_eq!(s.verdict, BootVerdict::Skipped);

        let e = j("", "boot", true);
        assert_eq!(e.verdict, BootVerdict::BootFailure);
        assert!(e.reason.unwrap().contains("console is empty"));
    }
}
