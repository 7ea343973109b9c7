//! The diagnostics of a build dir's tree and configuration, kept in the build dir.
//!
//! An incremental make prints only the diagnostics of what it recompiled, so a log is not
//! the tree's diagnostics: a warm rebuild that recompiles nothing prints nothing. Every make
//! that kcross runs in a build dir (configure, `prepare`, objects, the build, a series step)
//! folds its log into the dir's `DiagState`, and every stage reports `DiagState::all()`, so a
//! warm run reports exactly what a cold one would:
//! - a diagnostic in a source file (`mm/huge_memory.c`) belongs to its compilation unit
//!   (`u:mm/huge_memory`), replaced whenever kbuild recompiles the unit (its
//!   `  CC      mm/huge_memory.o` line) or the log has diagnostics for it;
//! - a diagnostic in a header (`h:mm/internal.h`) is kept until the header itself changes
//!   (its size or mtime differ from when it was recorded, or a series step touched it):
//!   every unit that includes it is then recompiled and prints it again. (The parser folds
//!   the same header diagnostic printed by several units into one, so per-unit bookkeeping
//!   cannot work for headers. A header diagnostic that goes away only because a source file
//!   changed is not seen as fixed until the header changes: the state errs towards never a
//!   false "new".)
//! - diagnostics with no file (linker, modpost, make) belong to the make's target list
//!   (`t:vmlinux`, `t:mm/mprotect.o`), replaced whenever a make of those targets recompiled
//!   or printed anything;
//! - configure's diagnostics are replaced when configure runs, kept when it is reused.
//!
//! One build dir serves every cell and stage of one configuration, whatever their targets,
//! so a result reports the state's *view* for its targets (`DiagState::view`): for object
//! targets (`mm/mprotect.o`) their units, the headers printed while one of them was compiled,
//! and the file-less diagnostics of that target list; for anything else (an image, vmlinux,
//! modules) every unit and header, and that target list's file-less ones. (A header's units
//! are those recompiled by the make that printed it: one make of several objects attributes
//! it to all of them.)
//!
//! Trust: the state is saved `dirty` before each make and clean after it. A state found
//! dirty (an interrupted make) is repaired by removing the compiler outputs newer than the
//! dirty mark, so make compiles (and prints) them again; a build dir with no state, or an
//! unreadable one, is removed and built afresh. A fresh dir's first build is "cold", every
//! later one "incremental" (history compares build times only between the same kind).

use super::Diagnostic;
use crate::error::IoContext;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

/// Where a build dir's diagnostics state is kept.
pub const STATE_FILE: &str = ".kcross-diags.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DiagState {
    /// Set while a make runs: a state left dirty cannot be trusted as it is.
    pub dirty: bool,
    /// Makes folded in since the dir was created: 0 means the next build is cold.
    #[serde(default)]
    pub makes: u64,
    /// Diagnostics of the last configure that ran in this build dir.
    pub configure: Vec<Diagnostic>,
    /// `u:<unit>`, `h:<header>`, or "" -> diagnostics.
    pub units: BTreeMap<String, Vec<Diagnostic>>,
    /// For each `h:` key: the header's (size, mtime in ns) when its diagnostics were
    /// recorded.
    #[serde(default)]
    pub headers: BTreeMap<String, (u64, i128)>,
    /// For each `h:` key: the units recompiled by the makes that printed it.
    #[serde(default)]
    pub header_units: BTreeMap<String, BTreeSet<String>>,
}

/// The key of a make's target list, for its file-less diagnostics.
pub fn targets_key(targets: &[String]) -> String {
    format!("t:{}", targets.join(" "))
}

/// An object-like target (`mm/mprotect.o`, `arch/x86/kernel/asm-offsets.s`): its unit.
/// The unit a make target names (`mm/mprotect.o`), None for `vmlinux`, `bzImage`, `W=1`.
pub fn object_unit(t: &str) -> Option<String> {
    if t.contains('=') || t.starts_with('-') {
        return None;
    }
    stem(t)
}

/// What `open` found in a build dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recovery {
    /// A clean state: trusted as it is.
    Clean,
    /// A make was interrupted: this many outputs it wrote were removed to be compiled again.
    Repaired(usize),
    /// No state (a new dir, or one kcross did not track): built afresh.
    Fresh,
}

