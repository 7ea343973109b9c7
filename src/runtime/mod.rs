//! Runtime stage: boot built kernels in QEMU and run guest tests.
//!
//! Built cells in (a `RunSummary`), `BootResult`s out: for every cell and test, one boot of
//! the cell's kernel with kcross's own initramfs (guest/*.c, cross-compiled statically for
//! the guest arch), the KTAP the guest prints parsed into results, and the console scanned
//! for kernel complaints whatever the tests say. How each arch boots is data (the `[qemu]`
//! table of toolchains/arch/*.toml). A guest test that fails, a kernel that panics or hangs
//! are verdicts; `Err` only when kcross itself cannot run (no QEMU, no guest compiler).
//!
//! `run` plans first (`plan`: the tests, the timeout, and for every cell x test whether it
//! boots or is skipped and why), sets up (`boot::set_up`), then one boot at a time boots
//! (`boot`: a fresh initramfs and nvdimm, one `qemu::boot`, and the platform workarounds it
//! applied) and judges (`judge`: the console, its KTAP and kernel complaints into a
//! `BootVerdict` and a reason, the test's findings).

pub mod console;
pub mod cpio;
pub mod devdax;
pub mod guest;
pub mod ktap;
pub mod kunit;
pub mod needs;
mod outcome;
pub mod qemu;

mod boot;
mod judge;
mod plan;

use crate::build::RunSummary;
use crate::error::{Error, IoContext, Result};
use crate::plan::Plan;
use crate::toolchain::Registry;
use ktap::KtapResult;
use plan::Action;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

pub use crate::guest_tests::{guest_test, known_test, known_tests, GuestTest, TESTS};
pub use boot::qemu_did_not_start;
pub use judge::judge;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum BootVerdict {
    Pass,
    Fail,
    Skipped,
    /// The test does not apply to this kernel: its .config lacks a symbol the test needs
    /// (`GuestTest::requires`); the reason names it. Not booted; outcome `skipped`.
    NotApplicable,
    /// The kernel never reached kcross's init (panic, no init, hang): no KTAP at all.
    BootFailure,
    /// QEMU was killed at the boot timeout and nothing else explains it (no kernel complaint,
    /// no `not ok`): the guest hung. Outcome `fail`, like a build's `timeout`.
    Timeout,
}

impl std::fmt::Display for BootVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BootVerdict::Pass => "pass",
            BootVerdict::Fail => "FAIL",
            BootVerdict::Skipped => "skipped",
            BootVerdict::NotApplicable => "n/a",
            BootVerdict::BootFailure => "BOOT-FAIL",
            BootVerdict::Timeout => "TIMEOUT",
        })
    }
}

/// What a guest test found out about the kernel: its `# finding: <subject>: <detail>`
/// KTAP diagnostic lines (e.g. subject `pud`, detail `kept after mprotect(PROT_READ) (0
/// faults to read GiB 0 back)`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    pub subject: String,
    pub detail: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subject, self.detail)
    }
}

/// Something kcross did for this boot because the platform (QEMU, firmware) cannot run
/// the real path, and why: the result is then not quite the kernel's own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Workaround {
    /// A stable name (`nvdimm-dax-info`).
    pub name: String,
    /// What kcross did.
    pub what: String,
    /// Why (from the arch data).
    pub why: String,
}

impl std::fmt::Display for Workaround {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (why: {})", self.name, self.what, self.why)
    }
}

/// One cell x one test: one boot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BootResult {
    pub cell: String,
    pub arch: String,
    pub test: String,
    pub verdict: BootVerdict,
    /// Why, in one line (the KTAP `not ok` line, the first complaint, the skip reason...).
    pub reason: Option<String>,
    /// The top-level KTAP results the guest printed (with diagnostics and subtests).
    pub ktap: Vec<KtapResult>,
    /// Malformed or incomplete KTAP.
    pub ktap_problems: Vec<String>,
    /// Console lines with kernel complaints ("bad pud", "BUG:", "WARNING:", "Oops",
    /// "Kernel panic", "Call Trace", ...), quoted.
    pub complaints: Vec<String>,
    /// What the test found out about the kernel (its `# finding:` lines), pass or fail.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Platform workarounds kcross applied for this boot.
    #[serde(default)]
    pub workarounds: Vec<Workaround>,
    /// A KUnit test's suites and cases (the kernel's KTAP before init).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kunit: Option<kunit::KunitRun>,
    /// Seconds from QEMU's start to kcross's init printing KTAP.
    pub boot_s: Option<f64>,
    /// Seconds from the KTAP header to the end of the tests.
    pub test_s: Option<f64>,
    /// Seconds from QEMU's start to its end.
    pub total_s: f64,
    pub timed_out: bool,
    /// The guest ran to the end and powered off by itself.
    pub powered_off: bool,
    /// QEMU's exit code when it ended by itself.
    pub qemu_exit: Option<i32>,
    /// QEMU's peak resident set (VmHWM), KiB.
    pub qemu_peak_rss_kib: Option<u64>,
    /// The console log (`boot-<test>.log` in the cell's results directory).
    pub console_log: Option<PathBuf>,
    /// The kernel image booted.
    pub image: Option<PathBuf>,
    /// The QEMU command line (program and arguments, as passed: no shell).
    pub qemu_command: Vec<String>,
}

