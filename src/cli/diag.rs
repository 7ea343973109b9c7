//! `kcross diag LOG`: the diagnostics of any kbuild log (a CI job's own make, a log someone
//! mailed), parsed as kcross parses its own builds', read as a stream.

use crate::diag::{self, Diagnostic, ParseContext};
use crate::error::{outcome_code, IoContext, Result};
use crate::report::series::{diag_block, diag_line};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct DiagArgs {
    /// The log: make's stdout and stderr, merged (`-` for standard input)
    log: PathBuf,
    /// The kernel source tree the log's paths are made relative to (default: the current dir)
    #[arg(long, value_name = "DIR")]
    source_root: Option<PathBuf>,
    /// The build (O=) dir of the log; its files show as `$(objtree)/...` (default: the source root)
    #[arg(long, value_name = "DIR")]
    build_root: Option<PathBuf>,
    /// The cell name the diagnostics carry (it is part of none of their fingerprints)
    #[arg(long, default_value = "log")]
    cell: String,
    /// JSON: the array of diagnostics, as a cell's result.json holds them
    #[arg(long)]
    json: bool,
    /// Each diagnostic with its function and quoted source line (text output)
    #[arg(long, short = 'v')]
    verbose: bool,
}

/// Exit 1 when the log holds an error, 0 otherwise; 2 when it cannot be read.
pub fn run(a: &DiagArgs) -> Result<i32> {
    let cwd = std::env::current_dir().ctx(|| "the current directory".to_string())?;
    let source_root = a.source_root.clone().unwrap_or(cwd);
    let ctx = ParseContext {
        build_root: a.build_root.clone().unwrap_or_else(|| source_root.clone()),
        source_root,
        cell: a.cell.clone(),
    };
    let ds = if a.log.as_os_str() == "-" {
        diag::parse_reader(std::io::stdin().lock(), &ctx, |_| {})
            .ctx(|| "reading standard input".to_string())?
    } else {
        diag::parse_file(&a.log, &ctx, |_| {}).ctx(|| format!("reading {}", a.log.display()))?
    };
    if a.json {
        // Written as it serializes: the text of 200,000 diagnostics is not held twice.
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut w, &ds)
            .map_err(std::io::Error::from)
            .and_then(|()| w.write_all(b"\n"))
            .and_then(|()| w.flush())
            .ctx(|| "writing standard output".to_string())?;
    } else {
        for d in &ds {
            if a.verbose {
                print!("{}", diag_block(d, ""));
            } else {
                println!("{}", diag_line(d));
            }
        }
        let errors = ds.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "{}: {} diagnostic(s), {errors} error(s)",
            a.log.display(),
            ds.len()
        );
    }
    Ok(outcome_code(!ds.iter().any(Diagnostic::is_error)))
}
