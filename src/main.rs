//! The kcross command line. Each subcommand loads data, runs one or more stages, renders, and
//! maps the outcome to an exit code (see `kcross::error`).

use clap::{Args, Parser, Subcommand};
use kcross::build;
use kcross::error::{outcome_code, Error, Result};
use kcross::history::cli::{self as history_cli, Format, ReportOptions};
use kcross::report::{self, Export};
use kcross::source;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "kcross",
    version,
    about = "Prove a kernel patch on every architecture: parallel cross-builds, helper checks, series gating, QEMU runtime tests and nightly reports."
)]
struct Cli {
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
        /// How many cells may build at once (default: all; 1 = one after another)
        #[arg(long)]
        cells_at_once: Option<usize>,
        /// Then boot each built kernel in QEMU and run the matrix's [runtime] tests
        #[arg(long)]
        runtime: bool,
    },
    /// Boot each built kernel in QEMU and run the guest tests (builds first when needed)
    Boot(kcross::runtime::cli::BootArgs),
    /// List what each cell needs and what is missing (with the Debian package)
    Doctor(Common),
    /// Gate a patch series: the base, then each patch rebuilt incrementally on every cell;
    /// fail only on new errors or warnings, attributed to the patch that brought them
    Series {
        #[command(flatten)]
        series: kcross::series::cli::Args,
        #[command(flatten)]
        common: Common,
    },
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
    },
    /// Render a recorded run (default: the latest) as HTML, markdown or JSON
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
        #[command(flatten)]
        report: ReportArgs,
    },
}

#[derive(Args, Clone)]
struct ReportArgs {
    /// A cell whose build got more than this many percent slower is a regression
    #[arg(long, default_value_t = history_cli::DEFAULT_SLOWER_PCT)]
    slower_pct: f64,
    /// How many runs the trend charts show
    #[arg(long, default_value_t = history_cli::DEFAULT_TREND_RUNS)]
    trend_runs: usize,
}

impl ReportArgs {
    fn options(&self) -> ReportOptions {
        ReportOptions {
            slower_pct: self.slower_pct,
            trend_runs: self.trend_runs,
        }
    }
}

use kcross::session::{
    ensure_tools, jobs, load, new_run_dir, prepare_source, requirements, run_builds, set_latest,
    source_spec, Common,
};

fn main() {
    kcross::proc::install_signal_handlers();
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kcross: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Plan(c) => cmd_plan(&c),
        Cmd::Build {
            common,
            cells_at_once,
            runtime,
        } => cmd_build(&common, cells_at_once, runtime),
        Cmd::Boot(a) => kcross::runtime::cli::cmd_boot(&a),
        Cmd::Doctor(c) => cmd_doctor(&c),
        Cmd::Check { common, helpers } => cmd_check(&common, &helpers),
        Cmd::Series { series, common } => kcross::series::cli::run(&series, &common),
        Cmd::Nightly {
            common,
            history,
            report,
        } => cmd_nightly(&common, history, &report.options()),
        Cmd::Report {
            out,
            history,
            run,
            matrix,
            format,
            output,
            list,
            report,
        } => {
            let history = history.unwrap_or_else(|| history_cli::default_history_path(&out));
            if list {
                history_cli::list(&history, matrix.as_deref(), format == Format::Json)
            } else {
                history_cli::report(
                    &history,
                    run,
                    matrix.as_deref(),
                    format,
                    output.as_deref(),
                    &report.options(),
                )
            }
        }
        Cmd::Source { spec, json } => {
            let tree = source::prepare(spec.as_deref().unwrap_or(source::DEFAULT_SOURCE))?;
            if json {
                print!("{}", report::json::Json.render(&tree));
            } else {
                println!("{}", tree.root.display());
            }
            Ok(0)
        }
    }
}

