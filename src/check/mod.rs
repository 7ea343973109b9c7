//! Helper check: for every cell, where each named helper is defined or declared for that arch
//! and config, that it compiles (a probe translation unit built by kbuild with the arch's own
//! flags, plus the real objects that define or use it), and that it resolves (nm).
//! Verdicts are data: provided / not-required / missing / unresolved, each with evidence.

mod outcome;
pub mod scan;

use crate::build::{self, BuildDir, Jobs};
use crate::diag::{self, Diagnostic, ParseContext};
use crate::error::{IoContext, Result};
use crate::kconfig;
use crate::plan::{Cell, Plan};
use crate::source::SourceTree;
use crate::util::FileLock;
use scan::{Config, Truth};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum HelperVerdict {
    Provided,
    NotRequired,
    Missing,
    Unresolved,
}

impl HelperVerdict {
    pub fn is_failure(self) -> bool {
        matches!(self, HelperVerdict::Missing | HelperVerdict::Unresolved)
    }
}

impl std::fmt::Display for HelperVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HelperVerdict::Provided => "provided",
            HelperVerdict::NotRequired => "not required",
            HelperVerdict::Missing => "MISSING",
            HelperVerdict::Unresolved => "UNRESOLVED",
        })
    }
}

/// One piece of evidence: what was seen, and where (file:line, relative to the tree).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Evidence {
    pub what: String,
    pub at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelperResult {
    pub cell: String,
    pub arch: String,
    pub helper: String,
    pub verdict: HelperVerdict,
    /// `static inline`, `extern function`, `macro`, `definition` (as the compiler saw it).
    pub kind: Option<String>,
    /// `arch` or `generic` for provided helpers.
    pub provider: Option<String>,
    /// One line: the verdict's reason.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellCheck {
    pub cell: String,
    pub arch: String,
    pub toolchain: String,
    pub config: String,
    pub configure_reused: bool,
    pub prepare_reused: bool,
    pub seconds: f64,
    /// Configure or prepare failed: no verdicts, the diagnostics say why.
    pub setup_failure: Option<String>,
    pub setup_diagnostics: Vec<Diagnostic>,
    pub objects: Vec<String>,
    pub helpers: Vec<HelperResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckSummary {
    pub matrix: String,
    pub source: SourceTree,
    pub helpers: Vec<String>,
    pub cells: Vec<CellCheck>,
    /// Helpers provided on no cell at all (a typo, or a tree without the series).
    pub provided_nowhere: Vec<String>,
    pub wall_s: f64,
    pub out_dir: PathBuf,
}

impl CheckSummary {
    pub fn passed(&self) -> bool {
        self.provided_nowhere.is_empty()
            && self.cells.iter().all(|c| {
                c.setup_failure.is_none() && c.helpers.iter().all(|h| !h.verdict.is_failure())
            })
    }
}

pub struct CheckOptions {
    pub helpers: Vec<String>,
    pub extra_objects: Vec<String>,
    pub jobs: usize,
    pub run_dir: PathBuf,
    pub build_root: PathBuf,
}

/// Headers the probe includes: the generic page-table and huge-page APIs, which pull in the
/// arch's asm/pgtable.h.
const PROBE_HEADERS: &[&str] = &[
    "linux/mm.h",
    "linux/huge_mm.h",
    "linux/pgtable.h",
    "linux/mman.h",
    "asm/pgtable.h",
    "asm/tlb.h",
];

pub fn run(plan: &Plan, src: &SourceTree, opts: &CheckOptions) -> Result<CheckSummary> {
    let t0 = Instant::now();
    std::fs::create_dir_all(&opts.run_dir)
        .ctx(|| format!("creating {}", opts.run_dir.display()))?;
    let jobs = Jobs::new(opts.jobs)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.cells.len().max(1))
        .build()
        .expect("thread pool");
    let results: Vec<Result<CellCheck>> = pool.install(|| {
        use rayon::prelude::*;
        plan.cells
            .par_iter()
            .map(|c| {
                let r = check_cell(c, src, opts, &jobs);
                if let Ok(cc) = &r {
                    eprintln!(
                        "[{}] checked in {:.1}s{}",
                        cc.cell,
                        cc.seconds,
                        match &cc.setup_failure {
                            Some(f) => format!(": {f}"),
                            None => String::new(),
                        }
                    );
                }
                r
            })
            .collect()
    });
    let mut cells = Vec::new();
    for r in results {
        cells.push(r?);
    }
    let provided_nowhere = opts
        .helpers
        .iter()
        .filter(|h| {
            !cells
                .iter()
                .flat_map(|c| c.helpers.iter())
                .any(|r| &r.helper == *h && r.verdict == HelperVerdict::Provided)
        })
        .cloned()
        .collect();
    let summary = CheckSummary {
        matrix: plan.matrix.clone(),
        source: src.clone(),
        helpers: opts.helpers.clone(),
        cells,
        provided_nowhere,
        wall_s: t0.elapsed().as_secs_f64(),
        out_dir: opts.run_dir.clone(),
    };
    crate::atomic::write_json(&opts.run_dir.join("check.json"), &summary)?;
    Ok(summary)
}

