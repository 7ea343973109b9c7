//! Where each helper occurs in the tree: every use and definition in the .c files of mm/, the
//! arch and the extra objects, with the `#if` conditions around it evaluated against the
//! .config and the Makefile gate of its object; and the other arches that define it.

use super::scan::{self, Config, Truth};
use std::path::{Path, PathBuf};

/// One occurrence of a helper in a .c file.
#[derive(Debug, Clone)]
pub(super) struct Site {
    pub(super) helper: String,
    /// `mm/huge_memory.c:2428`
    pub(super) at: String,
    /// `mm/huge_memory.o`
    pub(super) object: String,
    pub(super) definition: bool,
    pub(super) compiled: Truth,
    /// the `#if` conditions around it
    pub(super) conditions: Vec<String>,
    /// `obj-$(CONFIG_X)` gate of the object: (symbol, on)
    pub(super) object_gate: Option<String>,
    pub(super) object_built: Option<bool>,
}

pub(super) fn c_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

pub(super) fn scan_tree(
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
