//! `kcross series SERIES [MATRIX]`. `Args` is flattened before `Common` (so SERIES comes
//! first, then the optional MATRIX).

use super::common::{self as session, Common};
use crate::error::{Error, Result};
use crate::report::{self, Export};
use crate::series::locate::{self, Located};
use crate::series::{self, FailOn, GateOptions, SeriesResult};
use crate::source;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// The series: an mbox (mailing-list archive or `git format-patch --stdout`; the cover
    /// letter is skipped), a directory of *.patch files (applied in name order), or a git
    /// revision range when the source is a git tree; or a Message-ID, looked up in the
    /// --inbox mirror (kcross never fetches)
    #[arg(value_name = "SERIES")]
    pub series: Option<String>,
    /// Gate what `b4 am -o DIR` wrote: the newest *.mbx there (and its .cover); then the
    /// only positional argument is the MATRIX
    #[arg(long, value_name = "DIR")]
    pub from_b4: Option<PathBuf>,
    /// A local mailbox mirror for a Message-ID SERIES: a maildir, an mbox, or a directory of
    /// mbox files (default: $KCROSS_INBOX)
    #[arg(long, value_name = "DIR")]
    pub inbox: Option<PathBuf>,
    /// What goes to stdout (the run dir always gets series.json, junit.xml, report.md,
    /// patchwork.json and a reply-<n>.eml per patch that brought something new)
    #[arg(long, value_enum, default_value = "text")]
    pub format: SeriesFormat,
    /// Where the run dirs are published (`<URL>/<run dir name>/`): the checks' target_url
    /// and the mails' Closes: link (default: file:// paths)
    #[arg(long, value_name = "URL")]
    pub patchwork_base_url: Option<String>,
    /// Also write (and with --format patchwork, print) the REST requests that would post the
    /// checks to this patchwork (kcross sends nothing)
    #[arg(long, value_name = "URL")]
    pub patchwork_url: Option<String>,
    /// The mails' From: and Reported-by:
    #[arg(long, value_name = "ADDRESS", default_value = report::mail::DEFAULT_FROM)]
    pub mail_from: String,
    /// What fails the gate: new errors only, or new errors and new warnings
    #[arg(long, value_enum, default_value = "new-warnings")]
    pub fail_on: FailOnArg,
    /// Build the base and the whole series only (no per-patch steps)
    #[arg(long, conflicts_with = "every_patch")]
    pub last_only: bool,
    /// Build every patch in full, incrementally (the default, fast mode, builds the base and
    /// the tip in full and only the series' own units and its findings' in between; object
    /// cells are always built at every patch)
    #[arg(long)]
    pub every_patch: bool,
    /// Fast mode: leave a file-less finding of the tip (link, modpost, make) on the last
    /// patch, marked unattributed, instead of bisecting it over the series with full builds
    #[arg(long, conflicts_with_all = ["every_patch", "last_only"])]
    pub no_bisect: bool,
    /// Benchmark: build every step in a fresh build dir instead of incrementally
    #[arg(long, hide = true)]
    pub from_scratch: bool,
    /// Build without the sandbox (default: every make under bubblewrap, as with --sandbox:
    /// a stranger's patch gets no network and cannot write outside its build dirs)
    #[arg(long, conflicts_with = "sandbox")]
    pub no_sandbox: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesFormat {
    /// The grid and the verdict
    Text,
    /// series.json
    Json,
    /// patchwork.json (or, with --patchwork-url, the requests)
    Patchwork,
    /// The replies, as one mbox
    Mail,
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
    // Where the series comes from first: a Message-ID without a mirror costs nothing.
    let mut c = c.clone();
    let mut spec = args.series.clone();
    if args.from_b4.is_some() && spec.is_some() {
        if c.matrix.is_some() {
            return Err(Error::Usage(
                "--from-b4 DIR takes the place of SERIES: give only the MATRIX".into(),
            ));
        }
        c.matrix = spec.take().map(PathBuf::from);
    }
    let inbox = args
        .inbox
        .clone()
        .or_else(|| std::env::var_os(locate::INBOX_ENV).map(PathBuf::from));
    let located = locate::resolve(spec.as_deref(), args.from_b4.as_deref(), inbox.as_deref())?;
    let c = &c;
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
    // The sandbox is on unless --no-sandbox: refused here, before anything is built, where
    // bwrap cannot run.
    let sandbox = session::sandbox(
        !args.no_sandbox,
        "kcross series (sandboxed by default; --no-sandbox builds without it)",
    )?;
    let src = session::prepare_source(c, &l)?;
    let series = match located {
        Located::Spec(s) => series::load(&s, &src)?,
        Located::Thread(s) => s,
    };
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
        mode: if args.last_only {
            series::SeriesMode::LastOnly
        } else if args.every_patch {
            series::SeriesMode::EveryPatch
        } else {
            series::SeriesMode::Fast
        },
        fail_on: args.fail_on.into(),
        from_scratch: args.from_scratch,
        bisect_unattributed: !args.no_bisect,
        sandbox,
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
    let out = interop_files(args, &l.plan, &result)?;
    session::set_latest(&c.out, &run_dir, session::Stage::Series)?;
    let grid = report::series::grid(&result);
    let format = if c.json {
        SeriesFormat::Json
    } else {
        args.format
    };
    match format {
        SeriesFormat::Text => print!("{grid}"),
        SeriesFormat::Json => session::emit(true, &result, &grid),
        SeriesFormat::Patchwork => {
            print!("{}", out.requests.as_deref().unwrap_or(&out.checks));
            eprint!("{grid}");
        }
        SeriesFormat::Mail => {
            print!("{}", out.mbox);
            if out.mbox.is_empty() {
                eprintln!("kcross: no mail: no patch brought anything new");
            }
            eprint!("{grid}");
        }
    }
    Ok(result.exit_code())
}

