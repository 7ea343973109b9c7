//! What a runtime run will do, decided before any QEMU starts: the tests and the timeout
//! (the options', else the matrix's `[runtime]`, else `boot` and 300 s), and for every
//! built cell of the plan and every test, one job: boot this image on this arch, or skip,
//! with the reason (arch outside `[runtime] arches`, cell that did not build, no QEMU
//! description, image gone, no nvdimm for a test that needs one).

use super::{guest_test, known_test, known_tests, GuestTest, RuntimeOptions};
use crate::build::{CellResult, RunSummary, Verdict};
use crate::error::{Error, Result};
use crate::matrix::RuntimeSpec;
use crate::plan::Plan;
use crate::toolchain::{Arch, Registry};
use std::path::PathBuf;

/// A run's tests, timeout and jobs, in boot order (cell by cell, then test by test).
pub(super) struct RuntimePlan<'a> {
    pub tests: Vec<String>,
    pub timeout_s: u64,
    pub jobs: Vec<Job<'a>>,
}

/// One cell x one test.
pub(super) struct Job<'a> {
    pub cell: &'a CellResult,
    pub test: &'static GuestTest,
    pub action: Action<'a>,
}

pub(super) enum Action<'a> {
    /// Boot `image` on `arch` (which has a `[qemu]` description).
    Boot { arch: &'a Arch, image: PathBuf },
    /// Not booted, and why.
    Skip(String),
}

impl<'a> RuntimePlan<'a> {
    /// The arch of every job that boots, in job order.
    pub fn booting(&self) -> impl Iterator<Item = &'a Arch> + '_ {
        self.jobs.iter().filter_map(|j| match j.action {
            Action::Boot { arch, .. } => Some(arch),
            Action::Skip(_) => None,
        })
    }
}

/// Plan the run of the `summary`'s cells (those of `plan`, when it names cells). `Err` only
/// for an unknown test.
pub(super) fn resolve<'a>(
    plan: &Plan,
    summary: &'a RunSummary,
    reg: &'a Registry,
    opts: &RuntimeOptions,
) -> Result<RuntimePlan<'a>> {
    let spec = plan.runtime.clone().unwrap_or_default();
    let tests = tests(opts, &spec)?;
    let timeout_s = timeout_s(opts, &spec);
    let mut jobs = Vec::new();
    for c in &summary.cells {
        if !plan.cells.is_empty() && !plan.cells.iter().any(|p| p.id == c.cell) {
            continue;
        }
        for t in &tests {
            let test = guest_test(t).expect("checked test");
            jobs.push(Job {
                cell: c,
                test,
                action: action(c, test, reg, &spec),
            });
        }
    }
    Ok(RuntimePlan {
        tests,
        timeout_s,
        jobs,
    })
}

/// The options' tests, else the matrix's `[runtime] tests`, else `boot`; every one known.
fn tests(opts: &RuntimeOptions, spec: &RuntimeSpec) -> Result<Vec<String>> {
    let tests: Vec<String> = if !opts.tests.is_empty() {
        opts.tests.clone()
    } else if !spec.tests.is_empty() {
        spec.tests.clone()
    } else {
        vec!["boot".to_string()]
    };
    for t in &tests {
        if !known_test(t) {
            return Err(Error::Usage(format!(
                "unknown runtime test `{t}` (known: {})",
                known_tests().join(", ")
            )));
        }
    }
    Ok(tests)
}

/// Seconds per boot: the options', else the matrix's `[runtime] timeout` (when not 0),
/// else 300.
fn timeout_s(opts: &RuntimeOptions, spec: &RuntimeSpec) -> u64 {
    opts.timeout_s.unwrap_or(if spec.timeout_s > 0 {
        spec.timeout_s
    } else {
        300
    })
}

/// Whether `test` boots on cell `c`, and if not why (the first reason that applies).
fn action<'a>(
    c: &CellResult,
    test: &GuestTest,
    reg: &'a Registry,
    spec: &RuntimeSpec,
) -> Action<'a> {
    let arch = reg.arch(&c.arch);
    let qemu = arch.and_then(|a| a.qemu.as_ref());
    if !spec.arches.is_empty() && !spec.arches.contains(&c.arch) {
        Action::Skip(format!(
            "{} is not in the matrix's [runtime] arches ({})",
            c.arch,
            spec.arches.join(", ")
        ))
    } else if c.verdict != Verdict::Pass {
        Action::Skip(format!(
            "the cell did not build: {}",
            c.reason.clone().unwrap_or_else(|| c.verdict.to_string())
        ))
    } else if let (Some(a), Some(q)) = (arch, qemu) {
        let img = match &q.image {
            Some(rel) => Some(c.build_dir.join(rel)),
            None => c.image.clone(),
        };
        match img {
            Some(p) if p.is_file() => {
                if test.needs_nvdimm && q.nvdimm_args.is_empty() {
                    Action::Skip(format!(
                        "{} has no nvdimm under QEMU (no nvdimm_args in {})",
                        a.name, a.origin
                    ))
                } else {
                    Action::Boot { arch: a, image: p }
                }
            }
            Some(p) => Action::Skip(format!("the kernel image {} is gone", p.display())),
            None => Action::Skip("the build produced no kernel image".to_string()),
        }
    } else {
        Action::Skip(format!(
            "arch {} has no QEMU description ([qemu] in its toolchains/arch file)",
            c.arch
        ))
    }
}
