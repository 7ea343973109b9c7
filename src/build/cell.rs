//! One cell: verified configure (skipped when the build dir already has this exact
//! configuration), then the build, then diagnostics.

use super::{CellResult, Event, Jobs, Stage, Verdict};
use crate::diag::{self, Diagnostic, ParseContext, Severity, Tool};
use crate::error::{IoContext, Result};
use crate::kconfig::{self, Base};
use crate::plan::Cell;
use crate::source::SourceTree;
use crate::util::FileLock;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// A kernel build dir (O=) for one (source, cell configuration); shared by every run, stage
/// and test that builds the same thing, under a lock.
#[derive(Debug, Clone)]
pub struct BuildDir {
    pub path: PathBuf,
    pub lock: PathBuf,
}

pub fn build_dir_for(root: &Path, src: &SourceTree, c: &Cell) -> BuildDir {
    // Keyed by what the tree and the configuration are, not by the cell's name, so every
    // run, stage and test that builds the same thing shares one dir (under its lock).
    let name = format!("{}-{}-{}", c.arch, c.toolchain.family, c.config_key());
    let path = root.join(src.build_id()).join(&name);
    let lock = root.join(src.build_id()).join(format!("{name}.lock"));
    BuildDir { path, lock }
}

const STAMP: &str = ".kcross-configured";

/// `make -C srctree O=dir ARCH=.. CROSS_COMPILE=.. [make_args] targets...`; every value is one
/// argv element.
pub fn make_command(src_root: &Path, build_dir: &Path, c: &Cell, targets: &[String]) -> Command {
    let mut cmd = Command::new("make");
    cmd.arg("-C").arg(src_root);
    cmd.arg(format!("O={}", build_dir.display()));
    for v in c.make_vars() {
        cmd.arg(v);
    }
    for t in targets {
        cmd.arg(t);
    }
    // Each target's output in one piece (a note stays with its diagnostic; recursive makes
    // are not held back, so progress stays live).
    cmd.arg("--output-sync=target");
    // Stable, parseable output: plain C locale, no colour.
    cmd.env("LC_ALL", "C")
        .env("GCC_COLORS", "")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    // Reproducible inputs: the same tree and config give the same objects, whoever builds
    // them, when and where (so a compiler cache hits). The matrix overrides any of them
    // with a make variable (`make_args = ["KBUILD_BUILD_USER=me"]`), which beats the
    // environment.
    for (k, v) in REPRODUCIBLE {
        cmd.env(k, v);
    }
    if let Some(w) = &c.wrapper {
        // `{build_dir}` in a value is the cell's O= dir (ccache's base_dir: paths under it
        // are hashed relative, so objtool's and other tools' builds hit in a fresh dir).
        for (k, v) in &w.env {
            cmd.env(
                k,
                v.replace("{build_dir}", &build_dir.display().to_string()),
            );
        }
        // Paths in the objects relative to the tree (TuxMake does the same), unless the
        // matrix sets its own KCFLAGS.
        if !c.make_vars().iter().any(|v| v.starts_with("KCFLAGS=")) {
            cmd.env(
                "KCFLAGS",
                format!("-ffile-prefix-map={}/=", src_root.display()),
            );
        }
    }
    cmd
}

/// kbuild's reproducible-build variables (Documentation/kbuild/reproducible-builds.rst), fixed.
pub const REPRODUCIBLE: [(&str, &str); 4] = [
    ("KBUILD_BUILD_TIMESTAMP", "1970-01-01 00:00:00 UTC"),
    ("KBUILD_BUILD_USER", "kcross"),
    ("KBUILD_BUILD_HOST", "kcross"),
    ("KBUILD_BUILD_VERSION", "1"),
];

/// Where a wrapper logs the build step's calls (in the build dir, under its lock).
fn stats_log_path(bd: &BuildDir) -> PathBuf {
    bd.path.join(".kcross-wrapper-stats.log")
}

/// Outcome of configure: reused, configured, or failed with diagnostics.
pub struct Configured {
    pub reused: bool,
    pub ok: bool,
    pub diagnostics: Vec<Diagnostic>,
    pub seconds: f64,
}

