//! Booting real kernels with `kcross boot` from the integration tests (tests/runtime*.rs).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One guest at a time, across test processes too (nextest runs each test in its own):
/// a devdax guest maps ~3 GiB of backing file.
pub fn one_guest_at_a_time() -> kcross::util::FileLock {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qemu.lock");
    kcross::util::FileLock::acquire(&p).expect("the QEMU lock")
}
/// Results directories already reset by this run of the suite.
static RESET: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A results directory shared by the tests of one process that boot the same build: reset
/// once per process, so the first `kcross boot` builds (a no-op in the suite's warm build
/// dirs) and the others reuse it. Per process, because another process (nextest runs each
/// test in its own) may be using its own at the same moment.
pub fn shared_out(name: &str) -> PathBuf {
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
pub fn boot(out: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut cmd = super::kcross();
    cmd.arg("boot")
        .arg("--json")
        .arg("--out")
        .arg(out)
        // Tests of one process share `out` (shared_out): take turns on it.
        .arg("--wait")
        .args(args);
    let (code, stdout, stderr) = super::run(&mut cmd);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("no JSON on stdout ({e}); exit {code}\n{stdout}\n--- stderr\n{stderr}")
    });
    (code, v, stderr)
}

pub fn only_result(v: &Value) -> &Value {
    let r = v["results"].as_array().expect("results");
    assert_eq!(r.len(), 1, "{v:#}");
    &r[0]
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The test's KTAP diagnostics.
pub fn diagnostics(r: &Value) -> Vec<String> {
    strings(&r["ktap"][0]["diagnostics"])
}

/// No process still runs this boot's QEMU command line (its initramfs path is unique).
pub fn assert_no_qemu_left(r: &Value) {
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

/// The boot's findings, as `subject: detail`.
pub fn findings(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        f["subject"].as_str().unwrap_or_default(),
                        f["detail"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What linux-source-6.12 does, measured on x86_64 and powerpc64le alike: the PUDs survive
/// both mprotect() calls (no fault to use them again) and the forbidden accesses are
/// refused by the permissions of the VMA (SEGV_ACCERR).
pub const KEPT: [&str; 5] = [
    "fault-in: 3 faults for 3 GiB (1 GiB PUDs)",
    "pud: kept after mprotect(PROT_READ) (0 faults to read GiB 0 back)",
    "write to PROT_READ: refused, SIGSEGV SEGV_ACCERR",
    "read of PROT_NONE: refused, SIGSEGV SEGV_ACCERR",
    "pud: kept after mprotect back to PROT_READ|PROT_WRITE (0 faults to use GiB 0 and GiB 1 \
     again; data intact)",
];
