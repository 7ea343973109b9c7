//! Kernel configuration as data: a base (make target or file) plus fragments, and the
//! verification that every symbol a fragment asks for survived `olddefconfig`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
pub enum Base {
    /// A make target: tinyconfig, defconfig, allnoconfig, ppc64le_defconfig, ...
    Target(String),
    /// A full .config file (its contents, and where it came from).
    File { path: String, text: String },
}

impl Base {
    pub fn label(&self) -> String {
        match self {
            Base::Target(t) => t.clone(),
            Base::File { path, .. } => Path::new(path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.clone()),
        }
    }
}

/// One `CONFIG_X=value` (or `# CONFIG_X is not set`) line of a fragment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct Request {
    /// Without the CONFIG_ prefix.
    pub symbol: String,
    /// `y`, `m`, a number or a quoted string; `n` for "is not set".
    pub value: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Where it came from (a path, or `matrices/...` for built-in data).
    pub path: String,
    pub text: String,
    pub requests: Vec<Request>,
}

impl Fragment {
    /// Parse a fragment; any line that is not a config assignment, a "not set" comment, a
    /// comment or blank is an error naming path:line.
    pub fn parse(path: &str, text: &str) -> Result<Fragment> {
        let mut requests = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let n = i as u32 + 1;
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# CONFIG_") {
                if let Some(sym) = rest.strip_suffix(" is not set") {
                    requests.push(Request {
                        symbol: sym.to_string(),
                        value: "n".into(),
                        line: n,
                    });
                }
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let Some(rest) = line.strip_prefix("CONFIG_") else {
                return Err(Error::input(
                    format!("{path}:{n}"),
                    format!("not a kconfig line: `{line}` (expected CONFIG_NAME=value)"),
                ));
            };
            let Some((sym, val)) = rest.split_once('=') else {
                return Err(Error::input(
                    format!("{path}:{n}"),
                    format!("`{line}` has no `=value`"),
                ));
            };
            if sym.is_empty() || !sym.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::input(
                    format!("{path}:{n}"),
                    format!("`{sym}` is not a kconfig symbol name"),
                ));
            }
            requests.push(Request {
                symbol: sym.to_string(),
                value: val.trim().to_string(),
                line: n,
            });
        }
        Ok(Fragment {
            path: path.to_string(),
            text: text.to_string(),
            requests,
        })
    }
}

/// A cell's configuration recipe.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct ConfigSpec {
    pub label: String,
    pub base: Base,
    pub fragments: Vec<Fragment>,
}

/// Parse a .config into symbol -> value ("n" for "is not set").
pub fn parse_dotconfig(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# CONFIG_") {
            if let Some(sym) = rest.strip_suffix(" is not set") {
                m.insert(sym.to_string(), "n".to_string());
            }
        } else if let Some(rest) = line.strip_prefix("CONFIG_") {
            if let Some((s, v)) = rest.split_once('=') {
                m.insert(s.to_string(), v.to_string());
            }
        }
    }
    m
}

/// A fragment request that did not survive olddefconfig.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dropped {
    pub symbol: String,
    pub wanted: String,
    /// What the final .config has (`n` when absent or not set).
    pub got: String,
    /// fragment path:line
    pub at: String,
    /// The `depends on` expression from the symbol's Kconfig entry, with the value each named
    /// symbol has in the final .config, when the entry was found.
    pub depends_on: Option<String>,
    /// Where the symbol is defined (Kconfig file:line), or None if no Kconfig defines it.
    pub defined_at: Option<String>,
}

impl Dropped {
    pub fn message(&self) -> String {
        let mut s = format!(
            "CONFIG_{}={} requested at {} but the final .config has {}",
            self.symbol,
            self.wanted,
            self.at,
            if self.got == "n" {
                "it unset".to_string()
            } else {
                format!("CONFIG_{}={}", self.symbol, self.got)
            }
        );
        match (&self.defined_at, &self.depends_on) {
            (None, _) => s.push_str(" (no Kconfig file defines this symbol for this arch)"),
            (Some(at), Some(dep)) => {
                s.push_str(&format!("; unmet dependency ({at}): depends on {dep}"))
            }
            (Some(at), None) => s.push_str(&format!(" (defined at {at})")),
        }
        s
    }
}

/// Check every fragment request against the final .config; explain drops from the Kconfig
/// sources under `srctree` (the `depends on` lines of the symbol's entry).
pub fn verify(
    spec: &ConfigSpec,
    final_config: &str,
    srctree: &Path,
    srcarch: &str,
) -> Vec<Dropped> {
    verify_with(spec, final_config, || KconfigIndex::build(srctree, srcarch))
}

/// `verify` with the Kconfig files given as (tree path, text) instead of read from a tree
/// (the fuzz target's entry; the same parsing and explanation as `verify`).
pub fn verify_texts(
    spec: &ConfigSpec,
    final_config: &str,
    kconfigs: &[(&str, &str)],
) -> Vec<Dropped> {
    verify_with(spec, final_config, || {
        let mut entries = BTreeMap::new();
        for (rel, text) in kconfigs {
            index_file(rel, text, &mut entries);
        }
        KconfigIndex { entries }
    })
}

