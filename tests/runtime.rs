//! The runtime stage on real kernels under QEMU (issue 6): `kcross boot` builds (or reuses)
//! the cells in the suite's shared cache, boots them with kcross's own initramfs, and the
//! verdicts are the truth of those kernels. One QEMU at a time (a lock), one boot per test.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One guest at a time, across test processes too (nextest runs each test in its own):
/// a devdax guest maps ~3 GiB of backing file.
fn one_guest_at_a_time() -> kcross::util::FileLock {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qemu.lock");
    kcross::util::FileLock::acquire(&p).expect("the QEMU lock")
}
/// Results directories already reset by this run of the suite.
static RESET: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A results directory shared by the tests of one process that boot the same build: reset
/// once per process, so the first `kcross boot` builds (a no-op in the suite's warm build
/// dirs) and the others reuse it. Per process, because another process (nextest runs each
/// test in its own) may be using its own at the same moment.
fn shared_out(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("out")
        .join(format!("{name}-{}", std::process::id()));
    let mut done = RESET.lock().unwrap();
    if !done.iter().any(|n| n == name) {
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        done.push(name.to_string());
    }
    p
}

/// `kcross boot --json` with `args`; returns (exit code, runtime summary, stderr).
fn boot(out: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut cmd = common::kcross();
    cmd.arg("boot")
        .arg("--json")
        .arg("--out")
        .arg(out)
        .args(args);
    let (code, stdout, stderr) = common::run(&mut cmd);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("no JSON on stdout ({e}); exit {code}\n{stdout}\n--- stderr\n{stderr}")
    });
    (code, v, stderr)
}

fn only_result(v: &Value) -> &Value {
    let r = v["results"].as_array().expect("results");
    assert_eq!(r.len(), 1, "{v:#}");
    &r[0]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The test's KTAP diagnostics.
fn diagnostics(r: &Value) -> Vec<String> {
    strings(&r["ktap"][0]["diagnostics"])
}

/// No process still runs this boot's QEMU command line (its initramfs path is unique).
fn assert_no_qemu_left(r: &Value) {
    let cmd = strings(&r["qemu_command"]);
    let initrd = cmd
        .iter()
        .position(|a| a == "-initrd")
        .map(|i| cmd[i + 1].clone())
        .expect("-initrd in the command");
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c);
            assert!(
                !c.contains(&initrd),
                "QEMU left running: pid {:?}",
                e.file_name()
            );
        }
    }
}

#[test]
fn x86_64_on_6_12_passes_devdax_pud_mprotect_and_the_write_gets_sigsegv() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.12");
    let (code, v, err) = boot(&out, &["--arch", "x86_64"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["test"], "devdax-pud-mprotect");
    assert!(strings(&r["complaints"]).is_empty(), "{r:#}");
    assert_eq!(r["ktap"][0]["line"], "ok 1 devdax-pud-mprotect");
    let d = diagnostics(r);
    assert!(
        d.iter()
            .any(|l| l == "write to the PROT_READ GiB: killed by SIGSEGV"),
        "{d:#?}"
    );
    // really PUD-mapped: 3 GiB in a handful of faults
    assert!(
        d.iter().any(|l| l.starts_with("faulted 3 GiB in: ")),
        "{d:#?}"
    );
    assert_eq!(r["powered_off"], true, "the guest powers off at the end");
    assert!(r["boot_s"].as_f64().unwrap() < 60.0);
    let log = PathBuf::from(r["console_log"].as_str().unwrap());
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("ok 1 devdax-pud-mprotect"));
    // per cell and per run, on disk; JUnit too
    let run_dir = PathBuf::from(v["out_dir"].as_str().unwrap());
    assert!(log.parent().unwrap().join("runtime.json").is_file());
    let junit = std::fs::read_to_string(run_dir.join("runtime-junit.xml")).unwrap();
    assert!(
        junit.contains("devdax-pud-mprotect") && !junit.contains("<failure"),
        "{junit}"
    );
    assert_no_qemu_left(r);
}