impl DiagState {
    pub fn load(build_dir: &Path) -> Option<DiagState> {
        let text = std::fs::read_to_string(build_dir.join(STATE_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn save(&self, build_dir: &Path) -> crate::Result<()> {
        crate::atomic::write(
            &build_dir.join(STATE_FILE),
            serde_json::to_string(self)
                .expect("serialisable")
                .as_bytes(),
        )
    }

    /// The state of `build_dir`, made trustworthy (see the module docs). Call it under the
    /// build dir's lock, before configure.
    pub fn open(build_dir: &Path) -> crate::Result<(DiagState, Recovery)> {
        match DiagState::load(build_dir) {
            Some(s) if !s.dirty => Ok((s, Recovery::Clean)),
            Some(mut s) => {
                let mark = std::fs::metadata(build_dir.join(STATE_FILE))
                    .and_then(|m| m.modified())
                    .ctx(|| format!("reading {}", build_dir.display()))?;
                let n = remove_outputs_newer_than(build_dir, mark)?;
                s.dirty = false;
                s.save(build_dir)?;
                Ok((s, Recovery::Repaired(n)))
            }
            None => {
                if build_dir.exists() {
                    std::fs::remove_dir_all(build_dir)
                        .ctx(|| format!("removing {}", build_dir.display()))?;
                }
                std::fs::create_dir_all(build_dir)
                    .ctx(|| format!("creating {}", build_dir.display()))?;
                let s = DiagState::default();
                s.save(build_dir)?;
                Ok((s, Recovery::Fresh))
            }
        }
    }

    /// Mark the state dirty on disk, before a make runs in the dir.
    pub fn begin(&mut self, build_dir: &Path) -> crate::Result<()> {
        self.dirty = true;
        self.save(build_dir)
    }

    /// Fold one make's log in and save the state clean: `log_diags` are what the log
    /// printed, `rebuilt` the units kbuild recompiled, `touched` files known to have changed
    /// (a series step's patch).
    pub fn finish(
        &mut self,
        build_dir: &Path,
        roots: &Roots,
        targets: &[String],
        log_diags: Vec<Diagnostic>,
        rebuilt: &BTreeSet<String>,
        touched: &BTreeSet<String>,
    ) -> crate::Result<()> {
        self.update(roots, targets, log_diags, rebuilt, touched);
        self.dirty = false;
        self.makes += 1;
        self.save(build_dir)
    }

    /// Fold one make's log in (see `finish`).
    pub fn update(
        &mut self,
        roots: &Roots,
        targets: &[String],
        log_diags: Vec<Diagnostic>,
        rebuilt: &BTreeSet<String>,
        touched: &BTreeSet<String>,
    ) {
        let tkey = targets_key(targets);
        let mut by_key: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        for d in log_diags {
            let k = key_of(&d);
            let k = if k.is_empty() { tkey.clone() } else { k };
            by_key.entry(k).or_default().push(d);
        }
        let anything = !rebuilt.is_empty() || !by_key.is_empty();
        for u in rebuilt {
            self.units.remove(&format!("u:{u}"));
        }
        for f in touched {
            self.units.remove(&format!("h:{f}"));
        }
        // Headers that changed since their diagnostics were recorded.
        let changed: Vec<String> = self
            .units
            .keys()
            .filter(|k| k.starts_with("h:"))
            .filter(|k| self.headers.get(*k).copied() != roots.stat(&k[2..]))
            .cloned()
            .collect();
        for k in changed {
            self.units.remove(&k);
        }
        if anything {
            self.units.remove(&tkey);
        } else if let Some(v) = self.units.get_mut(&tkey) {
            // A make that printed nothing ended well: the last one's errors are over (a
            // failed make's `[.config] Error 1` once outlived the fix as a "pass with 1 error").
            v.retain(|d| d.tool != crate::diag::Tool::Make);
        }
        for (k, ds) in by_key {
            if k.starts_with("h:") {
                self.header_units
                    .entry(k.clone())
                    .or_default()
                    .extend(rebuilt.iter().cloned());
                let v = self.units.entry(k).or_default();
                for d in ds {
                    if !v.iter().any(|o| same_place(o, &d)) {
                        v.push(d);
                    }
                }
            } else {
                self.units.insert(k, ds);
            }
        }
        self.units.retain(|_, v| !v.is_empty());
        let mut headers = BTreeMap::new();
        for k in self.units.keys().filter(|k| k.starts_with("h:")) {
            let st = match self.headers.get(k) {
                Some(s) => Some(*s),
                None => roots.stat(&k[2..]),
            };
            if let Some(s) = st {
                headers.insert(k.clone(), s);
            }
        }
        self.headers = headers;
        let units = &self.units;
        self.header_units.retain(|k, _| units.contains_key(k));
    }

    /// Every diagnostic the tree has now: configure's, then by key.
    pub fn all(&self) -> Vec<Diagnostic> {
        let mut v = self.configure.clone();
        for ds in self.units.values() {
            v.extend(ds.iter().cloned());
        }
        v
    }

    /// What a result for `targets` reports (see the module docs): configure's, then the
    /// units, headers and file-less diagnostics that belong to those targets.
    pub fn view(&self, targets: &[String]) -> Vec<Diagnostic> {
        let mut v = self.configure.clone();
        v.extend(self.of_targets(targets));
        v
    }

    /// `view` without configure's diagnostics.
    pub fn of_targets(&self, targets: &[String]) -> Vec<Diagnostic> {
        let tkey = targets_key(targets);
        let objects: Option<BTreeSet<String>> = targets.iter().map(|t| object_unit(t)).collect();
        let objects = objects.filter(|o| !o.is_empty());
        self.units
            .iter()
            .filter(|(k, _)| {
                if k.starts_with("t:") {
                    return *k == &tkey;
                }
                let Some(objs) = &objects else { return true };
                if let Some(u) = k.strip_prefix("u:") {
                    return objs.contains(u);
                }
                self.header_units
                    .get(*k)
                    .is_some_and(|us| us.iter().any(|u| objs.contains(u)))
            })
            .flat_map(|(_, ds)| ds.iter().cloned())
            .collect()
    }

    /// True when no make has been folded in yet: the next build compiles everything.
    pub fn is_cold(&self) -> bool {
        self.makes == 0
    }
}

fn same_place(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.fingerprint == b.fingerprint && a.file == b.file && a.line == b.line && a.column == b.column
}

/// `u:<unit>` for a diagnostic in a source or object file, `h:<file>` for one in any other
/// file (headers), "" for one with no file (kept under its make's `t:` target key). make's
/// own (`*** [target] Error 1`, a Makefile's `*** missing separator`) are "" whatever file
/// they name: they say how that make ended, and every make that fails again prints them
/// again.
pub fn key_of(d: &Diagnostic) -> String {
    if d.tool == crate::diag::Tool::Make {
        return String::new();
    }
    match d.file.as_deref() {
        None => String::new(),
        Some(f) => {
            let f = f.strip_prefix("$(objtree)/").unwrap_or(f);
            match stem(f) {
                Some(s) => format!("u:{s}"),
                None => format!("h:{f}"),
            }
        }
    }
}

/// The source and build roots, to turn the paths compilers print into tree paths.
#[derive(Debug, Clone)]
pub struct Roots {
    pub source: PathBuf,
    pub build: PathBuf,
}

impl Roots {
    /// A path as printed (absolute, `./x`, `../../src/x`, `x`) -> relative to the tree top, or
    /// to the build dir for generated files.
    pub fn relative(&self, p: &str) -> String {
        let p = p.trim();
        let p = p.strip_prefix("$(objtree)/").unwrap_or(p);
        let path = Path::new(p);
        let abs = if path.is_absolute() {
            normalise(path)
        } else {
            normalise(&self.build.join(path))
        };
        for root in [&self.source, &self.build] {
            if let Ok(r) = abs.strip_prefix(normalise(root)) {
                return r.to_string_lossy().into_owned();
            }
        }
        p.trim_start_matches("./").to_string()
    }

    /// (size, mtime in ns) of a tree path, in the source tree or else the build dir.
    pub fn stat(&self, rel: &str) -> Option<(u64, i128)> {
        use std::os::unix::fs::MetadataExt;
        [&self.source, &self.build].iter().find_map(|r| {
            let m = std::fs::metadata(r.join(rel)).ok()?;
            Some((
                m.len(),
                m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
            ))
        })
    }
}

fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

static KBUILD_QUIET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^  ([A-Z][A-Z0-9_-]*(?: \[[A-Z]\])?)\s+(\S+)\s*$").expect("regex")
});

const UNIT_EXTENSIONS: &[&str] = &["c", "S", "s", "o", "i", "lst", "rs", "ll"];

/// The unit (`mm/mprotect`) a source or object path belongs to; None for headers and
/// non-unit files.
pub fn stem(path: &str) -> Option<String> {
    let (base, ext) = path.rsplit_once('.')?;
    if base.is_empty() || base.ends_with('/') || !UNIT_EXTENSIONS.contains(&ext) {
        return None;
    }
    Some(base.to_string())
}

/// Units kbuild says it (re)built: `  CC      mm/huge_memory.o`, `  AS      x.o`, `  CC [M]  m.o`.
pub fn rebuilt_units(log: &str, roots: &Roots) -> BTreeSet<String> {
    log.lines().filter_map(|l| rebuilt_unit(l, roots)).collect()
}

/// The unit one log line says kbuild (re)built, if it is such a line.
pub fn rebuilt_unit(line: &str, roots: &Roots) -> Option<String> {
    let c = KBUILD_QUIET.captures(line)?;
    stem(&roots.relative(&c[2]))
}

/// Remove compiler outputs (`.o`, `.s`, `.i`, `.lst`) under `dir` modified at or after
/// `mark`: after an interrupted make, so that make compiles them (and prints their
/// diagnostics) again.
pub fn remove_outputs_newer_than(dir: &Path, mark: std::time::SystemTime) -> crate::Result<usize> {
    let mut removed = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(_) => continue,
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let p = e.path();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && p.extension()
                    .is_some_and(|x| ["o", "s", "i", "lst"].iter().any(|k| x == *k))
                && e.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= mark)
            {
                std::fs::remove_file(&p).ctx(|| format!("removing {}", p.display()))?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