fn run_make(
    cmd: &mut Command,
    bd: &Path,
    jobs: &Jobs,
    log: &Path,
    cell: &str,
    events: &Sender<Event>,
) -> Result<bool> {
    let st = jobs.make(cmd, bd, log, |line| {
        let _ = events.send(Event::CellOutput {
            cell: cell.to_string(),
            line: line.to_string(),
        });
    })?;
    Ok(st.success())
}

/// Configure the build dir for the cell: base config, fragments merged (a fragment's symbol
/// replaces the base's line, so Kconfig sees no override), olddefconfig, then verification
/// of every requested symbol. Skipped when the stamp says this exact configuration is there.
pub fn configure(
    c: &Cell,
    src: &SourceTree,
    bd: &BuildDir,
    log: &Path,
    jobs: &Jobs,
    events: &Sender<Event>,
) -> Result<Configured> {
    let t0 = Instant::now();
    let key = c.config_key();
    let stamp = bd.path.join(STAMP);
    let dotconfig = bd.path.join(".config");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str()) && dotconfig.is_file()
    {
        return Ok(Configured {
            reused: true,
            ok: true,
            diagnostics: Vec::new(),
            seconds: 0.0,
        });
    }
    let _ = events.send(Event::CellPhase {
        cell: c.id.clone(),
        phase: "configure".into(),
    });
    std::fs::create_dir_all(&bd.path).ctx(|| format!("creating {}", bd.path.display()))?;
    let _ = std::fs::remove_file(&stamp);
    let ctx = ParseContext {
        source_root: src.root.clone(),
        build_root: bd.path.clone(),
        cell: c.id.clone(),
    };
    let fail = |diags: Vec<Diagnostic>, t0: Instant| Configured {
        reused: false,
        ok: false,
        diagnostics: diags,
        seconds: t0.elapsed().as_secs_f64(),
    };
    match &c.config.base {
        Base::Target(t) => {
            let mut cmd = make_command(&src.root, &bd.path, c, std::slice::from_ref(t));
            if !run_make(&mut cmd, &bd.path, jobs, log, &c.id, events)? {
                let (mut d, tail) = scan_log(log, &ctx);
                if !d.iter().any(Diagnostic::is_error) {
                    d.push(make_failure(&c.id, &format!("make {t} failed"), tail));
                }
                return Ok(fail(d, t0));
            }
        }
        Base::File { text, .. } => {
            crate::atomic::write(&dotconfig, text.as_bytes())?;
        }
    }
    let base_text =
        std::fs::read_to_string(&dotconfig).ctx(|| format!("reading {}", dotconfig.display()))?;
    let merged = merge(&base_text, c);
    crate::atomic::write(&dotconfig, merged.as_bytes())?;
    let mut cmd = make_command(&src.root, &bd.path, c, &["olddefconfig".to_string()]);
    if !run_make(&mut cmd, &bd.path, jobs, log, &c.id, events)? {
        let (mut d, tail) = scan_log(log, &ctx);
        if !d.iter().any(Diagnostic::is_error) {
            d.push(make_failure(&c.id, "make olddefconfig failed", tail));
        }
        return Ok(fail(d, t0));
    }
    let final_config =
        std::fs::read_to_string(&dotconfig).ctx(|| format!("reading {}", dotconfig.display()))?;
    let dropped = kconfig::verify(&c.config, &final_config, &src.root, &c.srcarch);
    let mut diags = scan_log(log, &ctx).0;
    for d in &dropped {
        let (file, line) = match d.at.rsplit_once(':') {
            Some((f, l)) => (f.to_string(), l.parse().ok()),
            None => (d.at.clone(), None),
        };
        let mut dg = Diagnostic {
            code: "kconfig-dropped".into(),
            severity: Severity::Error,
            tool: Tool::Kconfig,
            file: Some(file),
            line,
            column: None,
            flag: None,
            message: d.message(),
            function: None,
            source_line: Some(format!("CONFIG_{}={}", d.symbol, d.wanted)),
            notes: d
                .defined_at
                .iter()
                .map(|a| format!("defined at {a}"))
                .collect(),
            cell: c.id.clone(),
            fingerprint: String::new(),
        };
        dg.fingerprint = diag::fingerprint(&dg);
        diags.push(dg);
    }
    if !dropped.is_empty() {
        return Ok(fail(diags, t0));
    }
    crate::atomic::write(&stamp, key.as_bytes())?;
    Ok(Configured {
        reused: false,
        ok: true,
        diagnostics: diags,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The symbols the cell's fragments set: the merge drops the base's lines for them.
pub fn fragment_symbols(c: &Cell) -> std::collections::BTreeSet<&str> {
    c.config
        .fragments
        .iter()
        .flat_map(|f| f.requests.iter().map(|r| r.symbol.as_str()))
        .collect()
}

/// Does this .config line set (or unset) one of `symbols`?
fn sets_symbol(line: &str, symbols: &std::collections::BTreeSet<&str>) -> bool {
    let sym = line
        .strip_prefix("CONFIG_")
        .and_then(|r| r.split('=').next())
        .or_else(|| {
            line.strip_prefix("# CONFIG_")
                .and_then(|r| r.strip_suffix(" is not set"))
        });
    sym.is_some_and(|s| symbols.contains(s))
}

/// What the merge appends to the base: each fragment's requests, as .config lines.
pub fn fragment_lines(c: &Cell) -> String {
    let mut out = String::new();
    for f in &c.config.fragments {
        out.push_str(&format!("# kcross fragment {}\n", f.path));
        for r in &f.requests {
            if r.value == "n" {
                out.push_str(&format!("# CONFIG_{} is not set\n", r.symbol));
            } else {
                out.push_str(&format!("CONFIG_{}={}\n", r.symbol, r.value));
            }
        }
    }
    out
}

/// The merge: the base's lines for symbols a fragment sets are dropped (so Kconfig sees no
/// override), then the fragments' lines are appended; olddefconfig follows.
pub fn merge(base_text: &str, c: &Cell) -> String {
    let symbols = fragment_symbols(c);
    let mut merged = String::new();
    for line in base_text.lines() {
        if sets_symbol(line, &symbols) {
            continue;
        }
        merged.push_str(line);
        merged.push('\n');
    }
    merged.push_str(&fragment_lines(c));
    merged
}

/// A make failure with no parseable diagnostic: quote the log's tail.
pub fn make_failure(cell: &str, what: &str, tail: Vec<String>) -> Diagnostic {
    make_error(cell, "make-error", what.to_string(), tail)
}

/// The lines of a log that `make_failure` quotes: its last few.
pub const FAILURE_TAIL: usize = 5;

/// A log's diagnostics and its last `FAILURE_TAIL` lines, in one streaming pass (an
/// unreadable log has none).
pub fn scan_log(log: &Path, ctx: &ParseContext) -> (Vec<Diagnostic>, Vec<String>) {
    let mut tail = std::collections::VecDeque::with_capacity(FAILURE_TAIL + 1);
    let d = diag::parse_file(log, ctx, |l| {
        tail.push_back(l.to_string());
        if tail.len() > FAILURE_TAIL {
            tail.pop_front();
        }
    })
    .unwrap_or_default();
    (d, tail.into())
}

/// An error of make itself (no file, no line), fingerprinted.
fn make_error(cell: &str, code: &str, message: String, notes: Vec<String>) -> Diagnostic {
    let mut d = Diagnostic {
        code: code.into(),
        severity: Severity::Error,
        tool: Tool::Make,
        file: None,
        line: None,
        column: None,
        flag: None,
        message,
        function: None,
        source_line: None,
        notes,
        cell: cell.to_string(),
        fingerprint: String::new(),
    };
    d.fingerprint = diag::fingerprint(&d);
    d
}

#[allow(clippy::too_many_arguments)]
pub fn build(
    c: &Cell,
    src: &SourceTree,
    bd: &BuildDir,
    dir: &Path,
    jobs: &Jobs,
    events: &Sender<Event>,
    compiler_version: &str,
    limit_s: u64,
) -> Result<CellResult> {
    let t0 = Instant::now();
    let _lock = FileLock::acquire(&bd.lock)?;
    let cfg_log = dir.join("configure.log");
    let build_log = dir.join("build.log");
    crate::atomic::write(&cfg_log, b"")?;
    // The compiler's version is the build log's first line.
    crate::atomic::write(&build_log, format!("{compiler_version}\n").as_bytes())?;
    let mut tracked = super::Tracked::open(bd, &src.root, &c.id)?;
    let conf = configure(c, src, bd, &cfg_log, jobs, events)?;
    tracked.configured(&conf)?;
    let mut result =
        CellResult::configured(c, dir, &bd.path, conf.seconds, conf.reused, Vec::new());
    result.sandboxed = jobs.is_sandboxed();
    if !conf.ok {
        result.diagnostics = conf.diagnostics;
        result.verdict = Verdict::Fail;
        result.failed_stage = Some(Stage::Configure);
        sandbox_reason(&mut result, &cfg_log);
        return Ok(finish(result, t0));
    }
    let _ = crate::atomic::copy(&bd.path.join(".config"), &dir.join("config"));
    let _ = events.send(Event::CellPhase {
        cell: c.id.clone(),
        phase: "build".into(),
    });
    result.incremental = Some(!tracked.is_cold());
    let tb = Instant::now();
    let mut cmd = make_command(&src.root, &bd.path, c, &c.targets);
    let stats = c.wrapper.as_ref().and_then(|w| {
        let log = w.stats_log.as_ref()?;
        let path = stats_log_path(bd);
        let _ = std::fs::remove_file(&path);
        cmd.env(&log.env, &path);
        Some((w.name.clone(), log.format, path))
    });
    tracked.set_limit(Some(std::time::Duration::from_secs(limit_s)));
    let run = tracked.make(
        &mut cmd,
        &c.targets,
        jobs,
        &build_log,
        &std::collections::BTreeSet::new(),
        |line| {
            let _ = events.send(Event::CellOutput {
                cell: c.id.clone(),
                line: line.to_string(),
            });
        },
    )?;
    result.timings.build_s = tb.elapsed().as_secs_f64();
    result.printed = run.printed.len();
    if let Some((name, format, path)) = stats {
        let text = crate::util::read_lossy(&path).unwrap_or_default();
        result.wrapper = Some(crate::toolchain::wrapper::parse_stats_log(
            &name, format, &text,
        ));
    }
    // The tree's diagnostics, not only what this make printed: a warm rebuild reports what
    // a cold one would.
    result.diagnostics = tracked.view(&c.targets);
    if run.timed_out {
        let elapsed_s = run.elapsed.as_secs_f64();
        result.verdict = Verdict::Timeout;
        result.failed_stage = Some(Stage::Build);
        result.reason = Some(format!(
            "make ran past the cell's {} timeout and was ended after {elapsed_s:.1} s",
            crate::util::duration::show(limit_s)
        ));
        result.timeout = Some(super::TimedOut { limit_s, elapsed_s });
    } else if !run.ok {
        result.verdict = Verdict::Fail;
        result.failed_stage = Some(Stage::Build);
        sandbox_reason(&mut result, &build_log);
    }
    let image = bd.path.join(&c.image_path);
    if run.ok && image.is_file() {
        result.image = Some(image);
    }
    Ok(finish(result, t0))
}

/// A sandboxed cell that failed where the sandbox stopped something (a write to the
/// read-only system, a connection with no network): a `sandbox-denied` error first among
/// its diagnostics (so a series step that the sandbox stopped is a new error), and its
/// reason, quoting the log's line.
pub fn sandbox_reason(r: &mut CellResult, log: &Path) {
    if !r.sandboxed || r.verdict != Verdict::Fail {
        return;
    }
    let text = crate::util::read_lossy(log).unwrap_or_default();
    if let Some(line) = crate::sandbox::denial(&text) {
        let message = format!("stopped by the sandbox: {line}");
        let d = make_error(
            &r.cell,
            "sandbox-denied",
            message.clone(),
            vec![format!("log: {}", log.display())],
        );
        // The recipes that failed because of it are its consequence, as a compiler error's
        // `*** [...] Error 1` lines are (the parser drops those beside a real error).
        r.diagnostics.retain(|x| x.code != "make-error");
        r.diagnostics.insert(0, d);
        r.reason = Some(message);
    }
}

fn finish(mut r: CellResult, t0: Instant) -> CellResult {
    r.count_diagnostics();
    r.timings.total_s = t0.elapsed().as_secs_f64();
    r
}
