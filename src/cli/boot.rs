//! `kcross boot [MATRIX]` (boot the latest build's cells when it is what the matrix asks
//! now, else build them first, saying why), and
//! `runtime_after_build` for `kcross build --runtime` and `kcross nightly`.

use super::common::{self as session, Common};
use crate::build::{self, RunSummary};
use crate::error::{outcome_code, Error, Result};
use crate::guest_tests::{known_test, known_tests};
use crate::plan::Plan;
use crate::report::Export;
use crate::runtime::{RuntimeEvent, RuntimeOptions, RuntimeSummary};
use crate::source::SourceTree;
use crate::toolchain::Registry;
use std::path::Path;
use std::sync::mpsc::Receiver;

/// `kcross boot`: boot each built kernel in QEMU and run the guest tests.
#[derive(clap::Args, Clone)]
pub struct BootArgs {
    #[command(flatten)]
    pub common: Common,
    /// Guest tests to run (repeatable; default: the matrix's [runtime] tests, else `boot`)
    #[arg(long = "test")]
    pub tests: Vec<String>,
    /// Time per boot before QEMU is killed and the verdict is `timeout`: seconds, or `90s`,
    /// `5m` (default: the matrix's [runtime] timeout, else 300 s)
    #[arg(long, value_parser = super::build::parse_duration)]
    pub timeout: Option<u64>,
    /// Extra kernel command-line argument (repeatable), e.g. `rdinit=/nonexistent`
    #[arg(long = "kernel-arg")]
    pub kernel_args: Vec<String>,
    /// Build first even when the latest build in --out is of this source and configuration
    #[arg(long)]
    pub build: bool,
    /// Echo the guest consoles on stderr
    #[arg(long)]
    pub console: bool,
}

/// Progress on stderr: a line per boot started and finished (and the console with `echo`).
pub fn progress(rx: Receiver<RuntimeEvent>, quiet: bool, echo: bool) {
    for ev in rx {
        if quiet {
            continue;
        }
        match ev {
            RuntimeEvent::Started { cells, tests } => {
                eprintln!(
                    "kcross: runtime: {cells} cell(s) x {} test(s): {}",
                    tests.len(),
                    tests.join(", ")
                )
            }
            RuntimeEvent::BootStarted { cell, test } => eprintln!("[{cell}] boot: {test}"),
            RuntimeEvent::Console { cell, line, .. } => {
                if echo {
                    eprintln!("[{cell}] | {line}");
                }
            }
            RuntimeEvent::BootFinished { result } => {
                eprintln!(
                    "[{}] {}",
                    result.cell,
                    crate::report::runtime::one_line(&result)
                )
            }
        }
    }
}

/// Run the runtime stage on a finished build (for `kcross build --runtime` too): progress on
/// stderr (also with --json: stdout stays machine-readable), `echo` adds the guest consoles;
/// writes the results, returns the summary.
pub fn runtime_after_build(
    plan: &Plan,
    reg: &Registry,
    summary: &RunSummary,
    opts: &RuntimeOptions,
    echo: bool,
) -> Result<RuntimeSummary> {
    let (tx, rx) = std::sync::mpsc::channel();
    let printer = std::thread::spawn(move || progress(rx, false, echo));
    let r = crate::runtime::run(plan, summary, reg, opts, &tx);
    drop(tx);
    let _ = printer.join();
    let r = r?;
    crate::atomic::write(
        &opts.run_dir.join("runtime-junit.xml"),
        crate::report::junit::Junit.render(&r).as_bytes(),
    )?;
    Ok(r)
}

/// What `kcross boot` boots: the latest build when it still stands for the plan on `src`,
/// else why not (the build to make first).
pub enum Decision {
    Reuse(Box<RunSummary>),
    Build(String),
}

/// Reuse `<out>/latest-build` when it is of this matrix, this source content and every
/// cell's current configuration (`build::reuse::staleness`); `--build` always builds.
pub fn decide(out: &Path, plan: &Plan, src: &SourceTree, force: bool) -> Decision {
    if force {
        return Decision::Build("--build was given".into());
    }
    let path = session::latest_build(out);
    let s = match build::load_summary(&path) {
        Ok(s) => s,
        Err(_) if !path.exists() => {
            return Decision::Build(format!("no build in {} yet", out.display()))
        }
        Err(e) => return Decision::Build(format!("the latest build is unreadable: {e}")),
    };
    let why = build::reuse::staleness(&s, plan, src);
    if why.is_empty() {
        return Decision::Reuse(Box::new(s));
    }
    let why: Vec<String> = why.iter().map(|w| w.to_string()).collect();
    Decision::Build(format!(
        "the build in {} is stale: {}",
        s.out_dir.display(),
        why.join("; ")
    ))
}

/// `kcross boot [MATRIX]`; returns the exit code (0 all passed, 1 something failed).
pub fn run(a: &BootArgs) -> Result<i32> {
    let c = &a.common;
    let l = session::load(c)?;
    for t in &a.tests {
        if !known_test(t) {
            return Err(Error::Usage(format!(
                "--test {t}: unknown runtime test (known: {})",
                known_tests().join(", ")
            )));
        }
    }
    // Before building or booting anything: QEMU and the guest programs' compiler and libc.
    session::ensure_runtime_tools(&l)?;
    // The source's key says whether the latest build is of this content.
    let src = session::prepare_source(c, &l)?;
    let summary = match decide(&c.out, &l.plan, &src, a.build) {
        Decision::Reuse(s) => {
            eprintln!(
                "kcross: booting the build in {} (same source and configuration)",
                s.out_dir.display()
            );
            // Judged again with this matrix's [[known]] entries, which may have changed.
            let mut s = *s;
            s.judge_known(&l.plan.known);
            s
        }
        Decision::Build(why) => {
            eprintln!("kcross: building first: {why}");
            session::ensure_tools(&l)?;
            let s = session::run_builds(c, &l, &src, None, None, None)?;
            eprint!("{}", crate::report::terminal::table(&s));
            s
        }
    };
    // The summary's out_dir is as --out was given when it was built (maybe relative to
    // another directory); the link is where it is now.
    let run_dir = if summary.out_dir.is_dir() {
        summary.out_dir.clone()
    } else {
        let link = c.out.join(session::Stage::Build.link_name());
        std::fs::canonicalize(&link).unwrap_or(link)
    };
    let mut opts = RuntimeOptions::new(run_dir.clone());
    opts.sandbox = super::common::sandbox(c.sandbox, "kcross boot --sandbox")?;
    opts.tests = a.tests.clone();
    opts.timeout_s = a.timeout;
    opts.extra_kernel_args = a.kernel_args.clone();
    let rt = runtime_after_build(&l.plan, &l.reg, &summary, &opts, a.console)?;
    session::set_latest(&c.out, &run_dir, session::Stage::Boot)?;
    session::emit(c.json, &rt, &crate::report::runtime::table(&rt));
    let built_ok = summary
        .cells
        .iter()
        .filter(|x| l.plan.cells.iter().any(|p| p.id == x.cell))
        .all(|x| !summary.outcome_of(x).is_failure());
    Ok(outcome_code(built_ok && rt.all_passed()))
}
