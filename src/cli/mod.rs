//! The kcross command line: one file per subcommand. Each loads data, runs one or more
//! stages of the library, renders what they return, and maps the outcome to an exit code
//! (see `crate::error`). Only this layer and the reporters write to the terminal.

mod arches;
mod bisect;
mod boot;
mod build;
mod check;
pub mod common;
mod complete;
mod diag;
mod doctor;
mod merge;
pub mod nightly;
mod nightly_bisect;
mod plan;
pub mod report;
mod series;

use crate::error::Result;
use crate::report::json::Json;
use crate::report::{Export, Format};
use crate::source::DEFAULT_SOURCE;
use clap::{Args, Parser, Subcommand};
use common::Common;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "kcross",
    version,
    about = "Prove a kernel patch on every architecture: parallel cross-builds, helper checks, series gating, QEMU runtime tests and nightly reports."
)]
pub struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the cells a matrix expands into
    Plan(Common),
    /// Build every cell, in parallel, sharing one jobserver
    Build {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: build::BuildArgs,
    },
    /// Boot each built kernel in QEMU and run the guest tests (builds first when needed)
    Boot(boot::BootArgs),
    /// List what each cell needs and what is missing (with the Debian package), then every
    /// arch of the registry: ready here or not, and what would make it ready
    Doctor(Common),
    /// Every arch of the registry: names, kernel ARCH, compilers, boots, ready here or not
    /// (--packages: every Debian package they need, one a line)
    Arches(arches::ArchesArgs),
    /// Gate a patch series on every cell: base and tip in full, a probe of each patch in
    /// between (--every-patch: each patch in full); fail only on new errors or warnings,
    /// attributed to the patch that brought them
    Series {
        #[command(flatten)]
        series: series::Args,
        #[command(flatten)]
        common: Common,
    },
    /// Bisect a regression of one cell between a good and a bad commit of a git source, in
    /// kcross's own working copy; the culprit is verified from clean build dirs
    Bisect {
        #[command(flatten)]
        bisect: bisect::Args,
        #[command(flatten)]
        common: Common,
    },
    /// Parse any kbuild log into diagnostics, as kcross parses its own builds' (a stream:
    /// memory follows the distinct diagnostics, not the log); exit 1 when it holds an error
    Diag(diag::DiagArgs),
    /// Unpack (once, cached) and print the kernel tree a source resolves to
    Source {
        /// A tarball, a kernel tree, a git tree, or a Debian package name (default linux-source-6.12)
        spec: Option<String>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Prove that named helpers compile and resolve on every arch of the matrix, in seconds
    Check {
        #[command(flatten)]
        common: Common,
        /// A helper to check (repeatable; default: the matrix's [check] helpers)
        #[arg(long = "helper")]
        helpers: Vec<String>,
    },
    /// Build (and check) the matrix, record the run in the history, and compare it with the
    /// previous run of the same matrix: exit 1 on a regression. Made for cron.
    Nightly {
        #[command(flatten)]
        common: Common,
        /// History file (default: <out>/history.sqlite)
        #[arg(long)]
        history: Option<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
        /// What goes to stdout: the markdown summary, the JSON report, or the robot-style mail
        /// (the run dir always gets report.html/.md/.json, and mail.eml when a build regressed)
        #[arg(long, value_enum, default_value = "markdown")]
        format: nightly::NightlyFormat,
        /// The mail's From: and Reported-by:
        #[arg(long, value_name = "ADDRESS", default_value = crate::report::mail::DEFAULT_FROM)]
        mail_from: String,
        #[command(flatten)]
        bisect: nightly_bisect::Args,
    },
    /// Render a recorded run (default: the latest) as HTML, markdown, JSON or KCIDB JSON
    Report {
        /// Results directory holding the default history
        #[arg(long, default_value = "kcross-out")]
        out: PathBuf,
        /// History file (default: <out>/history.sqlite)
        #[arg(long)]
        history: Option<PathBuf>,
        /// The run to render (see --list; default: the latest)
        #[arg(long)]
        run: Option<i64>,
        /// The latest run of this matrix
        #[arg(long)]
        matrix: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Html)]
        format: Format,
        /// Write to this file, or into this directory as report-<run>.<ext> (default: stdout)
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// List the recorded runs instead (with --format json: as JSON)
        #[arg(long)]
        list: bool,
        /// Export this results directory instead of a recorded run (--format kcidb): a
        /// `kcross series` run, or a build run with its boots (an --out dir: its latest run)
        #[arg(long, value_name = "DIR", conflicts_with_all = ["run", "list"])]
        from: Option<PathBuf>,
        /// The KCIDB origin of --format kcidb (its IDs are `<origin>:<sha256>`; [a-z0-9_]+)
        #[arg(long, default_value = crate::report::kcidb::DEFAULT_ORIGIN)]
        kcidb_origin: String,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Combine the build results of a plan's shards (`--partition K/N` on N machines) into
    /// one run, as if one machine had built every cell; refuses shards of different plans or
    /// sources, overlapping, missing or unfinished shards
    Merge(merge::MergeArgs),
    /// Print the shell completion script (e.g. `kcross completions bash > /etc/bash_completion.d/kcross`)
    Completions {
        #[arg(value_enum)]
        shell: complete::Shell,
    },
    /// Print the man page (roff; `kcross man | man -l -`)
    Man,
}