fn cmd_plan(c: &Common) -> Result<i32> {
    let l = load(c)?;
    if c.json {
        print!("{}", report::json::Json.render(&l.plan));
        return Ok(0);
    }
    println!(
        "matrix {} ({}): {} cell(s)",
        l.plan.matrix,
        l.plan.matrix_origin,
        l.plan.cells.len()
    );
    for cell in &l.plan.cells {
        let frags: Vec<&str> = cell
            .config
            .fragments
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        println!(
            "  {:<28} make {} {}  config {}{}{}",
            cell.id,
            cell.make_vars().join(" "),
            cell.targets.join(" "),
            cell.config.base.label(),
            if frags.is_empty() { "" } else { " + " },
            frags.join(" + ")
        );
    }
    if !l.plan.helpers.is_empty() {
        let h: Vec<&str> = l.plan.helpers.iter().map(|h| h.name.as_str()).collect();
        println!("helpers: {}", h.join(", "));
    }
    Ok(0)
}

fn cmd_doctor(c: &Common) -> Result<i32> {
    let l = load(c)?;
    let mut missing_pkgs = Vec::new();
    let mut last_who = String::new();
    for (who, r) in requirements(&l) {
        if who != last_who {
            println!("{who}:");
            last_who = who.clone();
        }
        match which::which(&r.program) {
            Ok(p) => println!("  ok       {:<28} {}", r.program, p.display()),
            Err(_) => {
                println!(
                    "  MISSING  {:<28} apt-get install --no-install-recommends {}",
                    r.program, r.package
                );
                missing_pkgs.push(r.package.clone());
            }
        }
    }
    let spec = source_spec(c, &l.matrix);
    match source::resolve(&spec) {
        Ok(p) => println!("source:\n  ok       {spec:<28} {}", p.display()),
        Err(e) => {
            println!("source:\n  MISSING  {e}");
            if spec.starts_with("linux-source-") && !spec.contains('/') {
                missing_pkgs.push(spec.clone());
            }
        }
    }
    missing_pkgs.sort();
    missing_pkgs.dedup();
    if missing_pkgs.is_empty() {
        println!("everything this matrix needs is installed");
        Ok(0)
    } else {
        println!(
            "install: apt-get install --no-install-recommends {}",
            missing_pkgs.join(" ")
        );
        Ok(2)
    }
}

fn cmd_build(c: &Common, cells_at_once: Option<usize>, runtime: bool) -> Result<i32> {
    let l = load(c)?;
    ensure_tools(&l)?;
    let src = prepare_source(c, &l)?;
    let summary = run_builds(c, &l, &src, cells_at_once)?;
    // For CI systems: a test case per cell, the first errors in the failure text.
    kcross::atomic::write(
        &summary.out_dir.join("junit.xml"),
        report::junit::Junit.render(&summary).as_bytes(),
    )?;
    let rt = if runtime {
        let opts = kcross::runtime::RuntimeOptions::new(summary.out_dir.clone());
        Some(kcross::runtime::cli::runtime_after_build(
            &l.plan, &l.reg, &summary, &opts, false,
        )?)
    } else {
        None
    };
    if c.json {
        match &rt {
            Some(rt) => print!(
                "{}",
                report::json::Json.render(&serde_json::json!({ "build": &summary, "runtime": rt }))
            ),
            None => print!("{}", report::json::Json.render(&summary)),
        }
        eprint!("{}", report::terminal::table(&summary));
        if let Some(rt) = &rt {
            eprint!("{}", kcross::runtime::report::table(rt));
        }
    } else {
        print!("{}", report::terminal::table(&summary));
        if let Some(rt) = &rt {
            print!("{}", kcross::runtime::report::table(rt));
        }
    }
    Ok(outcome_code(
        summary.all_passed() && rt.as_ref().is_none_or(|r| r.all_passed()),
    ))
}