fn verify_with(
    spec: &ConfigSpec,
    final_config: &str,
    build_index: impl FnOnce() -> KconfigIndex,
) -> Vec<Dropped> {
    let mut build_index = Some(build_index);
    let have = parse_dotconfig(final_config);
    // Last request for a symbol wins, as in Kconfig itself.
    let mut wanted: BTreeMap<&str, (&Request, &Fragment)> = BTreeMap::new();
    for f in &spec.fragments {
        for r in &f.requests {
            wanted.insert(&r.symbol, (r, f));
        }
    }
    let mut dropped = Vec::new();
    let mut index: Option<KconfigIndex> = None;
    for (sym, (req, frag)) in wanted {
        let got = have.get(sym).cloned().unwrap_or_else(|| "n".into());
        let ok = if req.value == "n" {
            got == "n"
        } else {
            got == req.value
        };
        if ok {
            continue;
        }
        let idx = index.get_or_insert_with(|| (build_index.take().expect("built once"))());
        let (defined_at, depends_on) = match idx.entries.get(sym) {
            Some(e) => {
                let dep = if e.depends.is_empty() {
                    None
                } else {
                    Some(annotate_depends(&e.depends.join(" && "), &have))
                };
                (Some(e.at.clone()), dep)
            }
            None => (None, None),
        };
        dropped.push(Dropped {
            symbol: sym.to_string(),
            wanted: req.value.clone(),
            got,
            at: format!("{}:{}", frag.path, req.line),
            depends_on,
            defined_at,
        });
    }
    dropped
}

/// `A && (B || !C)` -> `A (=y) && (B (=n) || !C (=n))`.
fn annotate_depends(expr: &str, have: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let is_sym = word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(word);
        if is_sym {
            let v = have.get(word.as_str()).map(String::as_str).unwrap_or("n");
            out.push_str(&format!(" (={v})"));
        }
        word.clear();
    };
    for c in expr.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

struct Entry {
    at: String,
    depends: Vec<String>,
}

/// The `config SYMBOL` entries of the Kconfig files that apply to one arch: every Kconfig*
/// under the tree except other arches' directories.
struct KconfigIndex {
    entries: BTreeMap<String, Entry>,
}

impl KconfigIndex {
    fn build(srctree: &Path, srcarch: &str) -> KconfigIndex {
        let mut entries = BTreeMap::new();
        let mut stack = vec![srctree.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    let rel = p.strip_prefix(srctree).unwrap_or(&p);
                    let mut comps = rel.components();
                    let first = comps
                        .next()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned());
                    let second = comps
                        .next()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned());
                    if first.as_deref() == Some("arch") && second.is_some_and(|s| s != srcarch) {
                        continue;
                    }
                    if name.starts_with('.') || first.as_deref() == Some("Documentation") {
                        continue;
                    }
                    stack.push(p);
                } else if name.starts_with("Kconfig") {
                    if let Ok(text) = std::fs::read_to_string(&p) {
                        let rel = p.strip_prefix(srctree).unwrap_or(&p).display().to_string();
                        index_file(&rel, &text, &mut entries);
                    }
                }
            }
        }
        KconfigIndex { entries }
    }
}

fn index_file(rel: &str, text: &str, entries: &mut BTreeMap<String, Entry>) {
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let mut words = t.split_whitespace();
        match words.next() {
            Some("config") | Some("menuconfig") => {
                if let Some(sym) = words.next() {
                    current = Some(sym.to_string());
                    entries.entry(sym.to_string()).or_insert(Entry {
                        at: format!("{rel}:{}", i + 1),
                        depends: Vec::new(),
                    });
                }
            }
            Some("depends") if t.starts_with("depends on") => {
                if let Some(sym) = &current {
                    let expr = t["depends on".len()..].trim();
                    let expr = expr.split('#').next().unwrap_or("").trim();
                    if let Some(e) = entries.get_mut(sym) {
                        if !expr.is_empty() && e.at.starts_with(rel) {
                            e.depends.push(if expr.contains("||") {
                                format!("({expr})")
                            } else {
                                expr.to_string()
                            });
                        }
                    }
                }
            }
            Some("endmenu") | Some("endif") | Some("menu") | Some("if") | Some("choice")
            | Some("endchoice") | Some("source") | Some("comment") => current = None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_parses_and_rejects_garbage() {
        let f = Fragment::parse(
            "f.config",
            "# c\nCONFIG_A=y\n\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n",
        )
        .unwrap();
        assert_eq!(f.requests.len(), 3);
        assert_eq!(f.requests[1].value, "n");
        assert_eq!(f.requests[2].line, 5);
        let e = Fragment::parse("f.config", "CONFIG_A=y\nrm -rf /\n").unwrap_err();
        assert!(e.to_string().starts_with("f.config:2:"), "{e}");
    }

    #[test]
    fn depends_are_annotated_with_final_values() {
        let mut have = BTreeMap::new();
        have.insert("BLOCK".to_string(), "y".to_string());
        assert_eq!(
            annotate_depends("BLOCK && (ZONE_DEVICE || !MMU)", &have),
            "BLOCK (=y) && (ZONE_DEVICE (=n) || !MMU (=n))"
        );
    }

    #[test]
    fn kconfig_index_reads_depends() {
        let mut e = BTreeMap::new();
        index_file(
            "drivers/dax/Kconfig",
            "menuconfig DAX\n\ttristate \"DAX\"\n\tdepends on TRANSPARENT_HUGEPAGE\nconfig DEV_DAX\n\tdepends on ZONE_DEVICE # comment\n",
            &mut e,
        );
        assert_eq!(e["DAX"].depends, vec!["TRANSPARENT_HUGEPAGE"]);
        assert_eq!(e["DEV_DAX"].at, "drivers/dax/Kconfig:4");
        assert_eq!(e["DEV_DAX"].depends, vec!["ZONE_DEVICE"]);
    }
}