impl BootResult {
    fn skipped(cell: &str, arch: &str, test: &str, reason: String) -> BootResult {
        BootResult {
            cell: cell.to_string(),
            arch: arch.to_string(),
            test: test.to_string(),
            verdict: BootVerdict::Skipped,
            reason: Some(reason),
            ktap: Vec::new(),
            ktap_problems: Vec::new(),
            complaints: Vec::new(),
            findings: Vec::new(),
            workarounds: Vec::new(),
            kunit: None,
            boot_s: None,
            test_s: None,
            total_s: 0.0,
            timed_out: false,
            powered_off: false,
            qemu_exit: None,
            qemu_peak_rss_kib: None,
            console_log: None,
            image: None,
            qemu_command: Vec::new(),
        }
    }

    /// The KTAP result of this boot's test.
    pub fn result(&self) -> Option<&KtapResult> {
        self.ktap.iter().find(|r| r.name == self.test)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuntimeSummary {
    pub kcross_version: String,
    pub matrix: String,
    /// The kernel source (`origin (version)`) the cells were built from.
    pub source: String,
    pub started_at: String,
    pub wall_s: f64,
    pub timeout_s: u64,
    pub tests: Vec<String>,
    /// The run's results directory (runtime.json, runtime-junit.xml).
    pub out_dir: PathBuf,
    pub results: Vec<BootResult>,
}

impl RuntimeSummary {
    /// No failure and no boot failure (skips do not fail a run).
    pub fn all_passed(&self) -> bool {
        self.results.iter().all(|r| {
            matches!(
                r.verdict,
                BootVerdict::Pass | BootVerdict::Skipped | BootVerdict::NotApplicable
            )
        })
    }

    pub fn count(&self, v: BootVerdict) -> usize {
        self.results.iter().filter(|r| r.verdict == v).count()
    }
}

/// What the runtime stage tells reporters while it works.
#[derive(Debug, Clone)]
pub enum RuntimeEvent {
    Started {
        cells: usize,
        tests: Vec<String>,
    },
    BootStarted {
        cell: String,
        test: String,
    },
    Console {
        cell: String,
        test: String,
        line: String,
    },
    BootFinished {
        result: Box<BootResult>,
    },
}

#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Tests to run (empty: the matrix's `[runtime] tests`, else `boot`).
    pub tests: Vec<String>,
    /// Seconds per boot (None: the matrix's `[runtime] timeout`, else 300).
    pub timeout_s: Option<u64>,
    /// Appended to the arch's kernel arguments (e.g. `rdinit=/nonexistent`).
    pub extra_kernel_args: Vec<String>,
    /// Where the run's runtime.json / runtime-junit.xml go (usually the build run's dir).
    pub run_dir: PathBuf,
    /// Cache for guest programs and (short-lived) nvdimm backing files.
    pub work_dir: PathBuf,
    /// How long QEMU may take to exit after the guest said it is powering off.
    pub poweroff_grace: Duration,
    /// Build the guest programs with the cross compiler in this sandbox (`--sandbox`).
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

impl RuntimeOptions {
    pub fn new(run_dir: PathBuf) -> RuntimeOptions {
        RuntimeOptions {
            tests: Vec::new(),
            timeout_s: None,
            extra_kernel_args: Vec::new(),
            run_dir,
            work_dir: default_work_dir(),
            poweroff_grace: Duration::from_secs(20),
            sandbox: None,
        }
    }
}

/// `<cache>/runtime`: on disk (backing files are sparse, but the guest writes into them).
pub fn default_work_dir() -> PathBuf {
    crate::source::cache_dir().join("runtime")
}

/// Boot every built cell of the plan (that the matrix's `[runtime] arches` allow) once per
/// test, one QEMU at a time. Cells that did not build, arches without a QEMU description,
/// tests the arch cannot host: skipped, with the reason. Writes `boot-<test>.log` and
/// `runtime.json` in each cell's results directory, `runtime.json` and `runtime-junit.xml`
/// in `opts.run_dir`.
pub fn run(
    plan: &Plan,
    summary: &RunSummary,
    reg: &Registry,
    opts: &RuntimeOptions,
    events: &Sender<RuntimeEvent>,
) -> Result<RuntimeSummary> {
    let started_at = chrono::Local::now().to_rfc3339();
    let t0 = Instant::now();
    let p = plan::resolve(plan, summary, reg, opts)?;
    let timeout = Duration::from_secs(p.timeout_s);
    let _ = events.send(RuntimeEvent::Started {
        cells: summary.cells.len(),
        tests: p.tests.clone(),
    });

    // kcross's own set-up first: QEMU binaries and guest programs for every arch that boots.
    let inits = boot::set_up(p.booting(), &opts.work_dir, opts.sandbox.as_ref())?;

    let mut results = Vec::new();
    for j in &p.jobs {
        crate::proc::check_interrupted()?;
        let r = match &j.action {
            Action::Skip(reason) => {
                BootResult::skipped(&j.cell.cell, &j.cell.arch, j.test.name, reason.clone())
            }
            Action::NotApplicable(reason) => BootResult {
                verdict: BootVerdict::NotApplicable,
                ..BootResult::skipped(&j.cell.cell, &j.cell.arch, j.test.name, reason.clone())
            },
            Action::Boot { arch, image } => {
                let _ = events.send(RuntimeEvent::BootStarted {
                    cell: j.cell.cell.clone(),
                    test: j.test.name.to_string(),
                });
                let log = boot::console_log(&j.cell.dir, j.test);
                let booted = boot::boot_one(
                    arch,
                    j.cell,
                    image,
                    &inits[&arch.name],
                    j.test,
                    &log,
                    timeout,
                    opts,
                    events,
                )?;
                let mut r = judge(
                    &j.cell.cell,
                    &arch.name,
                    j.test.name,
                    image,
                    &log,
                    timeout,
                    booted.run,
                );
                r.workarounds = booted.workarounds;
                r
            }
        };
        let _ = events.send(RuntimeEvent::BootFinished {
            result: Box::new(r.clone()),
        });
        results.push(r);
    }

    // Per cell, then for the run.
    for c in &summary.cells {
        let mine: Vec<&BootResult> = results.iter().filter(|r| r.cell == c.cell).collect();
        if !mine.is_empty() {
            crate::atomic::write_json(&c.dir.join("runtime.json"), &mine)?;
        }
    }
    let out = RuntimeSummary {
        kcross_version: env!("CARGO_PKG_VERSION").to_string(),
        matrix: plan.matrix.clone(),
        source: format!("{} ({})", summary.source.origin, summary.source.version),
        started_at,
        wall_s: t0.elapsed().as_secs_f64(),
        timeout_s: p.timeout_s,
        tests: p.tests,
        out_dir: opts.run_dir.clone(),
        results,
    };
    crate::atomic::write_json(&opts.run_dir.join("runtime.json"), &out)?;
    Ok(out)
}

/// Read a run's runtime summary back.
pub fn load_summary(path: &Path) -> Result<RuntimeSummary> {
    let text = std::fs::read_to_string(path).ctx(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| Error::input(path.display().to_string(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells that did not build, arches outside `[runtime] arches`: skipped with the reason,
    /// no QEMU started, results written.
    #[test]
    fn unbuilt_cells_are_skipped_with_the_reason() {
        let reg = Registry::load(&[]).unwrap();
        let m = crate::matrix::load(None, &reg).unwrap();
        let plan = crate::plan::expand(&m, &reg, &crate::plan::Filters::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cell = |id: &str, arch: &str, verdict: &str, reason: Option<&str>| {
            serde_json::json!({
                "cell": id, "arch": arch, "toolchain": "gcc", "config": "pud", "targets": [],
                "verdict": verdict, "failed_stage": null, "reason": reason,
                "timings": {"configure_s": 0.0, "build_s": 0.0, "total_s": 0.0},
                "config_reused": false, "errors": 1, "warnings": 0, "diagnostics": [],
                "dir": dir.path().join(id), "build_dir": dir.path().join("b"), "image": null
            })
        };
        let summary: RunSummary = serde_json::from_value(serde_json::json!({
            "kcross_version": "0", "matrix": plan.matrix, "matrix_origin": "m",
            "source": {"kind": "dir", "origin": "linux", "root": "/x", "key": "k", "version": "6.12.0"},
            "started_at": "now", "wall_s": 0.0, "jobs": 1, "out_dir": dir.path(),
            "cells": [
                cell("x86_64-gcc-pud", "x86_64", "fail", Some("mm/mprotect.c:1:2: error: boom")),
                cell("arm64-gcc-pud", "arm64", "pass", None),
            ]
        }))
        .unwrap();
        let opts = RuntimeOptions::new(dir.path().to_path_buf());
        let (tx, _rx) = std::sync::mpsc::channel();
        let r = run(&plan, &summary, &reg, &opts, &tx).unwrap();
        assert_eq!(r.results.len(), 2);
        assert!(r.results.iter().all(|b| b.verdict == BootVerdict::Skipped));
        assert_eq!(
            r.results[0].reason.as_deref(),
            Some("the cell did not build: mm/mprotect.c:1:2: error: boom")
        );
        assert!(r.results[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("not in the matrix's [runtime] arches"));
        assert!(r.all_passed());
        assert!(dir.path().join("runtime.json").is_file());
        assert!(dir.path().join("x86_64-gcc-pud/runtime.json").is_file());
        let table = crate::report::runtime::table(&r);
        assert!(table.contains("the cell did not build"), "{table}");
    }

    #[test]
    fn tests_table_matches_the_guest() {
        let init = crate::util::embedded_file("guest/init.c").unwrap();
        for t in TESTS {
            assert!(
                init.contains(&format!("{{ \"{}\",", t.name)),
                "guest/init.c lacks {}",
                t.name
            );
        }
    }
}
