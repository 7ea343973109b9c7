//! Judging: the sites, the real objects' diagnostics, the probe's notes and the symbol tables
//! of one cell turned into a `HelperVerdict` for each helper, with its evidence.
//!
//! In order: a real object this config builds that fails to compile because of the helper
//! makes it `missing`; else the compiler's note says where it is declared (an extern must
//! also be defined by a built object when something references it, else `unresolved`);
//! else it is not declared here, which is `not required` when nothing built uses it, with
//! the Kconfig symbols that keep its generic users out of this config.

use super::probe::{declared_at, DeclKind, Declared, Symbols};
use super::scan::{self, Truth};
use super::sites::{defined_in_other_arches, source_line, Site};
use super::{Evidence, HelperResult, HelperVerdict};
use crate::diag::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The cell being judged.
pub(super) struct Who<'a> {
    pub(super) cell: &'a str,
    pub(super) arch: &'a str,
    pub(super) srcarch: &'a str,
}

/// What one cell's check found, for every helper.
pub(super) struct Findings<'a> {
    pub(super) sites: &'a [Site],
    /// Diagnostics of building the real objects (`make -k`).
    pub(super) obj_diags: &'a [Diagnostic],
    /// Diagnostics of building the probe, and decl.c's text (its marker lines).
    pub(super) probe_diags: &'a [Diagnostic],
    pub(super) decl_text: &'a str,
    /// nm of each built object.
    pub(super) syms: &'a BTreeMap<String, Symbols>,
    /// The source tree (for quoting lines and looking at other arches).
    pub(super) root: &'a Path,
}

/// The verdict for helper `h`, the `idx`-th of the probe.
pub(super) fn verdict(who: &Who, h: &str, idx: usize, f: &Findings) -> HelperResult {
    let res = HelperResult {
        cell: who.cell.to_string(),
        arch: who.arch.to_string(),
        helper: h.to_string(),
        verdict: HelperVerdict::NotRequired,
        kind: None,
        provider: None,
        summary: String::new(),
        evidence: Vec::new(),
    };
    let mine: Vec<&Site> = f.sites.iter().filter(|s| s.helper == h).collect();
    let compiled_uses: Vec<&Site> = mine.iter().copied().filter(|s| s.built_use()).collect();
    if let Some(r) = missing(res.clone(), h, &compiled_uses, f) {
        return r;
    }
    match declared_at(h, idx, f.probe_diags, f.decl_text, f.root) {
        Some(d) => declared(res, h, &mine, &compiled_uses, f, &d),
        None => undeclared(res, who, h, &mine, f),
    }
}

/// Missing: a real object this config builds fails to compile because of the helper.
fn missing(
    mut res: HelperResult,
    h: &str,
    compiled_uses: &[&Site],
    f: &Findings,
) -> Option<HelperResult> {
    let errs: Vec<&Diagnostic> = f
        .obj_diags
        .iter()
        .filter(|d| d.is_error() && !scan::find_ident(&d.message, h).is_empty())
        .collect();
    let e = errs.first()?;
    res.verdict = HelperVerdict::Missing;
    res.summary = format!("{}: {}", e.location(), e.message);
    for e in &errs {
        res.evidence.push(Evidence {
            what: format!("compiler: {}", e.message),
            at: Some(e.location()),
        });
    }
    if let Some(u) = compiled_uses.first() {
        res.evidence.push(Evidence {
            what: format!(
                "referenced here: {}",
                source_line(f.root, &u.at).unwrap_or_default()
            ),
            at: Some(u.at.clone()),
        });
    }
    Some(res)
}

