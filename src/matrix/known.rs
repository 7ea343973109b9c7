//! `[[known]]` entries checked into `known::KnownIssue`s: exactly one way of matching (a
//! fingerprint, or a file and/or a message pattern that compiles), a reason, and cells that
//! are arch names (aliases resolved) or cell ids or globs. Every error names file:line:col.

use super::raw::TomlKnown;
use crate::diag::Severity;
use crate::error::{Error, Result};
use crate::known::KnownIssue;
use crate::toolchain::Registry;
use std::ops::Range;
use toml::Spanned;

pub(super) fn check(
    entries: &[Spanned<TomlKnown>],
    reg: &Registry,
    at: &dyn Fn(Range<usize>) -> String,
) -> Result<Vec<KnownIssue>> {
    let mut out = Vec::new();
    for e in entries {
        let entry_at = at(e.span());
        let k = e.get_ref();
        let sp = |s: &Spanned<String>| at(s.span());
        let nonempty = |s: &Option<Spanned<String>>, key: &str| -> Result<Option<String>> {
            match s {
                Some(v) if v.get_ref().trim().is_empty() => {
                    Err(Error::input(sp(v), format!("`{key}` is empty")))
                }
                Some(v) => Ok(Some(v.get_ref().clone())),
                None => Ok(None),
            }
        };
        let fingerprint = nonempty(&k.fingerprint, "fingerprint")?;
        let file = nonempty(&k.file, "file")?;
        let pattern = nonempty(&k.pattern, "pattern")?;
        if let (Some(fp), Some(s)) = (&fingerprint, &k.fingerprint) {
            if fp.len() != 16 || !fp.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::input(
                    sp(s),
                    format!("fingerprint `{fp}` is not 16 hex digits (a diagnostic's `fingerprint` in --json or diagnostics.json)"),
                ));
            }
            if file.is_some() || pattern.is_some() {
                return Err(Error::input(
                    sp(s),
                    "a fingerprint names one diagnostic exactly: give `fingerprint` or `file`/`pattern`, not both",
                ));
            }
        }
        if fingerprint.is_none() && file.is_none() && pattern.is_none() {
            return Err(Error::input(
                &entry_at,
                "a [[known]] entry needs a `fingerprint`, or a `file` and/or a message `pattern`",
            ));
        }
        if let (Some(p), Some(s)) = (&pattern, &k.pattern) {
            if let Err(err) = regex::Regex::new(p) {
                let msg = err.to_string();
                let last = msg.lines().last().unwrap_or("").trim().to_string();
                return Err(Error::input(
                    sp(s),
                    format!("pattern `{p}` is not a regular expression: {last}"),
                ));
            }
        }
        let reason = nonempty(&k.reason, "reason")?.ok_or_else(|| {
            Error::input(
                &entry_at,
                "a [[known]] entry needs a `reason` (what is known, and why it is not fixed here)",
            )
        })?;
        let link = nonempty(&k.link, "link")?;
        let severity = match &k.severity {
            None => None,
            Some(s) => Some(match s.get_ref().as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                other => {
                    return Err(Error::input(
                        sp(s),
                        format!("severity `{other}`: `error` or `warning`"),
                    ))
                }
            }),
        };
        let mut cells = Vec::new();
        for c in k.cells.iter().flatten() {
            let name = c.get_ref().trim();
            if name.is_empty() {
                return Err(Error::input(sp(c), "an empty `cells` entry"));
            }
            let glob = name.contains(['*', '?']);
            // An arch alias (ppc64le) means its canonical name, which cells carry.
            let name = match reg.arch(name) {
                Some(a) if !glob => a.name.clone(),
                _ => name.to_string(),
            };
            cells.push(name);
        }
        out.push(KnownIssue {
            at: entry_at,
            fingerprint: fingerprint.map(|f| f.to_ascii_lowercase()),
            file,
            pattern,
            severity,
            cells,
            reason,
            link,
        });
    }
    Ok(out)
}

/// Every `cells` item must name a cell or an arch of the plan (cell ids are known only once
/// the matrix is expanded): a typo would otherwise make an entry that never applies.
pub fn check_cells(issues: &[KnownIssue], cells: &[(String, String)]) -> Result<()> {
    for i in issues {
        for p in &i.cells {
            let hit = cells.iter().any(|(id, arch)| {
                crate::known::glob_match(p, id) || crate::known::glob_match(p, arch)
            });
            if !hit {
                let mut arches: Vec<&str> = cells.iter().map(|(_, a)| a.as_str()).collect();
                arches.dedup();
                return Err(Error::input(
                    &i.at,
                    format!(
                        "known issue's cells entry `{p}` matches no cell or arch of the matrix (cells: {}; arches: {})",
                        cells.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", "),
                        arches.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}
