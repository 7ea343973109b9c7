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

/// Write the probe sources, which include `includes` (`[check] includes`: by default the
/// generic page-table and huge-page APIs, which pull in the arch's asm/pgtable.h); returns
/// decl.c's text (its marker lines map diagnostics to helpers).
pub(super) fn write_probe(dir: &Path, includes: &[String], helpers: &[String]) -> Result<String> {
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    let mut decl =
        String::from("/* kcross helper probe: how this arch and config declare each helper */\n");
    let mut refs = String::from("/* kcross helper probe: a reference to each helper */\n");
    for h in includes {
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

/// How the compiler saw a helper before the probe redeclared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeclKind {
    /// A function body (or an initialised object): nothing else needs to define it.
    Definition,
    /// A prototype or an extern object: some object must define it.
    Declaration,
    Macro,
}

/// Where and how the helper is declared: the compiler's note, its location (`file:line`,
/// relative to the tree) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Declared {
    pub(super) kind: DeclKind,
    pub(super) at: String,
    pub(super) note: String,
}

/// The compiler's note on the probe's redeclaration of helper `h` (the `idx`-th block of
/// decl.c) that points at its previous declaration, definition or macro definition.
///
/// gcc names the helper in its note (`previous definition of 'h' with type ...`, `previous
/// declaration of 'h' ...`, for a macro `this is the location of the previous definition`,
/// often without a column). clang's note names nothing (`previous definition is here`,
/// `previous declaration is here`), so the note is read as part of the error or warning it
/// follows (`redefinition of 'h' as different kind of symbol`, `'h' macro redefined`); and
/// since clang says "definition" for a prototype too, its kind is read from the source at
/// the note's location (a function whose `)` is followed by `{` is a definition). For a
/// helper made by a macro, clang's note is at the expansion and gcc's where the name is
/// spelt in the macro's body; both are reported at the latter.
pub(super) fn declared_at(
    h: &str,
    idx: usize,
    probe: &[Diagnostic],
    decl_text: &str,
    root: &Path,
) -> Option<Declared> {
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
        if !names(&d.message, h) {
            continue;
        }
        let is_macro = d.message.ends_with("redefined");
        for (k, n) in d.notes.iter().enumerate() {
            // "arch/x86/include/asm/pgtable.h:878:21: note: previous definition of 'pud_modify' ..."
            // "arch/x86/include/asm/pgtable.h:1270: note: this is the location of the previous definition"
            // "arch/x86/include/asm/pgtable.h:878:21: note: previous definition is here"
            let Some((loc, msg)) = n.split_once(": note: ") else {
                continue;
            };
            let Some(at) = file_line(loc.trim()) else {
                continue;
            };
            let (kind, at) = if msg.starts_with("this is the location of the previous definition")
                || (is_macro && msg == "previous definition is here")
            {
                (DeclKind::Macro, at)
            } else if msg.starts_with("previous definition of ") && names(msg, h) {
                (DeclKind::Definition, at)
            } else if msg.starts_with("previous declaration of ") && names(msg, h) {
                (DeclKind::Declaration, at)
            } else if msg == "previous definition is here" || msg == "previous declaration is here"
            {
                clang_kind(h, msg, at, &d.notes[k + 1..], root)
            } else {
                continue;
            };
            return Some(Declared {
                kind,
                at,
                note: msg.to_string(),
            });
        }
    }
    None
}

/// Does a diagnostic's text name `h` in quotes (`'h'`, `"h"`, or gcc's `‘h’` outside the C
/// locale)?
fn names(msg: &str, h: &str) -> bool {
    [('\'', '\''), ('"', '"'), ('‘', '’')]
        .iter()
        .any(|(a, b)| msg.contains(&format!("{a}{h}{b}")))
}

/// `file:line[:col]` -> `file:line`.
fn file_line(loc: &str) -> Option<String> {
    let (rest, last) = loc.rsplit_once(':')?;
    last.parse::<u32>().ok()?;
    match rest.rsplit_once(':') {
        Some((file, line)) if line.parse::<u32>().is_ok() && !file.is_empty() => {
            Some(format!("{file}:{line}"))
        }
        _ if !rest.is_empty() => Some(format!("{rest}:{last}")),
        _ => None,
    }
}

