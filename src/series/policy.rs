//! What a patch may do, checked on its text before anything is applied. kcross gates patches
//! from strangers, so a patch may only change files inside the tree, as text:
//!
//! - a path that is absolute, has a `..` component, or is empty is refused;
//! - a path that goes through a symlink (one in the base tree, or one an earlier patch of the
//!   series, or this one, creates) is refused: a write there would land outside the file the
//!   patch names, possibly outside the tree;
//! - a symlink may be created only with a relative target that stays inside the tree;
//! - binary patches (`GIT binary patch`, `Binary files ... differ`) are refused: a gate reads
//!   patches as text and cannot show what a binary one does;
//! - file modes other than 100644 and 100755 (and 120000 for the symlinks above) are refused:
//!   no setuid, setgid or sticky bits, no submodules (160000).
//!
//! A refusal names the patch, the path and the rule; nothing is applied, built or written.

use super::{Patch, Series};
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::path::Path;

/// Check every patch of `series` against the policy, in order, on the base tree `base`.
pub fn check(series: &Series, base: &Path) -> Result<()> {
    let mut links: BTreeSet<String> = BTreeSet::new();
    for p in &series.patches {
        check_patch(p, base, &mut links).map_err(|msg| Error::PatchRefused {
            patch: p.describe(),
            msg,
        })?;
    }
    Ok(())
}

/// One file section of a diff: its paths and what its extended headers say.
#[derive(Default)]
struct Section {
    paths: Vec<String>,
    modes: Vec<String>,
    binary: bool,
    /// `+` lines of a section whose new mode is a symlink: its target.
    added: Vec<String>,
}

fn sections(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_hunk = false;
    for l in text.lines() {
        let l = l.trim_end_matches('\r');
        if let Some(rest) = l.strip_prefix("diff --git ") {
            out.push(Section::default());
            in_hunk = false;
            // `a/X b/Y`: paths with spaces are quoted or ambiguous; the ---/+++ lines and
            // rename headers name them again, so only the simple form is read here.
            let mut parts = rest.split(' ');
            if let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) {
                for x in [a, b] {
                    push_path(out.last_mut().unwrap(), x);
                }
            }
            continue;
        }
        if out.is_empty() {
            // Text before the first diff (the commit message) is not a diff header. A plain
            // `---`/`+++` diff without `diff --git` still starts a section.
            if l.starts_with("--- ") {
                out.push(Section::default());
            } else {
                continue;
            }
        }
        let s = out.last_mut().unwrap();
        if l.starts_with("@@ ") {
            in_hunk = true;
            continue;
        }
        if in_hunk {
            if let Some(added) = l.strip_prefix('+') {
                s.added.push(added.to_string());
                continue;
            }
            if l.starts_with(' ') || l.starts_with('-') || l.starts_with('\\') {
                continue;
            }
            in_hunk = false;
        }
        if let Some(r) = l.strip_prefix("--- ").or_else(|| l.strip_prefix("+++ ")) {
            push_path(s, r.split('\t').next().unwrap_or(""));
        } else if let Some(r) = ["rename from ", "rename to ", "copy from ", "copy to "]
            .iter()
            .find_map(|k| l.strip_prefix(k))
        {
            s.paths.push(r.to_string());
        } else if let Some(m) = [
            "new file mode ",
            "deleted file mode ",
            "new mode ",
            "old mode ",
        ]
        .iter()
        .find_map(|k| l.strip_prefix(k))
        {
            s.modes.push(m.trim().to_string());
        } else if let Some(idx) = l.strip_prefix("index ") {
            // `index abc..def 100644`: the mode of an unchanged-mode change.
            if let Some(m) = idx.split(' ').nth(1) {
                s.modes.push(m.to_string());
            }
        } else if l == "GIT binary patch"
            || (l.starts_with("Binary files ") && l.ends_with(" differ"))
        {
            s.binary = true;
        }
    }
    out
}

fn push_path(s: &mut Section, p: &str) {
    let p = p.trim();
    if p == "/dev/null" || p.is_empty() {
        return;
    }
    let p = p
        .strip_prefix("a/")
        .or_else(|| p.strip_prefix("b/"))
        .unwrap_or(p);
    s.paths.push(p.to_string());
}

/// Why `path` may not be touched, if it may not.
fn bad_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("an empty path");
    }
    if path.starts_with('/') {
        return Some("an absolute path, outside the tree");
    }
    if path.split('/').any(|c| c == "..") {
        return Some("a `..` component, which escapes the tree");
    }
    None
}

fn check_patch(
    p: &Patch,
    base: &Path,
    links: &mut BTreeSet<String>,
) -> std::result::Result<(), String> {
    let mut made_links = Vec::new();
    for s in sections(&p.text) {
        if s.binary {
            let what = s.paths.first().map(String::as_str).unwrap_or("a file");
            return Err(format!(
                "{what}: a binary patch (kcross gates text patches only; see README, Hostile patches)"
            ));
        }
        let is_link = s.modes.iter().any(|m| m == "120000");
        for m in &s.modes {
            if !matches!(m.as_str(), "100644" | "100755" | "120000") {
                let what = s.paths.first().map(String::as_str).unwrap_or("a file");
                return Err(format!(
                    "{what}: file mode {m} is not allowed (only 100644, 100755 and symlinks inside the tree: no setuid, setgid, sticky bits or submodules)"
                ));
            }
        }
        for path in &s.paths {
            if let Some(why) = bad_path(path) {
                return Err(format!("{path}: {why}"));
            }
            // Every directory above the path, and the path itself unless this section is
            // about the link itself, must not be a symlink.
            let comps: Vec<&str> = path.split('/').collect();
            for n in 1..=comps.len() {
                let prefix = comps[..n].join("/");
                let whole = n == comps.len();
                if whole && is_link {
                    continue;
                }
                let in_base = std::fs::symlink_metadata(base.join(&prefix))
                    .is_ok_and(|m| m.file_type().is_symlink());
                if in_base || links.contains(&prefix) {
                    return Err(format!(
                        "{path}: goes through the symlink {prefix}{} (a write there could land outside the tree)",
                        if in_base { " of the base tree" } else { " an earlier patch created" }
                    ));
                }
            }
        }
        if is_link && !s.added.is_empty() {
            let link = s.paths.last().cloned().unwrap_or_default();
            let target = s.added.join("\n");
            let parent: Vec<&str> = link.split('/').collect::<Vec<_>>();
            let parent = &parent[..parent.len().saturating_sub(1)];
            if target.starts_with('/') || !stays_inside(parent, &target) {
                return Err(format!("{link}: a symlink to {target}, outside the tree"));
            }
            made_links.push(link);
        }
    }
    links.extend(made_links);
    Ok(())
}

/// Does `target`, relative to the directory `parent` (tree components), stay in the tree?
fn stays_inside(parent: &[&str], target: &str) -> bool {
    let mut depth = parent.len() as i64;
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