const PREPARED: &str = ".kcross-prepared";

fn run_make_quiet(cmd: &mut Command, jobs: &Jobs, log: &Path) -> Result<bool> {
    Ok(jobs.make(cmd, log, |_| {})?.success())
}

fn check_cell(c: &Cell, src: &SourceTree, opts: &CheckOptions, jobs: &Jobs) -> Result<CellCheck> {
    let t0 = Instant::now();
    let dir = opts.run_dir.join("cells").join(&c.id);
    std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    let bd: BuildDir = build::build_dir_for(&opts.build_root, src, c);
    let _lock = FileLock::acquire(&bd.lock)?;
    let (tx, _rx) = std::sync::mpsc::channel();
    let log = dir.join("check.log");
    crate::atomic::write(&log, b"")?;
    let mut out = CellCheck {
        cell: c.id.clone(),
        arch: c.arch.clone(),
        toolchain: c.toolchain.family.clone(),
        config: c.config.label.clone(),
        configure_reused: false,
        prepare_reused: false,
        seconds: 0.0,
        setup_failure: None,
        setup_diagnostics: Vec::new(),
        objects: Vec::new(),
        helpers: Vec::new(),
    };
    let conf = build::configure(c, src, &bd, &log, jobs, &tx)?;
    out.configure_reused = conf.reused;
    if !conf.ok {
        out.setup_failure = Some(first_error(&conf.diagnostics, "configure failed"));
        out.setup_diagnostics = conf.diagnostics;
        out.seconds = t0.elapsed().as_secs_f64();
        return Ok(out);
    }
    // prepare, unless this exact configuration was prepared already
    let key = c.config_key();
    let stamp = bd.path.join(PREPARED);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str()) {
        out.prepare_reused = true;
    } else {
        let mut cmd = build::make_command(&src.root, &bd.path, c, &["prepare".to_string()]);
        if !run_make_quiet(&mut cmd, jobs, &log)? {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let d = diag::parse_log(&text, &ctx(src, &bd, c));
            out.setup_failure = Some(first_error(&d, "make prepare failed"));
            out.setup_diagnostics = d;
            out.seconds = t0.elapsed().as_secs_f64();
            return Ok(out);
        }
        crate::atomic::write(&stamp, key.as_bytes())?;
    }
    let dotconfig =
        std::fs::read_to_string(bd.path.join(".config")).ctx(|| "reading .config".into())?;
    let values = kconfig::parse_dotconfig(&dotconfig);
    let cfg = Config { values: &values };

    // 1. Scan the tree: uses and definitions of each helper in mm/ and the arch.
    let sites = scan_tree(
        &src.root,
        &c.srcarch,
        &opts.helpers,
        &opts.extra_objects,
        &cfg,
    );

    // 2. Build the real objects that define or use a helper in code this config compiles.
    let mut objects: BTreeSet<String> = BTreeSet::new();
    for s in sites
        .iter()
        .filter(|s| s.compiled != Truth::False && s.object_built != Some(false))
    {
        objects.insert(s.object.clone());
    }
    for o in &opts.extra_objects {
        objects.insert(o.clone());
    }
    out.objects = objects.iter().cloned().collect();
    let obj_log = dir.join("objects.log");
    crate::atomic::write(&obj_log, b"")?;
    let mut obj_diags = Vec::new();
    if !objects.is_empty() {
        let mut targets = vec!["-k".to_string()];
        targets.extend(objects.iter().cloned());
        let mut cmd = build::make_command(&src.root, &bd.path, c, &targets);
        run_make_quiet(&mut cmd, jobs, &obj_log)?;
        let text = std::fs::read_to_string(&obj_log).unwrap_or_default();
        obj_diags = diag::parse_log(&text, &ctx(src, &bd, c));
    }

    // 3. The probe: declarations as the compiler sees them, and a reference to each helper.
    let probe_dir = bd.path.join("kcross-probe");
    let decl_text = write_probe(&probe_dir, &opts.helpers)?;
    let probe_log = dir.join("probe.log");
    crate::atomic::write(&probe_log, b"")?;
    let mut targets = vec!["-k".to_string(), format!("M={}", probe_dir.display())];
    targets.push("decl.o".into());
    targets.push("ref.o".into());
    let mut cmd = build::make_command(&src.root, &bd.path, c, &targets);
    run_make_quiet(&mut cmd, jobs, &probe_log)?;
    let probe_text = std::fs::read_to_string(&probe_log).unwrap_or_default();
    let probe_diags = diag::parse_log(&probe_text, &ctx(src, &bd, c));

    // 4. Symbols of what was built.
    let mut syms: BTreeMap<String, Symbols> = BTreeMap::new();
    for o in &objects {
        let p = bd.path.join(o);
        if p.is_file() {
            syms.insert(o.clone(), nm(&c.toolchain.nm, &p)?);
        }
    }

    for (i, h) in opts.helpers.iter().enumerate() {
        out.helpers.push(verdict(
            c,
            h,
            i,
            &sites,
            &obj_diags,
            (&probe_diags, &decl_text),
            &syms,
            &src.root,
        ));
    }
    out.seconds = t0.elapsed().as_secs_f64();
    crate::atomic::write_json(&dir.join("check.json"), &out)?;
    Ok(out)
}

