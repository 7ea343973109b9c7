//! Which diagnostics a tree state has, and what changed between two states.
//!
//! An incremental build only prints the diagnostics of what it recompiled, so a step's log is
//! not the tree's diagnostics. Each build dir keeps the tree's latest diagnostics, by key:
//! - a diagnostic in a source file (`mm/huge_memory.c`) belongs to its compilation unit
//!   (`u:mm/huge_memory`), replaced whenever kbuild recompiles the unit (its
//!   `  CC      mm/huge_memory.o` line) or the log has diagnostics for it;
//! - a diagnostic in a header (`h:mm/internal.h`) is kept until the header itself changes
//!   (every unit that includes it is then recompiled and prints it again); meanwhile what the
//!   log prints for it is added. (The parser folds the same header diagnostic printed by
//!   several units into one, so per-unit bookkeeping cannot work for headers. A header
//!   diagnostic that goes away only because a source file changed is not seen as fixed until
//!   the header is touched.)
//! - diagnostics with no file (linker, modpost, make) are replaced whenever the step
//!   recompiled anything.
//!
//! Comparison is by `Diagnostic.fingerprint` (file, code, flag, normalised message and the
//! source line's text: no line numbers), counting multiplicity. The same diagnostic printed
//! several times at one location counts once.

pub use crate::diag::Counted;
use crate::diag::Diagnostic;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