#[derive(Args, Clone)]
pub struct ReportArgs {
    /// A cell whose build got more than this many percent slower is a regression
    #[arg(long, default_value_t = crate::history::DEFAULT_SLOWER_PCT)]
    slower_pct: f64,
    /// How many runs the trend charts show
    #[arg(long, default_value_t = crate::history::DEFAULT_TREND_RUNS)]
    trend_runs: usize,
}

impl ReportArgs {
    fn options(&self) -> crate::history::ReportOptions {
        crate::history::ReportOptions {
            slower_pct: self.slower_pct,
            trend_runs: self.trend_runs,
        }
    }
}

/// Parse the command line, run it, and return the process's exit code.
pub fn main() -> i32 {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == crate::watchdog::ARG)
    {
        return crate::watchdog::main();
    }
    crate::watchdog::start();
    crate::proc::install_signal_handlers(|| eprintln!("kcross: interrupted"));
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kcross: error: {e}");
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    // Stages that write results claim their --out first (plan and doctor only read).
    let claims = match &cli.cmd {
        Cmd::Build { common, .. }
        | Cmd::Series { common, .. }
        | Cmd::Check { common, .. }
        | Cmd::Nightly { common, .. } => Some(common),
        Cmd::Boot(a) => Some(&a.common),
        _ => None,
    };
    let claims = claims.map(|c| (&c.out, c.wait)).or(match &cli.cmd {
        Cmd::Merge(m) => Some((&m.out, m.wait)),
        _ => None,
    });
    // A results dir that this run created and left holding nothing but the claim (bad input
    // refused before anything ran) is removed again: a refused command leaves no trace.
    let mut fresh_out = None;
    if let Some((out, wait)) = claims {
        if common::lock_out(out, wait)? {
            fresh_out = Some(out.clone());
        }
    }
    let r = dispatch(cli);
    if let (Some(out), Err(_)) = (&fresh_out, &r) {
        common::unclaim_if_empty(out);
    }
    r
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Plan(c) => plan::run(&c),
        Cmd::Build { common, args } => build::run(&common, &args),
        Cmd::Boot(a) => boot::run(&a),
        Cmd::Doctor(c) => doctor::run(&c),
        Cmd::Arches(a) => arches::run(&a),
        Cmd::Check { common, helpers } => check::run(&common, &helpers),
        Cmd::Series { series, common } => series::run(&series, &common),
        Cmd::Bisect { bisect, common } => bisect::run(&bisect, &common),
        Cmd::Nightly {
            common,
            history,
            report,
            format,
            mail_from,
            bisect,
        } => nightly::run(
            &common,
            history,
            &report.options(),
            format,
            &mail_from,
            &bisect,
        ),
        Cmd::Report {
            out,
            history,
            run,
            matrix,
            format,
            output,
            list,
            from,
            kcidb_origin,
            report,
        } => {
            let history = history.unwrap_or_else(|| crate::history::default_history_path(&out));
            if let Some(dir) = from {
                report::export_dir(&dir, format, output.as_deref(), &kcidb_origin)
            } else if list {
                report::list(&history, matrix.as_deref(), format == Format::Json)
            } else {
                report::report_with_origin(
                    &history,
                    run,
                    matrix.as_deref(),
                    format,
                    output.as_deref(),
                    &report.options(),
                    &kcidb_origin,
                )
            }
        }
        Cmd::Merge(a) => merge::run(&a),
        Cmd::Diag(a) => diag::run(&a),
        Cmd::Completions { shell } => complete::completions(shell),
        Cmd::Man => complete::man(),
        Cmd::Source { spec, json } => {
            let tree = crate::source::prepare(spec.as_deref().unwrap_or(DEFAULT_SOURCE))?;
            if json {
                print!("{}", Json.render(&tree));
            } else {
                println!("{}", tree.root.display());
            }
            Ok(0)
        }
    }
}
