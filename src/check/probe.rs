//! The probe: a translation unit built by kbuild itself (`make M=probe decl.o ref.o`, which
//! works with CONFIG_MODULES=n) that redeclares each helper with an incompatible type, so the
//! compiler's "previous declaration/definition" note names the exact place this arch and
//! config declare it (a macro is caught by redefinition instead); and nm, which says what the
//! built objects define and reference.

use crate::diag::Diagnostic;
use crate::error::{IoContext, Result};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Headers the probe includes: the generic page-table and huge-page APIs, which pull in the
/// arch's asm/pgtable.h.
pub(super) const PROBE_HEADERS: &[&str] = &[
    "linux/mm.h",
    "linux/huge_mm.h",
    "linux/pgtable.h",
    "linux/mman.h",
    "asm/pgtable.h",
    "asm/tlb.h",
];

/// Write the probe sources; returns decl.c's text (its marker lines map diagnostics to helpers).
pub(super) fn write_probe(dir: &Path, helpers: &[String]) -> Result<String> {
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
pub(super) fn probe_helper_of_line(file_text: &str, line: u32) -> Option<usize> {
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
pub(super) struct Symbols {
    pub(super) defined: BTreeSet<String>,
    pub(super) undefined: BTreeSet<String>,
}

pub(super) fn nm(tool: &str, obj: &Path) -> Result<Symbols> {
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
pub(super) fn declared_at(
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