/// Where a build dir's diagnostics state is kept.
pub const STATE_FILE: &str = ".kcross-series-diags.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DiagState {
    /// Set while a make runs: a state left dirty cannot be trusted.
    pub dirty: bool,
    /// Diagnostics of the last configure that ran in this build dir.
    pub configure: Vec<Diagnostic>,
    /// `u:<unit>`, `h:<header>`, or "" -> diagnostics.
    pub units: BTreeMap<String, Vec<Diagnostic>>,
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

    /// Fold one step's log in: `rebuilt` are the units kbuild recompiled, `touched` the files
    /// the step's patches changed (tree paths).
    pub fn update(
        &mut self,
        log_diags: Vec<Diagnostic>,
        rebuilt: &BTreeSet<String>,
        touched: &BTreeSet<String>,
    ) {
        let mut by_key: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        for d in log_diags {
            by_key.entry(key_of(&d)).or_default().push(d);
        }
        let anything = !rebuilt.is_empty() || !by_key.is_empty();
        for u in rebuilt {
            self.units.remove(&format!("u:{u}"));
        }
        for f in touched {
            self.units.remove(&format!("h:{f}"));
        }
        if anything {
            self.units.remove("");
        }
        for (k, ds) in by_key {
            if k.starts_with("h:") {
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
    }

    /// Every diagnostic the tree has now: configure's, then by key.
    pub fn all(&self) -> Vec<Diagnostic> {
        let mut v = self.configure.clone();
        for ds in self.units.values() {
            v.extend(ds.iter().cloned());
        }
        v
    }
}

fn same_place(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.fingerprint == b.fingerprint && a.file == b.file && a.line == b.line && a.column == b.column
}

/// `u:<unit>` for a diagnostic in a source or object file, `h:<file>` for one in any other
/// file (headers), "" for one with no file.
pub fn key_of(d: &Diagnostic) -> String {
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

fn stem(path: &str) -> Option<String> {
    let (base, ext) = path.rsplit_once('.')?;
    if base.is_empty() || base.ends_with('/') || !UNIT_EXTENSIONS.contains(&ext) {
        return None;
    }
    Some(base.to_string())
}

/// Units kbuild says it (re)built: `  CC      mm/huge_memory.o`, `  AS      x.o`, `  CC [M]  m.o`.
pub fn rebuilt_units(log: &str, roots: &Roots) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for l in log.lines() {
        if let Some(c) = KBUILD_QUIET.captures(l) {
            if let Some(s) = stem(&roots.relative(&c[2])) {
                set.insert(s);
            }
        }
    }
    set
}

/// Remove compiler outputs (`.o`, `.s`, `.i`, `.lst`) under `dir` modified at or after
/// `mark`: after an interrupted step, so that make compiles them (and prints their
/// diagnostics) again.
pub fn remove_outputs_newer_than(dir: &Path, mark: std::time::SystemTime) -> crate::Result<usize> {
    use crate::error::IoContext;
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

/// What changed from `prev` to `cur`, with `base` to tell new from reappeared.
#[derive(Debug, Clone, Default)]
pub struct Delta {
    /// In `cur` more times than in `prev` and than in the base.
    pub new: Vec<Diagnostic>,
    /// In `cur` more times than in `prev`, but no more than in the base.
    pub reappeared: Vec<Diagnostic>,
    /// In `prev` more times than in `cur`.
    pub fixed: Vec<Diagnostic>,
}

pub fn delta(prev: &Counted, cur: &Counted, base: &Counted) -> Delta {
    let d = crate::diag::diff(prev, cur);
    let mut out = Delta {
        fixed: d.fixed,
        ..Delta::default()
    };
    // Of the occurrences added to a fingerprint, those beyond what the base had are new; the
    // rest were in the base (a reverted fix).
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for x in d.new {
        let fp = x.fingerprint.clone();
        let i = seen.entry(fp.clone()).or_default();
        let (c, p, b) = (cur.count(&fp), prev.count(&fp), base.count(&fp));
        let new = (c - p).min(c.saturating_sub(b));
        if *i < new {
            out.new.push(x);
        } else {
            out.reappeared.push(x);
        }
        *i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Severity, Tool};

    fn d(file: &str, line: u32, msg: &str, src: &str, notes: &[&str]) -> Diagnostic {
        let mut d = Diagnostic {
            code: "cc-warning".into(),
            severity: Severity::Warning,
            tool: Tool::Compiler,
            file: Some(file.into()),
            line: Some(line),
            column: Some(5),
            flag: Some("-Wshadow".into()),
            message: msg.into(),
            function: None,
            source_line: Some(src.into()),
            notes: notes.iter().map(|s| s.to_string()).collect(),
            cell: "c".into(),
            fingerprint: String::new(),
        };
        d.fingerprint = crate::diag::fingerprint(&d);
        d
    }

    fn roots() -> Roots {
        Roots {
            source: "/src/linux".into(),
            build: "/cache/build/x".into(),
        }
    }

    #[test]
    fn keys_and_rebuilt_units() {
        let r = roots();
        assert_eq!(
            key_of(&d("mm/huge_memory.c", 1, "m", "x", &[])),
            "u:mm/huge_memory"
        );
        assert_eq!(
            key_of(&d("mm/internal.h", 1, "m", "x", &[])),
            "h:mm/internal.h"
        );
        assert_eq!(r.relative("../../../src/linux/mm/x.c"), "mm/x.c");
        assert_eq!(r.relative("/src/linux/mm/x.c"), "mm/x.c");
        assert_eq!(
            r.relative("./include/generated/a.h"),
            "include/generated/a.h"
        );
        let log = "  CC      mm/huge_memory.o\n  CC [M]  drivers/x.o\n  CALL    /src/linux/scripts/checksyscalls.sh\n  DESCEND objtool\n";
        let set = rebuilt_units(log, &r);
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            ["drivers/x", "mm/huge_memory"]
        );
    }

    #[test]
    fn carried_forward_until_recompiled_or_touched() {
        let none = BTreeSet::new();
        let mut st = DiagState::default();
        let hdr = d("mm/internal.h", 757, "shadow m", "int m;", &[]);
        let base = vec![
            d("mm/a.c", 10, "shadow x", "int x;", &[]),
            d("mm/b.c", 5, "shadow y", "int y;", &[]),
            hdr.clone(),
        ];
        st.update(
            base,
            &["mm/a".to_string(), "mm/b".to_string()].into(),
            &none,
        );
        assert_eq!(st.all().len(), 3);
        // b recompiled with nothing to say, a not recompiled: a's warning is kept, and the
        // header's (b no longer printing it does not mean a does not).
        st.update(vec![], &["mm/b".to_string()].into(), &none);
        let files: Vec<_> = st.all().into_iter().map(|d| d.file.unwrap()).collect();
        assert_eq!(files, ["mm/internal.h", "mm/a.c"]);
        // The header changed: what the rebuild printed is all it has.
        st.update(
            vec![],
            &["mm/a".to_string(), "mm/b".to_string()].into(),
            &["mm/internal.h".to_string()].into(),
        );
        assert_eq!(st.all().len(), 0);
        st.update(vec![hdr.clone(), hdr], &["mm/a".to_string()].into(), &none);
        assert_eq!(st.all().len(), 1);
    }

    #[test]
    fn outputs_of_an_interrupted_step_are_removed() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("mm")).unwrap();
        std::fs::write(d.path().join("mm/old.o"), "").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mark = std::time::SystemTime::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.path().join("mm/new.o"), "").unwrap();
        std::fs::write(d.path().join("mm/new.c"), "").unwrap();
        assert_eq!(remove_outputs_newer_than(d.path(), mark).unwrap(), 1);
        assert!(d.path().join("mm/old.o").exists() && !d.path().join("mm/new.o").exists());
        assert!(d.path().join("mm/new.c").exists());
    }

    #[test]
    fn moved_is_not_new_and_multiplicity_counts() {
        let base = Counted::new(&[d("mm/a.c", 10, "shadow x", "int x;", &[])]);
        let moved = Counted::new(&[d("mm/a.c", 16, "shadow x", "int x;", &[])]);
        let dl = delta(&base, &moved, &base);
        assert!(dl.new.is_empty() && dl.fixed.is_empty());
        let two = Counted::new(&[
            d("mm/a.c", 16, "shadow x", "int x;", &[]),
            d("mm/a.c", 40, "shadow x", "int x;", &[]),
        ]);
        let dl = delta(&moved, &two, &base);
        assert_eq!(dl.new.len(), 1);
        assert_eq!(dl.new[0].line, Some(40));
        let dl = delta(&two, &Counted::default(), &base);
        assert_eq!(dl.fixed.len(), 2);
        // Back again after being fixed: it was in the base, so it is not new.
        let dl = delta(&Counted::default(), &moved, &base);
        assert!(dl.new.is_empty());
        assert_eq!(dl.reappeared.len(), 1);
        // The same header warning printed by two units counts once.
        let h = Counted::new(&[d("x.h", 3, "m", "s", &[]), d("x.h", 3, "m", "s", &[])]);
        assert_eq!(h.count(&d("x.h", 3, "m", "s", &[]).fingerprint), 1);
    }
}