/// clang's note names no helper, and calls a prototype a "definition" too: the kind is read
/// from the source. A helper made by a macro is placed where its name is spelt (gcc's place),
/// which the "expanded from macro" notes after this one (`after`) lead to.
fn clang_kind(h: &str, msg: &str, at: String, after: &[String], root: &Path) -> (DeclKind, String) {
    let spelt = after.iter().map_while(|n| expanded_from(n)).last();
    let (kind, at) = match spelt {
        Some((file, line, col)) => (
            macro_made_kind(root, &file, line, col),
            format!("{file}:{line}"),
        ),
        None if defines_function(root, &at, h) => (DeclKind::Definition, at),
        None => (DeclKind::Declaration, at),
    };
    if msg == "previous declaration is here" {
        (DeclKind::Declaration, at)
    } else {
        (kind, at)
    }
}

/// clang's `FILE:LINE:COL: note: expanded from macro 'M'` -> (file, line, col); not for
/// `<scratch space>`.
fn expanded_from(note: &str) -> Option<(String, usize, usize)> {
    let (loc, msg) = note.split_once(": note: ")?;
    if !msg.starts_with("expanded from macro ") || loc.starts_with('<') {
        return None;
    }
    let mut parts = loc.trim().rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), line, col))
}

/// The kind of a function whose name is spelt in a macro body at `file:line:col` (1-based
/// byte column): after the name and its balanced parameter list, `{` is a definition and
/// `;` a declaration; when the macro's body ends there (the `;` comes from an outer macro),
/// an `inline` before the name says definition. Unreadable or unclear: a declaration.
fn macro_made_kind(root: &Path, file: &str, line: usize, col: usize) -> DeclKind {
    let Ok(text) = std::fs::read_to_string(root.join(file)) else {
        return DeclKind::Declaration;
    };
    let stripped = super::scan::strip_comments(&text);
    let lines: Vec<&str> = stripped.lines().collect();
    let Some(first) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return DeclKind::Declaration;
    };
    let (Some(before), Some(start)) = (first.get(..col - 1), first.get(col - 1..)) else {
        return DeclKind::Declaration;
    };
    // The rest of the macro's logical line, continuations joined.
    let mut body = start.to_string();
    let mut next = line;
    while body.trim_end().ends_with('\\') {
        body = body.trim_end().trim_end_matches('\\').to_string();
        let Some(l) = lines.get(next) else { break };
        body.push(' ');
        body.push_str(l);
        next += 1;
    }
    let after_name =
        body.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '#');
    let after_name = after_name.trim_start();
    if after_name.starts_with('(') {
        let mut depth = 0;
        for (i, ch) in after_name.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        let rest = after_name[i + 1..].trim_start();
                        if rest.starts_with('{') {
                            return DeclKind::Definition;
                        }
                        if rest.starts_with(';') {
                            return DeclKind::Declaration;
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    if super::scan::find_ident(before, "inline").is_empty() {
        DeclKind::Declaration
    } else {
        DeclKind::Definition
    }
}

/// Is `h` on line `at` of the tree the start of a function definition? (A file that cannot
/// be read, such as a generated header in the build dir, counts as a declaration: its
/// definition must then be proved by a built object.)
fn defines_function(root: &Path, at: &str, h: &str) -> bool {
    let Some((file, line)) = at.rsplit_once(':') else {
        return false;
    };
    let (Ok(line), Ok(text)) = (
        line.parse::<usize>(),
        std::fs::read_to_string(root.join(file)),
    ) else {
        return false;
    };
    let stripped = super::scan::strip_comments(&text);
    super::scan::find_ident(&stripped, h)
        .into_iter()
        .filter(|(l, _)| *l + 1 == line)
        .any(|(l, c)| super::scan::is_definition(&stripped, l, c))
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