fn cmd_check(c: &Common, helpers: &[String]) -> Result<i32> {
    let l = load(c)?;
    let helpers: Vec<String> = if helpers.is_empty() {
        l.plan.helpers.iter().map(|h| h.name.clone()).collect()
    } else {
        for h in helpers {
            kcross::matrix::check_helper_name(h, "--helper")?;
        }
        helpers.to_vec()
    };
    if helpers.is_empty() {
        return Err(Error::Usage(format!(
            "no helpers to check: give --helper NAME or a [check] helpers list in {}",
            l.plan.matrix_origin
        )));
    }
    ensure_tools(&l)?;
    let src = prepare_source(c, &l)?;
    let run_dir = new_run_dir(&c.out, &format!("{}-check", l.plan.matrix))?;
    let opts = kcross::check::CheckOptions {
        helpers,
        extra_objects: l.plan.check_objects.clone(),
        jobs: jobs(c),
        run_dir: run_dir.clone(),
        build_root: build::default_build_root(),
    };
    let summary = kcross::check::run(&l.plan, &src, &opts)?;
    set_latest(&c.out, &run_dir)?;
    let table = report::terminal::check_table(&summary);
    if c.json {
        print!("{}", report::json::Json.render(&summary));
        eprint!("{table}");
    } else {
        print!("{table}");
    }
    Ok(outcome_code(summary.passed()))
}

/// `kcross nightly`: one at a time per history file (exit 2 otherwise), every stage the matrix
/// has, then record + compare + reports (report.html, report.md, report.json in the run dir).
fn cmd_nightly(c: &Common, history: Option<PathBuf>, opts: &ReportOptions) -> Result<i32> {
    let history = history.unwrap_or_else(|| history_cli::default_history_path(&c.out));
    let lock = history_cli::NightlyLock::acquire(&history)?;
    let l = load(c)?;
    ensure_tools(&l)?;
    let src = prepare_source(c, &l)?;
    let summary = run_builds(c, &l, &src, None)?;
    let check = if l.plan.helpers.is_empty() {
        Vec::new()
    } else {
        let opts = kcross::check::CheckOptions {
            helpers: l.plan.helpers.iter().map(|h| h.name.clone()).collect(),
            extra_objects: l.plan.check_objects.clone(),
            jobs: jobs(c),
            run_dir: summary.out_dir.join("check"),
            build_root: build::default_build_root(),
        };
        check_rows(&kcross::check::run(&l.plan, &src, &opts)?)
    };
    let runtime = if l.plan.runtime.is_some() {
        let opts = kcross::runtime::RuntimeOptions::new(summary.out_dir.clone());
        let rt =
            kcross::runtime::cli::runtime_after_build(&l.plan, &l.reg, &summary, &opts, false)?;
        runtime_rows(&rt)
    } else {
        Vec::new()
    };
    let run = kcross::history::RecordedRun::new(summary, check, runtime);
    history_cli::nightly(&lock, &history, &run, opts, c.json)
}

/// The check stage's verdicts as history rows (verdict: the serde name, e.g. `missing`).
fn check_rows(s: &kcross::check::CheckSummary) -> Vec<kcross::history::HelperVerdictRow> {
    let mut rows = Vec::new();
    for c in &s.cells {
        if let Some(why) = &c.setup_failure {
            for h in &s.helpers {
                rows.push(kcross::history::HelperVerdictRow {
                    cell: c.cell.clone(),
                    helper: h.clone(),
                    verdict: "skipped".into(),
                    evidence: why.clone(),
                });
            }
            continue;
        }
        for h in &c.helpers {
            let mut evidence = h.summary.clone();
            for e in &h.evidence {
                evidence.push('\n');
                evidence.push_str(&e.what);
                if let Some(at) = &e.at {
                    evidence.push_str(&format!(" ({at})"));
                }
            }
            rows.push(kcross::history::HelperVerdictRow {
                cell: h.cell.clone(),
                helper: h.helper.clone(),
                verdict: serde_json::to_value(h.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| h.verdict.to_string()),
                evidence,
            });
        }
    }
    rows
}

/// The runtime stage's results as history rows (verdict: the serde name, e.g. `fail`).
fn runtime_rows(s: &kcross::runtime::RuntimeSummary) -> Vec<kcross::history::RuntimeRow> {
    s.results
        .iter()
        .map(|r| {
            let mut detail = r.reason.clone().unwrap_or_default();
            for c in r.complaints.iter().take(5) {
                detail.push('\n');
                detail.push_str(c);
            }
            kcross::history::RuntimeRow {
                cell: r.cell.clone(),
                test: r.test.clone(),
                verdict: serde_json::to_value(r.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                detail,
                duration_s: Some(r.total_s),
            }
        })
        .collect()
}