fn ctx(src: &SourceTree, bd: &BuildDir, c: &Cell) -> ParseContext {
    ParseContext {
        source_root: src.root.clone(),
        build_root: bd.path.clone(),
        cell: c.id.clone(),
    }
}

fn first_error(d: &[Diagnostic], default: &str) -> String {
    d.iter()
        .find(|d| d.is_error())
        .map(|d| format!("{} {}", d.location(), d.message).trim().to_string())
        .unwrap_or_else(|| default.to_string())
}

/// One occurrence of a helper in a .c file.
#[derive(Debug, Clone)]
struct Site {
    helper: String,
    /// `mm/huge_memory.c:2428`
    at: String,
    /// `mm/huge_memory.o`
    object: String,
    definition: bool,
    compiled: Truth,
    /// the `#if` conditions around it
    conditions: Vec<String>,
    /// `obj-$(CONFIG_X)` gate of the object: (symbol, on)
    object_gate: Option<String>,
    object_built: Option<bool>,
}

fn c_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => c_files(&p, out),
            Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "c") => out.push(p),
            _ => {}
        }
    }
}

fn scan_tree(
    root: &Path,
    srcarch: &str,
    helpers: &[String],
    extra: &[String],
    cfg: &Config,
) -> Vec<Site> {
    let mut files = Vec::new();
    c_files(&root.join("mm"), &mut files);
    c_files(&root.join("arch").join(srcarch), &mut files);
    for o in extra {
        let c = root.join(o).with_extension("c");
        if c.is_file() && !files.contains(&c) {
            files.push(c);
        }
    }
    files.sort();
    let mut sites = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if !helpers.iter().any(|h| text.contains(h.as_str())) {
            continue;
        }
        let rel = f
            .strip_prefix(root)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        let object = format!("{}.o", rel.trim_end_matches(".c"));
        let stripped = scan::strip_comments(&text);
        let conds = scan::conditions(&stripped, cfg);
        let gate = scan::makefile_gate(root, &object, cfg);
        for h in helpers {
            for (line, col) in scan::find_ident(&stripped, h) {
                let (truth, cs) = conds
                    .lines
                    .get(line)
                    .cloned()
                    .unwrap_or((Truth::Unknown, Vec::new()));
                sites.push(Site {
                    helper: h.clone(),
                    at: format!("{rel}:{}", line + 1),
                    object: object.clone(),
                    definition: scan::is_definition(&stripped, line, col),
                    compiled: truth,
                    conditions: cs,
                    object_gate: gate.as_ref().and_then(|g| g.0.clone()),
                    object_built: gate.as_ref().map(|g| g.1),
                });
            }
        }
    }
    sites
}

