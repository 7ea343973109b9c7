//! Where each helper occurs in the tree: every use and definition in the .c files of mm/,
//! fs/, drivers/, the arch and the extra objects, and every use inside an inline function of
//! a header under include/, with the `#if` conditions around it evaluated against the .config
//! and (for a .c file) the kbuild gates of its object and of each directory above it; and
//! the other arches that define it.
//!
//! The tree is read once per check (`Candidates::find`, in parallel): only the files that
//! name a helper at all are kept, and each cell then judges just those for its arch and
//! config.

use super::scan::{self, Config, Truth};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One occurrence of a helper in a .c file, or in a header's inline function.
#[derive(Debug, Clone)]
pub(super) struct Site {
    pub(super) helper: String,
    /// `mm/huge_memory.c:2428`
    pub(super) at: String,
    /// `mm/huge_memory.o` (a header: the header itself, never built)
    pub(super) object: String,
    pub(super) definition: bool,
    pub(super) compiled: Truth,
    /// the `#if` conditions around it
    pub(super) conditions: Vec<String>,
    /// the kbuild gate that keeps the object out: (symbol, on)
    pub(super) object_gate: Option<String>,
    pub(super) object_built: Option<bool>,
    /// In a header under include/: compiled only where something includes it, so it shows
    /// which Kconfig symbols gate a use but is no object to build and no proof of a reference.
    pub(super) header: bool,
}

impl Site {
    /// A use in an object this config builds (a header's use is never one).
    pub(super) fn built_use(&self) -> bool {
        !self.definition
            && !self.header
            && self.compiled != Truth::False
            && self.object_built != Some(false)
    }
}

pub(super) fn c_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with(dir, "c", out);
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_with(&p, ext, out),
            Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == ext) => out.push(p),
            _ => {}
        }
    }
}

/// A file of the tree that names at least one helper.
pub(super) struct Candidate {
    /// relative to the tree
    rel: String,
    text: String,
    /// `Some("x86")` for a file under arch/x86/
    srcarch: Option<String>,
    header: bool,
}

/// The files of the tree that name a helper: .c files of mm/, fs/, drivers/, arch/*/ and the
/// extra objects, and headers of include/. Read once per check, shared by its cells.
pub(super) struct Candidates {
    files: Vec<Candidate>,
}

/// The directories whose .c files are scanned, besides arch/<srcarch>/.
pub(super) const SOURCE_DIRS: &[&str] = &["mm", "fs", "drivers"];

impl Candidates {
    pub(super) fn find(root: &Path, helpers: &[String], extra: &[String]) -> Candidates {
        let mut paths: Vec<(PathBuf, bool)> = Vec::new();
        let mut add = |v: Vec<PathBuf>, header: bool| {
            paths.extend(v.into_iter().map(|p| (p, header)));
        };
        for d in SOURCE_DIRS.iter().chain(&["arch"]) {
            let mut v = Vec::new();
            c_files(&root.join(d), &mut v);
            add(v, false);
        }
        let mut v = Vec::new();
        files_with(&root.join("include"), "h", &mut v);
        add(v, true);
        for o in extra {
            let c = root.join(o).with_extension("c");
            if c.is_file() && !paths.iter().any(|(p, _)| p == &c) {
                paths.push((c, false));
            }
        }
        paths.sort();
        // One pass over each file for all the helpers' names.
        let names = aho_corasick::AhoCorasick::new(helpers).expect("helper names are identifiers");
        let files = paths
            .par_iter()
            .filter_map(|(f, header)| {
                let bytes = std::fs::read(f).ok()?;
                if !names.is_match(&bytes) {
                    return None;
                }
                let rel = f
                    .strip_prefix(root)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .into_owned();
                Some(candidate(rel, &bytes, *header))
            })
            .collect();
        Candidates { files }
    }
}