#[test]
fn x86_64_on_6_1_fails_devdax_pud_mprotect_quoting_the_two_bad_pud_lines() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-x86_64-6.1");
    let (code, v, err) = boot(&out, &["--arch", "x86_64", "--source", "linux-source-6.1"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "fail", "{r:#}\n{err}");
    assert_eq!(code, 1);
    let c = strings(&r["complaints"]);
    assert_eq!(c.len(), 2, "{c:#?}");
    for l in &c {
        assert!(
            l.starts_with("mm/pgtable-generic.c:") && l.contains(": bad pud "),
            "{l}"
        );
    }
    assert!(r["reason"].as_str().unwrap().contains("bad pud"));
    // the guest test saw them too, and the write was still killed
    assert!(r["ktap"][0]["line"]
        .as_str()
        .unwrap()
        .starts_with("not ok 1 devdax-pud-mprotect # "));
    let d = diagnostics(r);
    assert_eq!(
        d.iter().filter(|l| l.contains("bad pud")).count(),
        2,
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|l| l == "write to the PROT_READ GiB: killed by SIGSEGV"),
        "{d:#?}"
    );
    let junit = std::fs::read_to_string(
        PathBuf::from(v["out_dir"].as_str().unwrap()).join("runtime-junit.xml"),
    )
    .unwrap();
    assert!(
        junit.contains("<failure") && junit.contains("bad pud"),
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

#[test]
fn powerpc64le_passes_devdax_pud_mprotect_with_the_info_block_written_by_kcross() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-powerpc64le-6.12");
    let (code, v, err) = boot(&out, &["--arch", "ppc64le"]);
    let r = only_result(&v);
    assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
    assert_eq!(code, 0);
    assert!(strings(&r["complaints"]).is_empty());
    let d = diagnostics(r);
    assert!(
        d.iter()
            .any(|l| l.starts_with("kcross wrote the device-dax info block")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|l| l == "write to the PROT_READ GiB: killed by SIGSEGV"),
        "{d:#?}"
    );
    assert_no_qemu_left(r);
}

/// What the platform lacks, as evidence: without the info block written by kcross, the
/// guest kernel writes it itself and QEMU's TCG cannot run its `dcbstps`.
#[test]
fn powerpc64le_binding_dax_pmem_oopses_under_tcg_when_the_kernel_writes_the_info_block() {
    let _q = one_guest_at_a_time();
    let out = shared_out("runtime-powerpc64le-6.12");
    let data = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("toolchains-ppc-kernel-writes");
    std::fs::create_dir_all(data.join("arch")).unwrap();
    let arch =
        std::fs::read_to_string(common::repo().join("toolchains/arch/powerpc64le.toml")).unwrap();
    assert!(arch.contains("nvdimm_dax_info = true"));
    std::fs::write(
        data.join("arch/powerpc64le.toml"),
        arch.replace("nvdimm_dax_info = true", "nvdimm_dax_info = false"),
    )
    .unwrap();
    let (code, v, err) = boot(
        &out,
        &["--arch", "ppc64le", "--toolchains", data.to_str().unwrap()],
    );
    let r = only_result(&v);
    assert_eq!(r["verdict"], "fail", "{r:#}\n{err}");
    assert_eq!(code, 1);
    let c = strings(&r["complaints"]);
    assert!(
        c.iter()
            .any(|l| l.starts_with("Oops: Exception in kernel mode, sig: 4")),
        "{c:#?}"
    );
    assert!(
        c.iter()
            .any(|l| l.starts_with("Kernel panic - not syncing: Fatal exception")),
        "{c:#?}"
    );
    // the guest was binding the dax device when it died
    let log = std::fs::read_to_string(r["console_log"].as_str().unwrap()).unwrap();
    assert!(log.contains("to dax_pmem"), "{log}");
    // the illegal instruction is dcbstps (dcbf L=6): `<7cc018ac>` in the oops's Code: line
    assert!(
        log.lines()
            .any(|l| l.starts_with("Code: ") && l.contains("<7cc018ac>")),
        "{log}"
    );
    assert_eq!(r["ktap"][0]["status"], "missing");
    assert_no_qemu_left(r);
}
