//! `kcross build`: every cell in parallel under one jobserver (then, with `--runtime`, the
//! runtime stage on what built).

use super::common::{emit, ensure_tools, load, prepare_source, run_builds, Common};
use crate::error::{outcome_code, Result};
use crate::report;

/// `kcross build`'s own flags.
#[derive(clap::Args, Clone, Debug)]
pub struct BuildArgs {
    /// How many cells may build at once (default: all; 1 = one after another)
    #[arg(long)]
    pub cells_at_once: Option<usize>,
    /// Then boot each built kernel in QEMU and run the matrix's [runtime] tests
    #[arg(long)]
    pub runtime: bool,
    /// How long each cell's build may take (`90s`, `30m`, `2h`; default: the matrix's
    /// `timeout`, else 2h); past it make is ended and the cell's verdict is `timeout`
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<u64>,
    /// Finish an earlier run of this matrix (a directory in <out>/runs/, e.g. one that was
    /// killed): its cells with a complete result.json are kept, the others are built, and
    /// its summary is written whole
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<std::path::PathBuf>,
}

pub(super) fn parse_duration(s: &str) -> std::result::Result<u64, String> {
    crate::util::duration::parse(s)
}

pub fn run(c: &Common, a: &BuildArgs) -> Result<i32> {
    let runtime = a.runtime;
    let l = load(c)?;
    ensure_tools(&l)?;
    if runtime {
        super::common::ensure_runtime_tools(&l)?;
    }
    let src = prepare_source(c, &l)?;
    let summary = run_builds(c, &l, &src, a.cells_at_once, a.timeout, a.resume.as_deref())?;
    let rt = if runtime {
        let mut opts = crate::runtime::RuntimeOptions::new(summary.out_dir.clone());
        opts.sandbox = super::common::sandbox(c.sandbox, "kcross build --sandbox")?;
        let rt = super::boot::runtime_after_build(&l.plan, &l.reg, &summary, &opts, false)?;
        super::common::set_latest(&c.out, &summary.out_dir, super::common::Stage::Boot)?;
        Some(rt)
    } else {
        None
    };
    let mut text = report::terminal::table(&summary);
    match &rt {
        Some(rt) => {
            text.push_str(&report::runtime::table(rt));
            emit(
                c.json,
                &serde_json::json!({ "build": &summary, "runtime": rt }),
                &text,
            );
        }
        None => emit(c.json, &summary, &text),
    }
    Ok(outcome_code(
        summary.all_passed() && rt.as_ref().is_none_or(|r| r.all_passed()),
    ))
}