impl Candidates {
    /// `find`, remembered per source content: the list of candidate files is kept in
    /// `dir/<key>.json`, keyed by the tree's content key (`SourceTree::key`: a tarball's hash,
    /// a git tree's HEAD and changes, a directory's every entry's size and mtime), the
    /// helpers and the extra objects, so a warm check reads only the few files that name a
    /// helper. No key (an older result): no cache.
    pub(super) fn find_cached(
        root: &Path,
        src_key: &str,
        helpers: &[String],
        extra: &[String],
        dir: &Path,
    ) -> crate::error::Result<Candidates> {
        if src_key.is_empty() {
            return Ok(Candidates::find(root, helpers, extra));
        }
        use sha2::{Digest, Sha256};
        let id = serde_json::to_vec(&(src_key, helpers, extra)).expect("serialisable");
        let key: String = Sha256::digest(&id)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = dir.join(format!("{key}.json"));
        let listed: Option<Vec<(String, bool)>> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(list) = listed {
            let files = list
                .into_iter()
                .filter_map(|(rel, header)| {
                    let bytes = std::fs::read(root.join(&rel)).ok()?;
                    Some(candidate(rel, &bytes, header))
                })
                .collect();
            return Ok(Candidates { files });
        }
        let c = Candidates::find(root, helpers, extra);
        std::fs::create_dir_all(dir).ok();
        let list: Vec<(&str, bool)> = c.files.iter().map(|f| (f.rel.as_str(), f.header)).collect();
        crate::atomic::write_json(&path, &list)?;
        Ok(c)
    }
}

fn candidate(rel: String, bytes: &[u8], header: bool) -> Candidate {
    let srcarch = rel
        .strip_prefix("arch/")
        .and_then(|r| r.split('/').next())
        .map(str::to_string);
    Candidate {
        text: String::from_utf8_lossy(bytes).into_owned(),
        rel,
        srcarch,
        header,
    }
}

pub(super) fn scan_tree(
    root: &Path,
    cands: &Candidates,
    srcarch: &str,
    helpers: &[String],
    cfg: &Config,
) -> Vec<Site> {
    let mut sites = Vec::new();
    for f in &cands.files {
        if f.srcarch.as_deref().is_some_and(|a| a != srcarch) {
            continue;
        }
        let rel = &f.rel;
        let stripped = scan::strip_comments(&f.text);
        let conds = scan::conditions(&stripped, cfg);
        let (object, gate) = if f.header {
            (rel.clone(), None)
        } else {
            let object = format!("{}.o", rel.trim_end_matches(".c"));
            let gate = super::gate::object_gate(root, &object, cfg);
            (object, gate)
        };
        let depth = f.header.then(|| scan::brace_depths(&stripped));
        for h in helpers {
            for (line, col) in scan::find_ident(&stripped, h) {
                let definition = scan::is_definition(&stripped, line, col);
                // In a header only a use inside a function body counts: a prototype or a
                // macro body is no use.
                if let Some(d) = &depth {
                    let l = stripped.lines().nth(line).unwrap_or("");
                    let at = d.get(line).map(|d| scan::depth_after(*d, &l[..col]));
                    if definition || l.trim_start().starts_with('#') || at.is_none_or(|d| d == 0) {
                        continue;
                    }
                }
                let (truth, cs) = conds
                    .lines
                    .get(line)
                    .cloned()
                    .unwrap_or((Truth::Unknown, Vec::new()));
                sites.push(Site {
                    helper: h.clone(),
                    at: format!("{rel}:{}", line + 1),
                    object: object.clone(),
                    definition,
                    compiled: truth,
                    conditions: cs,
                    object_gate: gate.as_ref().and_then(|g| g.0.clone()),
                    object_built: gate.as_ref().map(|g| g.1),
                    header: f.header,
                });
            }
        }
    }
    sites
}

pub(super) fn source_line(root: &Path, at: &str) -> Option<String> {
    let (file, line) = at.rsplit_once(':')?;
    let n: usize = line.parse().ok()?;
    let text = std::fs::read_to_string(root.join(file)).ok()?;
    text.lines()
        .nth(n.checked_sub(1)?)
        .map(|l| l.trim().to_string())
}

