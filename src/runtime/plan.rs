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
    /// Not booted: the test does not apply to this kernel (the Kconfig reason).
    NotApplicable(String),
}

impl<'a> RuntimePlan<'a> {
    /// The arch of every job that boots, in job order.
    pub fn booting(&self) -> impl Iterator<Item = &'a Arch> + '_ {
        self.jobs.iter().filter_map(|j| match j.action {
            Action::Boot { arch, .. } => Some(arch),
            Action::Skip(_) | Action::NotApplicable(_) => None,
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
                if let Some(why) = not_applicable(c, test) {
                    Action::NotApplicable(why)
                } else if test.needs_nvdimm && q.nvdimm_args.is_empty() {
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

/// The first of the test's required Kconfig symbols that the cell's .config lacks, as the
/// reason (`None`: the test applies, or there is no .config to tell). The .config is the
/// result's own copy (`config` in its dir), else the build dir's.
fn not_applicable(c: &CellResult, test: &GuestTest) -> Option<String> {
    let text = std::fs::read_to_string(c.dir.join("config"))
        .or_else(|_| std::fs::read_to_string(c.build_dir.join(".config")))
        .ok()?;
    let config = crate::kconfig::parse_dotconfig(&text);
    test.requires.iter().find_map(|(sym, why)| {
        let have = config.get(*sym).map(String::as_str);
        (have != Some("y")).then(|| {
            format!(
                "not applicable: CONFIG_{sym} is not set in the cell's .config ({}): {why}",
                c.arch
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec(tests: &[&str], timeout_s: u64) -> RuntimeSpec {
        RuntimeSpec {
            tests: tests.iter().map(|t| t.to_string()).collect(),
            timeout_s,
            arches: Vec::new(),
            kunit: Vec::new(),
        }
    }

    #[test]
    fn tests_and_timeout_come_from_the_options_then_the_matrix() {
        let mut opts = RuntimeOptions::new("/run".into());
        assert_eq!(tests(&opts, &spec(&[], 0)).unwrap(), ["boot"]);
        assert_eq!(timeout_s(&opts, &spec(&[], 0)), 300);
        let m = spec(&["devdax-pud-mprotect"], 60);
        assert_eq!(tests(&opts, &m).unwrap(), ["devdax-pud-mprotect"]);
        assert_eq!(timeout_s(&opts, &m), 60);
        opts.tests = vec!["selftest-fail".into()];
        opts.timeout_s = Some(5);
        assert_eq!(tests(&opts, &m).unwrap(), ["selftest-fail"]);
        assert_eq!(timeout_s(&opts, &m), 5);

        opts.tests = vec!["nope".into()];
        match tests(&opts, &m) {
            Err(Error::Usage(m)) => assert!(m.starts_with("unknown runtime test `nope`"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    fn cell(arch: &str, image: Option<&Path>) -> CellResult {
        serde_json::from_value(serde_json::json!({
            "cell": format!("{arch}-gcc-pud"), "arch": arch, "toolchain": "gcc",
            "config": "pud", "targets": [], "verdict": "pass", "failed_stage": null,
            "reason": null, "timings": {"configure_s": 0.0, "build_s": 0.0, "total_s": 0.0},
            "config_reused": false, "errors": 0, "warnings": 0, "diagnostics": [],
            "dir": "/r", "build_dir": "/b", "image": image
        }))
        .unwrap()
    }

    fn skip_reason(a: Action) -> String {
        match a {
            Action::Skip(r) => r,
            Action::NotApplicable(r) => panic!("not applicable: {r}"),
            Action::Boot { arch, image } => panic!("boots {image:?} on {}", arch.name),
        }
    }

    #[test]
    fn a_built_image_boots_and_what_cannot_boot_says_why() {
        let reg = Registry::load(&[]).unwrap();
        let boot = guest_test("boot").unwrap();
        let m = spec(&[], 0);
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("bzImage");
        std::fs::write(&img, b"").unwrap();

        match action(&cell("x86_64", Some(&img)), boot, &reg, &m) {
            Action::Boot { arch, image } => {
                assert_eq!(arch.name, "x86_64");
                assert_eq!(image, img);
            }
            Action::Skip(r) | Action::NotApplicable(r) => panic!("skipped: {r}"),
        }
        let gone = dir.path().join("gone");
        assert_eq!(
            skip_reason(action(&cell("x86_64", Some(&gone)), boot, &reg, &m)),
            format!("the kernel image {} is gone", gone.display())
        );
        assert_eq!(
            skip_reason(action(&cell("x86_64", None), boot, &reg, &m)),
            "the build produced no kernel image"
        );
        assert_eq!(
            skip_reason(action(&cell("sparc64", Some(&img)), boot, &reg, &m)),
            "arch sparc64 has no QEMU description ([qemu] in its toolchains/arch file)"
        );
        let only_ppc = RuntimeSpec {
            arches: vec!["powerpc64le".into()],
            ..spec(&[], 0)
        };
        assert_eq!(
            skip_reason(action(&cell("x86_64", Some(&img)), boot, &reg, &only_ppc)),
            "x86_64 is not in the matrix's [runtime] arches (powerpc64le)"
        );
    }

    /// devdax-pud-mprotect needs PUD-level THP: a .config without it is "not applicable",
    /// naming the symbol, and nothing boots; the same cell with it boots (x86_64 has an
    /// nvdimm). A test that requires nothing boots either way.
    #[test]
    fn devdax_without_pud_thp_is_not_applicable_with_the_kconfig_reason() {
        let reg = Registry::load(&[]).unwrap();
        let devdax = guest_test("devdax-pud-mprotect").unwrap();
        let m = spec(&[], 0);
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("bzImage");
        std::fs::write(&img, b"").unwrap();
        let mut c = cell("x86_64", Some(&img));
        c.build_dir = dir.path().to_path_buf();
        let dotconfig = dir.path().join(".config");
        std::fs::write(
            &dotconfig,
            "CONFIG_TRANSPARENT_HUGEPAGE=y\n# CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD is not set\n",
        )
        .unwrap();
        match action(&c, devdax, &reg, &m) {
            Action::NotApplicable(r) => assert!(
                r.starts_with(
                    "not applicable: CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD is not set in the cell's .config (x86_64): no PUD-level THP"
                ),
                "{r}"
            ),
            Action::Skip(r) => panic!("skipped: {r}"),
            Action::Boot { .. } => panic!("booted without PUD THP"),
        }
        assert!(matches!(
            action(&c, guest_test("boot").unwrap(), &reg, &m),
            Action::Boot { .. }
        ));
        std::fs::write(&dotconfig, "CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD=y\n").unwrap();
        assert!(matches!(action(&c, devdax, &reg, &m), Action::Boot { .. }));
    }
}
