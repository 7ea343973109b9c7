//! The runtime stage on real kernels under QEMU (issue 6): `kcross boot` builds (or reuses)
//! the cells in the suite's shared cache, boots them with kcross's own initramfs, and the
//! verdicts are the truth of those kernels. One QEMU at a time (a lock), one boot per test.

mod common;

use common::boot::*;
use std::path::PathBuf;

#[test]
fn x86_64_on_6_12_passes_devdax_pud_mprotect_and_keeps_the_puds() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.12");
    let (code, v, err) = boot(&out, &["--arch", "x86_64"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["test"], "devdax-pud-mprotect");
    assert!(strings(&r["complaints"]).is_empty(), "{r:#}");
    assert_eq!(r["ktap"][0]["line"], "ok 1 devdax-pud-mprotect");
    assert_eq!(findings(r), KEPT, "{r:#}");
    let d = diagnostics(r);
    // the exact fault counts behind the findings
    for l in [
        "faulted 3 GiB in: 3 minor faults for 24 writes",
        "mprotect(GiB 0, PROT_READ), then a read of GiB 0: done, 0 faults",
        "mprotect(GiB 0 and 1, PROT_READ|PROT_WRITE), then a read and a write of each GiB: \
         0, 0, 0 faults (GiB 2: never mprotect()ed)",
    ] {
        assert!(d.iter().any(|x| x == l), "{l}\n{d:#?}");
    }
    assert!(
        d.iter().any(|l| l
            .starts_with("a write to the PROT_READ GiB 0: SIGSEGV (SEGV_ACCERR, si_code 2) at 0x")
            && l.ends_with(", 0 faults")),
        "{d:#?}"
    );
    assert_eq!(r["workarounds"], serde_json::json!([]), "x86_64 needs none");
    assert_eq!(r["powered_off"], true, "the guest powers off at the end");
    assert!(r["boot_s"].as_f64().unwrap() < 60.0);
    let log = PathBuf::from(r["console_log"].as_str().unwrap());
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("ok 1 devdax-pud-mprotect"));
    // per cell and per run, on disk; JUnit too, with the findings as properties
    let run_dir = PathBuf::from(v["out_dir"].as_str().unwrap());
    assert!(log.parent().unwrap().join("runtime.json").is_file());
    let junit = std::fs::read_to_string(run_dir.join("runtime-junit.xml")).unwrap();
    assert!(
        junit.contains("devdax-pud-mprotect") && !junit.contains("<failure"),
        "{junit}"
    );
    assert!(
        junit.contains(
            r#"<property name="finding.pud" value="kept after mprotect(PROT_READ) (0 faults to read GiB 0 back)"/>"#
        ),
        "{junit}"
    );
    assert_no_qemu_left(r);
}

/// What linux-source-6.1 does on x86_64, measured: change_protection() does not know huge
/// PUDs, says "bad pud" and clears them. The read of GiB 0 after mprotect(PROT_READ) faults
/// the PUD back in (read-only), which the mprotect() back to PROT_READ|PROT_WRITE meets and
/// clears again: three "bad pud" lines, one fault each to use GiB 0 and GiB 1 again. The
/// forbidden accesses are still refused (the VMA says so), and the data survives (it is on
/// the device).
const ZAPPED: [&str; 5] = [
    "fault-in: 3 faults for 3 GiB (1 GiB PUDs)",
    "pud: zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)",
    "write to PROT_READ: refused, SIGSEGV SEGV_ACCERR",
    "read of PROT_NONE: refused, SIGSEGV SEGV_ACCERR",
    "pud: zapped by mprotect (1 and 1 fault to use GiB 0 and GiB 1 again; data intact after \
     faulting back in)",
];