/// What the interop formats rendered (already written to the run dir).
struct Interop {
    checks: String,
    requests: Option<String>,
    mbox: String,
}

/// patchwork.json, patchwork-requests.json (with --patchwork-url) and the replies, written
/// atomically into the run dir whatever --format says.
fn interop_files(args: &Args, plan: &crate::plan::Plan, r: &SeriesResult) -> Result<Interop> {
    let pw = report::patchwork::Options {
        base_url: args.patchwork_base_url.clone(),
    };
    let checks = report::patchwork::checks(r, &pw);
    let checks_text = report::patchwork::render(&checks);
    crate::atomic::write(&r.run_dir.join("patchwork.json"), checks_text.as_bytes())?;
    let requests = match &args.patchwork_url {
        Some(url) => {
            let mut t = serde_json::to_string_pretty(&report::patchwork::requests(&checks, url))
                .expect("serialisable");
            t.push('\n');
            crate::atomic::write(&r.run_dir.join("patchwork-requests.json"), t.as_bytes())?;
            Some(t)
        }
        None => None,
    };
    let mail = report::mail::Options {
        from: args.mail_from.clone(),
        base_url: args.patchwork_base_url.clone(),
        cells: plan
            .cells
            .iter()
            .map(|c| (c.id.clone(), cell_info(c)))
            .collect(),
    };
    let replies = report::mail::replies(r, &mail);
    for m in &replies {
        crate::atomic::write(&r.run_dir.join(&m.file_name), m.text.as_bytes())?;
    }
    Ok(Interop {
        checks: checks_text,
        requests,
        mbox: report::mail::mbox(&replies),
    })
}

/// What the mail says of a cell: its config, its compiler's version line, make's variables.
pub(super) fn cell_info(c: &crate::plan::Cell) -> report::mail::CellInfo {
    let base = c.config.base.label();
    let frags: Vec<String> = c
        .config
        .fragments
        .iter()
        .map(|f| {
            Path::new(&f.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| f.path.clone())
        })
        .collect();
    let config = if frags.is_empty() {
        base
    } else {
        format!("{base} + {}", frags.join(" "))
    };
    let compiler = c
        .toolchain
        .requires
        .first()
        .and_then(|r| {
            crate::proc::run_capture(
                std::process::Command::new(&r.program)
                    .arg("--version")
                    .env("LC_ALL", "C"),
            )
            .ok()
        })
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| c.toolchain.family.clone());
    report::mail::CellInfo {
        config,
        compiler,
        make_vars: c.make_vars(),
    }
}