/// Write the probe sources; returns decl.c's text (its marker lines map diagnostics to helpers).
fn write_probe(dir: &Path, helpers: &[String]) -> Result<String> {
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    let mut decl =
        String::from("/* kcross helper probe: how this arch and config declare each helper */\n");
    let mut refs = String::from("/* kcross helper probe: a reference to each helper */\n");
    for h in PROBE_HEADERS {
        decl.push_str(&format!("#include <{h}>\n"));
        refs.push_str(&format!("#include <{h}>\n"));
    }
    decl.push_str("struct kcross_probe { char c; };\n");
    for (i, h) in helpers.iter().enumerate() {
        // Each helper gets a block starting with a marker line, so a diagnostic's line number
        // tells which helper it is about.
        decl.push_str(&format!(
            "/* kcross-helper {i} */\n#ifdef {h}\n#define {h} kcross_probe_macro_{i}\n#else\nstruct kcross_probe {h};\n#endif\n"
        ));
        refs.push_str(&format!(
            "/* kcross-helper {i} */\n#ifndef {h}\nvoid *kcross_ref_{i} = (void *)&{h};\n#endif\n"
        ));
    }
    crate::atomic::write(&dir.join("decl.c"), decl.as_bytes())?;
    crate::atomic::write(&dir.join("ref.c"), refs.as_bytes())?;
    crate::atomic::write(&dir.join("Makefile"), b"obj-y += decl.o ref.o\n")?;
    Ok(decl)
}

/// Which helper a probe line belongs to (by the marker comments).
fn probe_helper_of_line(file_text: &str, line: u32) -> Option<usize> {
    let mut cur = None;
    for (i, l) in file_text.lines().enumerate() {
        if i as u32 + 1 > line {
            break;
        }
        if let Some(rest) = l.strip_prefix("/* kcross-helper ") {
            cur = rest.trim_end_matches(" */").parse().ok();
        }
    }
    cur
}

#[derive(Debug, Default)]
struct Symbols {
    defined: BTreeSet<String>,
    undefined: BTreeSet<String>,
}

fn nm(tool: &str, obj: &Path) -> Result<Symbols> {
    let out = crate::proc::run_capture(Command::new(tool).arg(obj))?;
    let mut s = Symbols::default();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<&str> = l.split_whitespace().collect();
        match parts.as_slice() {
            ["U", name] | ["w", name] => {
                s.undefined.insert(name.to_string());
            }
            [_, t, name] if !matches!(*t, "U" | "w" | "v") => {
                s.defined.insert(name.to_string());
            }
            _ => {}
        }
    }
    Ok(s)
}

/// The note `previous declaration/definition of 'h'` (or a macro's previous definition) in
/// the probe's diagnostics: (kind, location).
fn declared_at(
    h: &str,
    idx: usize,
    probe: &[Diagnostic],
    decl_text: &str,
) -> Option<(String, String, String)> {
    for d in probe {
        if d.file
            .as_deref()
            .is_none_or(|f| !f.ends_with("kcross-probe/decl.c"))
        {
            continue;
        }
        if probe_helper_of_line(decl_text, d.line.unwrap_or(0)) != Some(idx) {
            continue;
        }
        for n in &d.notes {
            // e.g. "arch/x86/include/asm/pgtable.h:878:21: note: previous definition of 'pud_modify' with type ..."
            let Some((loc, msg)) = n.split_once(": note: ") else {
                continue;
            };
            let loc = loc.trim();
            let mut parts = loc.rsplitn(3, ':');
            let _col = parts.next();
            let line = parts.next().unwrap_or("");
            let file = parts.next().unwrap_or(loc);
            let at = format!("{file}:{line}");
            if msg.contains("previous definition of") || msg.contains("previous declaration of") {
                if !msg.contains(h) {
                    continue;
                }
                let kind = if msg.contains("previous definition") {
                    "definition"
                } else {
                    "declaration"
                };
                return Some((kind.to_string(), at, msg.to_string()));
            }
            if msg.contains("location of the previous definition") {
                return Some(("macro".to_string(), at, msg.to_string()));
            }
        }
    }
    None
}

