//! `kcross series SERIES [MATRIX]`. `Args` is flattened before `Common` (so SERIES comes
//! first, then the optional MATRIX).

use super::common::{self as session, Common};
use crate::error::{Error, Result};
use crate::report::{self, Export};
use crate::series::{self, FailOn, GateOptions};
use crate::source;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// The series: an mbox (mailing-list archive or `git format-patch --stdout`; the cover
    /// letter is skipped), a directory of *.patch files (applied in name order), or a git
    /// revision range when the source is a git tree
    #[arg(value_name = "SERIES")]
    pub series: String,
    /// What fails the gate: new errors only, or new errors and new warnings
    #[arg(long, value_enum, default_value = "new-warnings")]
    pub fail_on: FailOnArg,
    /// Build the base and the whole series only (no per-patch steps)
    #[arg(long)]
    pub last_only: bool,
    /// Benchmark: build every step in a fresh build dir instead of incrementally
    #[arg(long, hide = true)]
    pub from_scratch: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOnArg {
    NewErrors,
    NewWarnings,
}

impl From<FailOnArg> for FailOn {
    fn from(a: FailOnArg) -> FailOn {
        match a {
            FailOnArg::NewErrors => FailOn::NewErrors,
            FailOnArg::NewWarnings => FailOn::NewWarnings,
        }
    }
}

/// Run the gate; the exit code is 0 clean, 1 new failures; `Err` (exit 2) for bad input,
/// including a patch that does not apply (then nothing was built or written).
pub fn run(args: &Args, c: &Common) -> Result<i32> {
    let l = session::load_any(c)?;
    // Tools first: a missing cross compiler is bad input, found before anything is written.
    session::ensure_tools(&l)?;
    if which::which("git").is_err() {
        return Err(Error::MissingTool {
            tool: "git".into(),
            needed_by: "series (git apply)".into(),
            package: "git".into(),
        });
    }
    let src = session::prepare_source(c, &l)?;
    let series = series::load(&args.series, &src)?;
    eprintln!(
        "kcross: series {}: {} patch(es){}",
        series.origin,
        series.patches.len(),
        series
            .cover
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default()
    );
    series::check_applies(&series, &src)?;
    eprintln!(
        "kcross: the series applies on {} ({})",
        src.origin, src.version
    );
    let run_dir = session::new_run_dir(&c.out, &format!("series-{}", l.plan.matrix))?;
    let opts = GateOptions {
        jobs: session::jobs(c),
        run_dir: run_dir.clone(),
        build_root: crate::build::default_build_root(),
        cache: source::cache_dir(),
        last_only: args.last_only,
        fail_on: args.fail_on.into(),
        from_scratch: args.from_scratch,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    // Progress goes to stderr even with --json (stdout stays machine-readable).
    let progress = std::thread::spawn(move || report::terminal::progress(rx, false));
    let note = |s: String| eprintln!("kcross: {s}");
    let result = series::gate(&l.plan, &src, &series, &opts, &tx, &note);
    drop(tx);
    let _ = progress.join();
    let result = result?;
    crate::atomic::write(
        &run_dir.join("series.json"),
        report::json::Json.render(&result).as_bytes(),
    )?;
    crate::atomic::write(
        &run_dir.join("junit.xml"),
        report::junit::Junit.render(&result).as_bytes(),
    )?;
    crate::atomic::write(
        &run_dir.join("report.md"),
        report::series::Markdown.render(&result).as_bytes(),
    )?;
    session::set_latest(&c.out, &run_dir, session::Stage::Series)?;
    let grid = report::series::grid(&result);
    session::emit(c.json, &result, &grid);
    Ok(result.exit_code())
}