/// Other arches that define the helper in their pgtable headers or mm code (evidence for
/// "not required": an arch-internal helper of someone else).
pub(super) fn defined_in_other_arches(
    root: &Path,
    srcarch: &str,
    h: &str,
) -> Vec<(String, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn users_in_fs_drivers_and_include_are_found_and_judged_for_the_config() {
        let d = tempfile::tempdir().unwrap();
        let files = [
            ("mm/Makefile", "obj-y := mprotect.o\n"),
            ("mm/mprotect.c", "void f(void)\n{\n\tpud_modify(a, b);\n}\n"),
            ("drivers/Makefile", "obj-$(CONFIG_DAX) += dax/\n"),
            ("drivers/dax/Makefile", "obj-y += device.o\n"),
            ("drivers/dax/device.c", "void g(void)\n{\n\tpud_modify(a, b);\n}\n"),
            ("fs/Makefile", "obj-$(CONFIG_FS_DAX) += dax.o\n"),
            ("fs/dax.c", "void h(void)\n{\n#ifdef CONFIG_HUGE\n\tpud_modify(a, b);\n#endif\n}\n"),
            (
                "include/linux/x.h",
                "pud_t pud_modify(pud_t p, pgprot_t q);\n#define M(p) pud_modify(p, 0)\n#ifdef CONFIG_HUGE\nstatic inline void i(void) { pud_modify(a, b); }\n#endif\n",
            ),
            ("arch/x86/Kbuild", "obj-y += mm/\n"),
            ("arch/x86/mm/Makefile", "obj-y := pgtable.o\n"),
            ("arch/x86/mm/pgtable.c", "void x(void)\n{\n\tpud_modify(a, b);\n}\n"),
            ("arch/arm64/mm/mmu.c", "void y(void)\n{\n\tpud_modify(a, b);\n}\n"),
            ("drivers/gpu/none.c", "void z(void) { }\n"),
        ];
        for (p, t) in files {
            let p = d.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        }
        let helpers = vec!["pud_modify".to_string()];
        let cands = Candidates::find(d.path(), &helpers, &[]);
        assert_eq!(cands.files.len(), 6, "the files that name a helper, once");
        // Remembered per content key: the same list again, read from the cache; another key
        // (the tree changed) scans anew.
        let cache = d.path().join("cache");
        let first = Candidates::find_cached(d.path(), "k1", &helpers, &[], &cache).unwrap();
        let again = Candidates::find_cached(d.path(), "k1", &helpers, &[], &cache).unwrap();
        let rels = |c: &Candidates| c.files.iter().map(|f| f.rel.clone()).collect::<Vec<_>>();
        assert_eq!(rels(&first), rels(&cands));
        assert_eq!(rels(&again), rels(&cands));
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
        std::fs::write(
            d.path().join("fs/new.c"),
            "void n(void)\n{\n\tpud_modify(a, b);\n}\n",
        )
        .unwrap();
        let changed = Candidates::find_cached(d.path(), "k2", &helpers, &[], &cache).unwrap();
        assert_eq!(changed.files.len(), 7);
        std::fs::remove_file(d.path().join("fs/new.c")).unwrap();
        let judge = |on: &[&str]| {
            let v: BTreeMap<String, String> = on
                .iter()
                .map(|s| (s.to_string(), "y".to_string()))
                .collect();
            let cfg = Config { values: &v };
            let sites = scan_tree(d.path(), &cands, "x86", &helpers, &cfg);
            sites
                .iter()
                .map(|s| (s.at.clone(), s.built_use(), s.header, s.object_gate.clone()))
                .collect::<Vec<_>>()
        };
        let none = judge(&[]);
        assert_eq!(
            none,
            [
                ("arch/x86/mm/pgtable.c:3".to_string(), true, false, None),
                (
                    "drivers/dax/device.c:3".to_string(),
                    false,
                    false,
                    Some("CONFIG_DAX".into())
                ),
                (
                    "fs/dax.c:4".to_string(),
                    false,
                    false,
                    Some("CONFIG_FS_DAX".into())
                ),
                // Only the use inside the inline function: the prototype and the macro body
                // are no uses.
                ("include/linux/x.h:4".to_string(), false, true, None),
                ("mm/mprotect.c:3".to_string(), true, false, None),
            ],
            "arm64's file is not x86's"
        );
        // The counter-case: the config that builds them.
        let all = judge(&["DAX", "FS_DAX", "HUGE"]);
        let built: Vec<&str> = all.iter().filter(|s| s.1).map(|s| s.0.as_str()).collect();
        assert_eq!(
            built,
            [
                "arch/x86/mm/pgtable.c:3",
                "drivers/dax/device.c:3",
                "fs/dax.c:4",
                "mm/mprotect.c:3"
            ]
        );
        let v: BTreeMap<String, String> = [("HUGE".to_string(), "y".to_string())].into();
        let cfg = Config { values: &v };
        let h = scan_tree(d.path(), &cands, "x86", &helpers, &cfg);
        let x = h.iter().find(|s| s.header).unwrap();
        assert_eq!(
            (x.compiled, x.built_use()),
            (Truth::True, false),
            "a header's use is never built"
        );
    }
}
