//! `kcross boot [MATRIX]` (boot the latest build's cells, or build them first), and
//! `runtime_after_build` for `kcross build --runtime` and `kcross nightly`.

use super::common::{self as session, Common};
use crate::build::{self, RunSummary};
use crate::error::{outcome_code, Error, Result};
use crate::guest_tests::{known_test, known_tests};
use crate::plan::Plan;
use crate::report::Export;
use crate::runtime::{RuntimeEvent, RuntimeOptions, RuntimeSummary};
use crate::source;
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
    /// Seconds per boot before QEMU is killed (default: the matrix's [runtime] timeout, else 300)
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Extra kernel command-line argument (repeatable), e.g. `rdinit=/nonexistent`
    #[arg(long = "kernel-arg")]
    pub kernel_args: Vec<String>,
    /// Build first even when the latest build in --out has every cell
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

/// `<out>/latest/summary.json`, when it holds every cell of the plan built from `spec`.
fn reusable(out: &Path, plan: &Plan, spec: &str) -> Option<RunSummary> {
    let s = build::load_summary(&out.join("latest").join("summary.json")).ok()?;
    let same_source = s.source.origin == spec
        || source::resolve(spec)
            .ok()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| Path::new(&s.source.origin).canonicalize().ok() == Some(p));
    // every cell of the plan is there, and what built still has its image
    let has_cells = plan.cells.iter().all(|c| {
        s.cells.iter().any(|x| {
            x.cell == c.id
                && (x.verdict != build::Verdict::Pass
                    || x.image.as_ref().is_some_and(|i| i.is_file()))
        })
    });
    (s.matrix == plan.matrix && same_source && has_cells).then_some(s)
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
    let spec = session::source_spec(c, &l.matrix);
    let summary = match (a.build, reusable(&c.out, &l.plan, &spec)) {
        (false, Some(s)) => {
            if !c.json {
                eprintln!("kcross: booting the build in {}", s.out_dir.display());
            }
            s
        }
        _ => {
            session::ensure_tools(&l)?;
            let src = session::prepare_source(c, &l)?;
            let s = session::run_builds(c, &l, &src, None)?;
            eprint!("{}", crate::report::terminal::table(&s));
            s
        }
    };
    let run_dir = if summary.out_dir.is_dir() {
        summary.out_dir.clone()
    } else {
        std::fs::canonicalize(c.out.join("latest")).unwrap_or_else(|_| c.out.join("latest"))
    };
    let mut opts = RuntimeOptions::new(run_dir);
    opts.tests = a.tests.clone();
    opts.timeout_s = a.timeout;
    opts.extra_kernel_args = a.kernel_args.clone();
    let rt = runtime_after_build(&l.plan, &l.reg, &summary, &opts, a.console)?;
    session::emit(c.json, &rt, &crate::report::runtime::table(&rt));
    let built_ok = summary
        .cells
        .iter()
        .filter(|x| l.plan.cells.iter().any(|p| p.id == x.cell))
        .all(|x| x.verdict == build::Verdict::Pass);
    Ok(outcome_code(built_ok && rt.all_passed()))
}