/// Declared for this arch and config (the compiler's note at `at`): provided, or for an
/// extern function, provided only when a built object defines it.
fn declared(
    mut res: HelperResult,
    h: &str,
    mine: &[&Site],
    compiled_uses: &[&Site],
    f: &Findings,
    decl: &Declared,
) -> HelperResult {
    let (at, msg) = (decl.at.as_str(), decl.note.as_str());
    let generic = !at.starts_with("arch/");
    let is_inline = source_line(f.root, at).is_some_and(|l| l.contains("inline"));
    let kind_name = match decl.kind {
        DeclKind::Macro => "macro",
        DeclKind::Definition if is_inline => "static inline",
        DeclKind::Definition => "definition",
        DeclKind::Declaration => "extern function",
    };
    res.kind = Some(kind_name.to_string());
    res.provider = Some(if generic { "generic" } else { "arch" }.to_string());
    res.evidence.push(Evidence {
        what: format!("the compiler sees: {msg}"),
        at: Some(at.to_string()),
    });
    if kind_name != "extern function" {
        res.verdict = HelperVerdict::Provided;
        res.summary = format!(
            "{kind_name} at {at}{}",
            if generic { " (generic fallback)" } else { "" }
        );
        return res;
    }
    let defs_built: Vec<(&Site, bool)> = mine
        .iter()
        .filter(|s| s.definition)
        .map(|s| {
            (
                *s,
                f.syms.get(&s.object).is_some_and(|y| y.defined.contains(h)),
            )
        })
        .collect();
    let referencing_objs: Vec<&String> = f
        .syms
        .iter()
        .filter(|(_, y)| y.undefined.contains(h))
        .map(|(o, _)| o)
        .collect();
    if let Some((d, _)) = defs_built.iter().find(|(_, built)| *built) {
        res.verdict = HelperVerdict::Provided;
        res.summary = format!(
            "extern, declared at {at}, defined at {} ({})",
            d.at, d.object
        );
        res.evidence.push(Evidence {
            what: format!("defined in {} (nm: T {h})", d.object),
            at: Some(d.at.clone()),
        });
    } else if !referencing_objs.is_empty() || !compiled_uses.is_empty() {
        res.verdict = HelperVerdict::Unresolved;
        let users: Vec<String> = if referencing_objs.is_empty() {
            compiled_uses.iter().map(|u| u.at.clone()).collect()
        } else {
            referencing_objs.iter().map(|s| s.to_string()).collect()
        };
        res.summary = format!(
            "declared at {at} and referenced ({}), but no object this config builds defines it",
            users.join(", ")
        );
        for (d, _) in &defs_built {
            res.evidence.push(Evidence {
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
        res.summary =
            format!("declared at {at}, but nothing built for this config references or defines it");
    }
    res
}

/// Not declared for this arch and config: not required, with the Kconfig symbols that keep
/// its generic users out, or the other arches that define it.
fn undeclared(
    mut res: HelperResult,
    who: &Who,
    h: &str,
    mine: &[&Site],
    f: &Findings,
) -> HelperResult {
    let gated: Vec<&Site> = mine
        .iter()
        .copied()
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
    let defined_elsewhere = defined_in_other_arches(f.root, who.srcarch, h);
    res.verdict = HelperVerdict::NotRequired;
    res.summary = if !gated.is_empty() && !symbols.is_empty() {
        format!(
            "not provided by {}; its generic users are compiled only with {} (=n here)",
            who.arch,
            symbols.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    } else if !defined_elsewhere.is_empty() {
        format!(
            "not provided by {}; defined only in {}, and nothing built for this cell references it",
            who.arch,
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
            who.arch
        )
    };
    for g in gated {
        res.evidence.push(Evidence {
            what: format!(
                "use compiled only under {}{}",
                g.conditions.join(" && "),
                gating_text(g)
            ),
            at: Some(g.at.clone()),
        });
    }
    for (arch_dir, at) in defined_elsewhere {
        res.evidence.push(Evidence {
            what: format!("defined for {arch_dir}"),
            at: Some(at),
        });
    }
    res
}

pub(super) fn gating_text(s: &Site) -> String {
    match (&s.object_gate, s.object_built) {
        (Some(g), Some(false)) => format!(" ({} is built only with {g}, =n here)", s.object),
        _ => String::new(),
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