#[test]
fn x86_64_on_6_1_fails_devdax_pud_mprotect_the_puds_zapped_and_three_bad_pud_lines() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.1");
    let (code, v, err) = boot(&out, &["--arch", "x86_64", "--source", "linux-source-6.1"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "fail", "{r:#}\n{err}");
    assert_eq!(code, 1);
    // the guest's own measurement separates 6.1 from 6.12 ...
    assert_eq!(findings(r), ZAPPED, "{r:#}");
    let d = diagnostics(r);
    for l in [
        "faulted 3 GiB in: 3 minor faults for 24 writes",
        "mprotect(GiB 0, PROT_READ), then a read of GiB 0: done, 1 fault",
        "mprotect(GiB 0 and 1, PROT_READ|PROT_WRITE), then a read and a write of each GiB: \
         1, 1, 0 faults (GiB 2: never mprotect()ed)",
    ] {
        assert!(d.iter().any(|x| x == l), "{l}\n{d:#?}");
    }
    assert_eq!(
        r["ktap"][0]["line"],
        "not ok 1 devdax-pud-mprotect # mprotect(PROT_READ) zapped the PUD of GiB 0: 1 fault \
         to read it back"
    );
    // ... and so, independently, does the kernel's complaint: two PUDs cleared by the first
    // two mprotect() calls, the refaulted read-only one by the third
    let c = strings(&r["complaints"]);
    assert_eq!(c.len(), 3, "{c:#?}");
    for l in &c {
        assert!(
            l.starts_with("mm/pgtable-generic.c:") && l.contains(": bad pud "),
            "{l}"
        );
    }
    assert!(r["reason"]
        .as_str()
        .unwrap()
        .starts_with("3 kernel complaint(s), first: mm/pgtable-generic.c:39: bad pud "));
    assert_eq!(
        d.iter().filter(|l| l.contains("bad pud")).count(),
        3,
        "the guest read them from /dev/kmsg too: {d:#?}"
    );
    let junit = std::fs::read_to_string(
        PathBuf::from(v["out_dir"].as_str().unwrap()).join("runtime-junit.xml"),
    )
    .unwrap();
    assert!(
        junit.contains("<failure") && junit.contains("bad pud"),
        "{junit}"
    );
    assert!(
        junit.contains(
            r#"<property name="finding.pud" value="zapped by mprotect(PROT_READ) (1 fault to read GiB 0 back)"/>"#
        ),
        "{junit}"
    );
    assert_no_qemu_left(r);
}

#[test]
fn a_failing_guest_test_is_reported_failed_with_its_ktap_line() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.12");
    let (code, v, err) = boot(&out, &["--arch", "x86_64", "--test", "selftest-fail"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "fail", "{r:#}\n{err}");
    assert_eq!(code, 1);
    let line = "not ok 1 selftest-fail # deliberate failure (selftest)";
    assert_eq!(r["reason"], line);
    assert_eq!(r["ktap"][0]["line"], line);
    assert_eq!(r["ktap"][0]["status"], "not-ok");
    assert!(strings(&r["complaints"]).is_empty());
    assert_eq!(r["powered_off"], true);
}

#[test]
fn a_kernel_that_cannot_find_init_is_a_boot_failure_not_a_hang() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.12");
    let (code, v, err) = boot(
        &out,
        &[
            "--arch",
            "x86_64",
            "--test",
            "boot",
            "--kernel-arg",
            "rdinit=/nonexistent",
            "--timeout",
            "120",
        ],
    );
    let r = only_result(&v);
    assert_eq!(r["verdict"], "boot-failure", "{r:#}\n{err}");
    assert_eq!(code, 1);
    let reason = r["reason"].as_str().unwrap();
    assert!(reason.contains("Kernel panic - not syncing"), "{reason}");
    assert_eq!(r["timed_out"], false, "panic=-1 ends the guest at once");
    assert!(r["total_s"].as_f64().unwrap() < 120.0);
    assert!(r["ktap"].as_array().unwrap().is_empty());
    assert_no_qemu_left(r);
}

#[test]
fn a_kernel_that_hangs_is_killed_at_the_timeout() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.12");
    // panic=0: the kernel waits forever after its panic; only the timeout ends QEMU
    let t0 = std::time::Instant::now();
    let (code, v, err) = boot(
        &out,
        &[
            "--arch",
            "x86_64",
            "--test",
            "boot",
            "--kernel-arg",
            "rdinit=/nonexistent",
            "--kernel-arg",
            "panic=0",
            "--timeout",
            "15",
        ],
    );
    let r = only_result(&v);
    assert_eq!(r["verdict"], "boot-failure", "{r:#}\n{err}");
    assert_eq!(code, 1);
    assert_eq!(r["timed_out"], true);
    assert!(r["reason"].as_str().unwrap().contains("timeout"), "{r:#}");
    let total = r["total_s"].as_f64().unwrap();
    assert!((15.0..30.0).contains(&total), "{total}");
    assert!(t0.elapsed().as_secs() < 240);
    assert_no_qemu_left(r);
}