fn source_line(root: &Path, at: &str) -> Option<String> {
    let (file, line) = at.rsplit_once(':')?;
    let n: usize = line.parse().ok()?;
    let text = std::fs::read_to_string(root.join(file)).ok()?;
    text.lines()
        .nth(n.checked_sub(1)?)
        .map(|l| l.trim().to_string())
}

#[allow(clippy::too_many_arguments)]
fn verdict(
    c: &Cell,
    h: &str,
    idx: usize,
    sites: &[Site],
    obj_diags: &[Diagnostic],
    (probe_diags, decl_text): (&[Diagnostic], &str),
    syms: &BTreeMap<String, Symbols>,
    root: &Path,
) -> HelperResult {
    let mut ev = Vec::new();
    let mut res = HelperResult {
        cell: c.id.clone(),
        arch: c.arch.clone(),
        helper: h.to_string(),
        verdict: HelperVerdict::NotRequired,
        kind: None,
        provider: None,
        summary: String::new(),
        evidence: Vec::new(),
    };
    let mine: Vec<&Site> = sites.iter().filter(|s| s.helper == h).collect();
    let compiled_uses: Vec<&&Site> = mine
        .iter()
        .filter(|s| !s.definition && s.compiled != Truth::False && s.object_built != Some(false))
        .collect();

    // Missing: a real object this config builds fails to compile because of the helper.
    let errs: Vec<&Diagnostic> = obj_diags
        .iter()
        .filter(|d| d.is_error() && !scan::find_ident(&d.message, h).is_empty())
        .collect();
    if let Some(e) = errs.first() {
        res.verdict = HelperVerdict::Missing;
        res.summary = format!("{}: {}", e.location(), e.message);
        for e in &errs {
            ev.push(Evidence {
                what: format!("compiler: {}", e.message),
                at: Some(e.location()),
            });
        }
        if let Some(u) = compiled_uses.first() {
            ev.push(Evidence {
                what: format!(
                    "referenced here: {}",
                    source_line(root, &u.at).unwrap_or_default()
                ),
                at: Some(u.at.clone()),
            });
        }
        res.evidence = ev;
        return res;
    }

    let decl = declared_at(h, idx, probe_diags, decl_text);
    let defs_built: Vec<(&Site, bool)> = mine
        .iter()
        .filter(|s| s.definition)
        .map(|s| {
            (
                *s,
                syms.get(&s.object).is_some_and(|y| y.defined.contains(h)),
            )
        })
        .collect();
    let referencing_objs: Vec<&String> = syms
        .iter()
        .filter(|(_, y)| y.undefined.contains(h))
        .map(|(o, _)| o)
        .collect();

    if let Some((kind, at, msg)) = decl {
        let generic = !at.starts_with("arch/");
        let is_inline = source_line(root, &at).is_some_and(|l| l.contains("inline"));
        let kind_name = match kind.as_str() {
            "macro" => "macro",
            "definition" if is_inline => "static inline",
            "definition" => "definition",
            _ => "extern function",
        };
        res.kind = Some(kind_name.to_string());
        res.provider = Some(if generic { "generic" } else { "arch" }.to_string());
        ev.push(Evidence {
            what: format!("the compiler sees: {msg}"),
            at: Some(at.clone()),
        });
        if kind_name == "extern function" {
            if let Some((d, _)) = defs_built.iter().find(|(_, built)| *built) {
                res.verdict = HelperVerdict::Provided;
                res.summary = format!(
                    "extern, declared at {at}, defined at {} ({})",
                    d.at, d.object
                );
                ev.push(Evidence {
                    what: format!("defined in {} (nm: T {h})", d.object),
                    at: Some(d.at.clone()),
                });
            } else if !referencing_objs.is_empty() || !compiled_uses.is_empty() {
                res.verdict = HelperVerdict::Unresolved;
                let users: Vec<String> = referencing_objs.iter().map(|s| s.to_string()).collect();
                res.summary = format!(
                    "declared at {at} and referenced ({}), but no object this config builds defines it",
                    if users.is_empty() {
                        compiled_uses.iter().map(|u| u.at.clone()).collect::<Vec<_>>().join(", ")
                    } else {
                        users.join(", ")
                    }
                );
                for (d, _) in &defs_built {
                    ev.push(Evidence {
                        what: format!(
                            "a definition exists in {} but is not built here{}",
                            d.object,
                            gating_text(d)
                        ),
                        at: Some(d.at.clone()),
                    });
                }
            } else {
                res.verdict = HelperVerdict::NotRequired;
                res.summary = format!(
                    "declared at {at}, but nothing built for this config references or defines it"
                );
            }
        } else {
            res.verdict = HelperVerdict::Provided;
            res.summary = format!(
                "{kind_name} at {at}{}",
                if generic { " (generic fallback)" } else { "" }
            );
        }
        res.evidence = ev;
        return res;
    }

    // Not declared for this arch and config.
    let gated: Vec<&&Site> = mine
        .iter()
        .filter(|s| !s.definition && (s.compiled == Truth::False || s.object_built == Some(false)))
        .collect();
    let mut symbols: BTreeSet<String> = BTreeSet::new();
    for g in &gated {
        for cnd in &g.conditions {
            for w in cnd.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')) {
                if w.starts_with("CONFIG_") {
                    symbols.insert(w.to_string());
                }
            }
        }
        if let (Some(gs), Some(false)) = (&g.object_gate, g.object_built) {
            symbols.insert(gs.clone());
        }
    }
    let defined_elsewhere = defined_in_other_arches(root, &c.srcarch, h);
    res.verdict = HelperVerdict::NotRequired;
    res.summary = if !gated.is_empty() && !symbols.is_empty() {
        format!(
            "not provided by {}; its generic users are compiled only with {} (=n here)",
            c.arch,
            symbols.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    } else if !defined_elsewhere.is_empty() {
        format!(
            "not provided by {}; defined only in {}, and nothing built for this cell references it",
            c.arch,
            defined_elsewhere
                .iter()
                .map(|(a, _)| a.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!(
            "not provided by {}, and nothing built for this cell references it",
            c.arch
        )
    };
    for g in gated {
        ev.push(Evidence {
            what: format!(
                "use compiled only under {}{}",
                g.conditions.join(" && "),
                gating_text(g)
            ),
            at: Some(g.at.clone()),
        });
    }
    for (arch_dir, at) in defined_elsewhere {
        ev.push(Evidence {
            what: format!("defined for {arch_dir}"),
            at: Some(at),
        });
    }
    res.evidence = ev;
    res
}

fn gating_text(s: &Site) -> String {
    match (&s.object_gate, s.object_built) {
        (Some(g), Some(false)) => format!(" ({} is built only with {g}, =n here)", s.object),
        _ => String::new(),
    }
}

/// Other arches that define the helper in their pgtable headers or mm code (evidence for
/// "not required": an arch-internal helper of someone else).
fn defined_in_other_arches(root: &Path, srcarch: &str, h: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir(root.join("arch")) else {
        return found;
    };
    let mut arches: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    arches.sort();
    for a in arches {
        if a == srcarch {
            continue;
        }
        let mut files = Vec::new();
        let inc = root.join("arch").join(&a).join("include/asm");
        if let Ok(rd) = std::fs::read_dir(&inc) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("pgtable") || n.contains("tlb") {
                    files.push(e.path());
                }
            }
        }
        c_files(&root.join("arch").join(&a).join("mm"), &mut files);
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            if !text.contains(h) {
                continue;
            }
            let stripped = scan::strip_comments(&text);
            for (line, col) in scan::find_ident(&stripped, h) {
                let l = stripped.lines().nth(line).unwrap_or("");
                if scan::is_definition(&stripped, line, col)
                    || l.trim_start().starts_with("#define")
                {
                    let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
                    found.push((format!("arch/{a}"), format!("{rel}:{}", line + 1)));
                    break;
                }
            }
        }
    }
    found
}
