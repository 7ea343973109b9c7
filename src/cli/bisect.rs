//! `kcross bisect --good REV --bad REV --cell ID [MATRIX] --source GITDIR`: renders what
//! `bisect::bisect` returns (the steps on stderr, the first-bad line on stdout), writes the
//! mail and the one line next to the result JSON, and records the bisection in the history.

use super::common::{self as session, Common};
use crate::bisect::{self, BisectOptions, Chase, Status};
use crate::error::{Error, Result};
use crate::source;
use std::path::PathBuf;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// A commit that does not have the regression
    #[arg(long, value_name = "REV")]
    pub good: String,
    /// A commit that has it (a descendant of --good)
    #[arg(long, value_name = "REV")]
    pub bad: String,
    /// The cell to bisect on (see `kcross plan`)
    #[arg(long, value_name = "ID")]
    pub cell: String,
    /// Chase this build error by fingerprint (default, without a value: the first error the
    /// bad commit has and the good one does not)
    #[arg(long, value_name = "FP", num_args = 0..=1, default_missing_value = "",
          conflicts_with_all = ["warning", "helper", "test"])]
    pub error: Option<String>,
    /// Chase this warning by fingerprint (without a value: the first new warning)
    #[arg(long, value_name = "FP", num_args = 0..=1, default_missing_value = "",
          conflicts_with_all = ["helper", "test"])]
    pub warning: Option<String>,
    /// Chase a helper verdict of the check stage (bad: missing or unresolved)
    #[arg(long, value_name = "NAME", conflicts_with = "test")]
    pub helper: Option<String>,
    /// Chase a runtime guest test (bad: it fails); every step builds the cell's image and
    /// boots it, so the cell must build one
    #[arg(long, value_name = "NAME")]
    pub test: Option<String>,
    /// Give up after this many bisection steps
    #[arg(long, default_value_t = 20)]
    pub max_steps: usize,
    /// Do not re-check the culprit and its parent from clean build dirs
    #[arg(long)]
    pub no_verify: bool,
    /// The Reported-by line of the mail
    #[arg(long, default_value = "kcross bisect <kcross@localhost>")]
    pub reported_by: String,
    /// History file (default: <out>/history.sqlite)
    #[arg(long)]
    pub history: Option<PathBuf>,
}

impl Args {
    fn chase(&self) -> Chase {
        let fp = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        if let Some(t) = &self.test {
            Chase::Test(t.clone())
        } else if let Some(h) = &self.helper {
            Chase::Helper(h.clone())
        } else if self.warning.is_some() {
            Chase::Warning(fp(&self.warning))
        } else {
            Chase::Error(fp(&self.error))
        }
    }
}

/// Keep a finished bisection: `first-bad.txt` (the one line) and `mail.txt` beside its
/// `bisect.json`, and a row in the history. Returns the line and the row's id.
pub(super) fn keep(
    result: &bisect::BisectResult,
    reported_by: &str,
    history: &std::path::Path,
) -> Result<(String, i64)> {
    let line = bisect::text::first_bad_line(result);
    crate::atomic::write(
        &result.run_dir.join("first-bad.txt"),
        format!("{line}\n").as_bytes(),
    )?;
    let mail = bisect::text::mail(result, reported_by);
    if !mail.is_empty() {
        crate::atomic::write(&result.run_dir.join("mail.txt"), mail.as_bytes())?;
    }
    let id = crate::history::History::open(history)?.record_bisect(result)?;
    Ok((line, id))
}

/// Exit 0: a culprit named and verified; 1: not isolated, or not verified; 2: bad input.
pub fn run(args: &Args, c: &Common) -> Result<i32> {
    let l = session::load(c)?;
    if which::which("git").is_err() {
        return Err(Error::MissingTool {
            tool: "git".into(),
            needed_by: "bisect".into(),
            package: "git".into(),
        });
    }
    // A non-git source is refused before anything is unpacked or built.
    let spec = session::source_spec(c, &l.matrix);
    let path = source::resolve(&spec)?;
    if !path.is_dir() || !path.join(".git").exists() {
        return Err(Error::Source {
            path,
            msg: format!(
                "bisect needs a git tree, and {spec} is not one (give --source a git checkout of the kernel)"
            ),
        });
    }
    if !l.plan.cells.iter().any(|x| x.id == args.cell) {
        return Err(Error::Usage(format!(
            "--cell {}: no such cell in matrix {}; its cells: {}",
            args.cell,
            l.plan.matrix,
            l.plan
                .cells
                .iter()
                .map(|x| x.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if let Some(t) = &args.test {
        if !crate::runtime::known_test(t) {
            return Err(Error::Usage(format!(
                "--test {t}: no such guest test; known tests: {}",
                crate::runtime::known_tests().join(", ")
            )));
        }
    }
    session::ensure_tools(&l)?;
    let src = session::prepare_source(c, &l)?;
    let sandbox = session::sandbox(c.sandbox, "kcross bisect --sandbox")?;
    let run_dir = session::new_run_dir(&c.out, &format!("bisect-{}", args.cell))?;
    let opts = BisectOptions {
        good: args.good.clone(),
        bad: args.bad.clone(),
        cell: args.cell.clone(),
        chase: args.chase(),
        jobs: session::jobs(c),
        run_dir: run_dir.clone(),
        build_root: crate::build::default_build_root(),
        cache: source::cache_dir(),
        max_steps: args.max_steps,
        verify: !args.no_verify,
        deadline: None,
        sandbox,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let progress = std::thread::spawn(move || crate::report::terminal::progress(rx, false));
    let note = |s: String| eprintln!("kcross: {s}");
    let result = bisect::bisect(&l.plan, &l.reg, &src, &opts, &tx, &note);
    drop(tx);
    let _ = progress.join();
    let result = result?;
    let history = args
        .history
        .clone()
        .unwrap_or_else(|| crate::history::default_history_path(&c.out));
    let (line, id) = keep(&result, &args.reported_by, &history)?;
    eprint!("{}", bisect::text::steps(&result));
    if let Some(v) = &result.verification {
        eprintln!("kcross: {}", v.summary);
    }
    eprintln!(
        "kcross: {} bisection steps over {} commits; recorded as bisection {id} in {}; results in {}",
        result.bisect_steps,
        result.range,
        history.display(),
        run_dir.display()
    );
    session::emit(c.json, &result, &format!("{line}\n"));
    let named = result.status == Status::Found;
    Ok(
        if named && (result.verified() || result.verification.is_none()) {
            0
        } else {
            1
        },
    )
}
