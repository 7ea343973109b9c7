//! Applying patches with `git apply` (from a file path, never through a shell), proving a
//! whole series applies before anything is built, and kcross's own working copy of the
//! source: a full copy (`cp -a --reflink=auto`, never hardlinks, so a patch can never write
//! through into the cache or the user's tree), reset to the base under a lock at the start of
//! every gate.

use super::{Patch, Series};
use crate::error::{Error, IoContext, Result};
use crate::source::{SourceKind, SourceTree};
use crate::util::FileLock;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `git apply [-R] [--check] PATCH` in `tree`, with git's repository discovery stopped at the
/// tree (a tree under some other git checkout must not be taken for part of it).
fn git_apply(tree: &Path, patch: &Path, reverse: bool, check: bool) -> Result<Output> {
    let mut cmd = Command::new("git");
    cmd.current_dir(tree)
        .env("LC_ALL", "C")
        .env(
            "GIT_CEILING_DIRECTORIES",
            tree.parent().unwrap_or(Path::new("/")),
        )
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .args(["apply", "--whitespace=nowarn"]);
    if reverse {
        cmd.arg("-R");
    }
    if check {
        cmd.arg("--check");
    }
    cmd.arg("--").arg(patch);
    crate::proc::run_capture(&mut cmd)
}

/// Why `git apply` refused a patch, in words that name the file and the hunk.
pub fn explain_failure(patch: &Patch, stderr: &str) -> String {
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.starts_with("error: while searching for"))
        .collect();
    let mut seen = Vec::new();
    let errors: Vec<&str> = errors
        .into_iter()
        .filter(|l| {
            let new = !seen.contains(l);
            seen.push(*l);
            new
        })
        .collect();
    let git_says = if errors.is_empty() {
        stderr.trim().to_string()
    } else {
        errors.join("; ")
    };
    for l in &errors {
        if let Some(rest) = l.strip_prefix("error: patch failed: ") {
            if let Some((file, line)) = rest.rsplit_once(':') {
                let line: u64 = line.trim().parse().unwrap_or(0);
                if let Some((n, header)) = find_hunk(&patch.text, file, line) {
                    return format!(
                        "{file}: hunk #{n} `{header}` does not match the base (its context or removed lines are not there); git apply: {git_says}"
                    );
                }
                return format!("{file}: the hunk at line {line} does not match the base; git apply: {git_says}");
            }
        }
    }
    for l in &errors {
        let rest = l.trim_start_matches("error: ");
        if let Some((file, why)) = rest.split_once(": ") {
            if patch.files.iter().any(|f| f == file) {
                return format!("{file}: {why}; git apply: {git_says}");
            }
        }
    }
    format!("git apply: {git_says}")
}

/// The hunk of `file` whose old range starts at `line`: (1-based index within the file, the
/// `@@ ... @@ context` header line).
pub fn find_hunk(text: &str, file: &str, line: u64) -> Option<(usize, String)> {
    let mut in_file = false;
    let mut n = 0;
    for l in text.lines() {
        if l.starts_with("diff --git ") {
            in_file = false;
            n = 0;
        }
        if let Some(p) = l.strip_prefix("--- ") {
            let p = p.split('\t').next().unwrap_or("");
            in_file = p.strip_prefix("a/").unwrap_or(p) == file;
            n = 0;
        }
        if let Some(p) = l.strip_prefix("+++ ") {
            let p = p.split('\t').next().unwrap_or("");
            in_file = in_file || p.strip_prefix("b/").unwrap_or(p) == file;
        }
        if in_file && l.starts_with("@@ -") {
            n += 1;
            let start: u64 = l[4..]
                .split([',', ' '])
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if start == line {
                return Some((n, l.trim_end().to_string()));
            }
        }
    }
    None
}

/// Prove the whole series applies, in order, on the base, without touching the base: the
/// files the series touches are copied into a scratch directory and the patches applied
/// there. The first patch that does not apply is `Error::PatchDoesNotApply` naming the patch,
/// the file and the hunk.
pub fn check_series(series: &Series, base: &Path) -> Result<()> {
    let scratch = tempfile::Builder::new()
        .prefix("kcross-series-check-")
        .tempdir()
        .ctx(|| "creating a scratch directory".into())?;
    let tree = scratch.path().join("tree");
    let patches = scratch.path().join("patches");
    std::fs::create_dir_all(&tree).ctx(|| format!("creating {}", tree.display()))?;
    std::fs::create_dir_all(&patches).ctx(|| format!("creating {}", patches.display()))?;
    let mut copied = std::collections::BTreeSet::new();
    for p in &series.patches {
        for f in &p.files {
            if f.split('/').any(|c| c == "..")
                || Path::new(f).is_absolute()
                || !copied.insert(f.clone())
            {
                continue;
            }
            let from = base.join(f);
            if from.is_file() {
                let to = tree.join(f);
                if let Some(d) = to.parent() {
                    std::fs::create_dir_all(d).ctx(|| format!("creating {}", d.display()))?;
                }
                std::fs::copy(&from, &to).ctx(|| format!("copying {}", from.display()))?;
            }
        }
    }
    for p in &series.patches {
        let file = patches.join(format!("{:04}.patch", p.index));
        std::fs::write(&file, &p.text).ctx(|| format!("writing {}", file.display()))?;
        let out = git_apply(&tree, &file, false, false)?;
        if !out.status.success() {
            return Err(Error::PatchDoesNotApply {
                patch: p.describe(),
                msg: format!(
                    "{}; nothing was built or written",
                    explain_failure(p, &String::from_utf8_lossy(&out.stderr))
                ),
            });
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// Copies of the patches applied on top of the base, in order.
    applied: Vec<PathBuf>,
    /// A patch being applied when the state was last written (may or may not be in).
    pending: Option<PathBuf>,
}

/// kcross's working copy of a source tree for series gating, locked while it lives.
pub struct WorkingCopy {
    pub tree: SourceTree,
    /// The copy was (re)made by this `open`: build dirs of an earlier copy must not be
    /// trusted (`cp -a` keeps old mtimes, so make would not see what changed).
    pub fresh: bool,
    /// Files the reset to the base changed (tree paths).
    pub reset_touched: std::collections::BTreeSet<String>,
    dir: PathBuf,
    state: State,
    _lock: FileLock,
}

/// The identity of the base. A tarball's key is its content hash; a directory's key (its
/// path) and a git tree's (its HEAD commit) say nothing of edits or uncommitted changes, so a
/// stamp of the tree is added: how many entries and the newest mtime (`.git` left out). An
/// edited tree gets a fresh working copy; an untouched one keeps its copy and build dirs.
pub fn base_key(src: &SourceTree) -> Result<String> {
    if src.kind == SourceKind::Tarball {
        return Ok(src.key.clone());
    }
    let (entries, newest) = tree_stamp(&src.root);
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(src.root.to_string_lossy().as_bytes());
    h.update(entries.to_le_bytes());
    h.update(newest.to_le_bytes());
    let d = h.finalize();
    let short: String = src.key.chars().take(12).collect();
    Ok(format!(
        "{short}-{}",
        d[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// (number of entries, newest mtime in ns) of a tree, without its top-level `.git`.
fn tree_stamp(root: &Path) -> (u64, u128) {
    let mut entries = 0u64;
    let mut newest = 0u128;
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if d == root && e.file_name() == ".git" {
                continue;
            }
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            entries += 1;
            if let Ok(t) = m.modified() {
                let ns = t
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|x| x.as_nanos())
                    .unwrap_or(0);
                newest = newest.max(ns);
            }
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    (entries, newest)
}

/// Remove the working copies (and their build dirs) of earlier states of the same source
/// tree: an edited directory or git tree gets a new key, and the old copy would only take
/// space. Copies in use (locked) are left alone.
fn prune_superseded(
    root: &Path,
    origin: &Path,
    keep: &str,
    build_root: &Path,
    note: &dyn Fn(String),
) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        let key = e.file_name().to_string_lossy().into_owned();
        if key == keep || !e.path().is_dir() {
            continue;
        }
        let same = std::fs::read_to_string(e.path().join("origin"))
            .is_ok_and(|o| Path::new(o.trim()) == origin);
        if !same {
            continue;
        }
        let Ok(Some(_lock)) = FileLock::try_acquire(&root.join(format!("{key}.lock"))) else {
            continue;
        };
        note(format!(
            "removing the working copy of an earlier state of {}: {}",
            origin.display(),
            e.path().display()
        ));
        let _ = std::fs::remove_dir_all(e.path());
        let _ = std::fs::remove_dir_all(build_root.join(format!("series-{key}")));
        let _ = std::fs::remove_file(root.join(format!("{key}.lock")));
    }
}

impl WorkingCopy {
    /// `<cache>/series/<base key>/tree`: created by copying the source (into a temp dir renamed
    /// into place), or reset to the base by reversing what a previous gate applied. If the
    /// reversal fails the copy is made again.
    pub fn open(
        src: &SourceTree,
        cache: &Path,
        build_root: &Path,
        note: &dyn Fn(String),
    ) -> Result<WorkingCopy> {
        let key = base_key(src)?;
        let root = cache.join("series");
        let dir = root.join(&key);
        let lock_path = root.join(format!("{key}.lock"));
        let lock = match FileLock::try_acquire(&lock_path)? {
            Some(l) => l,
            None => {
                note(format!(
                    "waiting for another series gate on {} to finish",
                    src.origin
                ));
                FileLock::acquire(&lock_path)?
            }
        };
        let tree_dir = dir.join("tree");
        let state_path = dir.join("state.json");
        let mut state: Option<State> = if tree_dir.is_dir() {
            std::fs::read_to_string(&state_path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
        } else {
            None
        };
        let mut reset_touched = std::collections::BTreeSet::new();
        if let Some(st) = state.as_mut() {
            if !st.applied.is_empty() || st.pending.is_some() {
                note(format!(
                    "resetting the working copy {} to the base",
                    tree_dir.display()
                ));
                for p in st.applied.iter().chain(st.pending.iter()) {
                    let text = std::fs::read_to_string(p).unwrap_or_default();
                    reset_touched.extend(super::mbox::touched_files(&text));
                }
                if !reset(&tree_dir, st)? {
                    note("the working copy could not be reset: copying the source again".into());
                    state = None;
                } else {
                    crate::atomic::write_json(&state_path, &*st)?;
                }
            }
        }
        let fresh = state.is_none();
        if fresh {
            if tree_dir.exists() {
                std::fs::remove_dir_all(&tree_dir)
                    .ctx(|| format!("removing {}", tree_dir.display()))?;
            }
            let _ = std::fs::remove_dir_all(dir.join("applied"));
            note(format!(
                "copying {} into the working copy {}",
                src.root.display(),
                tree_dir.display()
            ));
            copy_tree(&src.root, &dir, &tree_dir)?;
            crate::atomic::write_json(&state_path, &State::default())?;
            crate::atomic::write(&dir.join("origin"), src.root.to_string_lossy().as_bytes())?;
            if src.kind != SourceKind::Tarball {
                prune_superseded(&root, &src.root, &key, build_root, note);
            }
            state = Some(State::default());
        }
        let version = crate::source::kernel_version(&tree_dir)?;
        let tree = SourceTree {
            kind: SourceKind::Dir,
            origin: format!("{} (kcross series working copy)", src.origin),
            root: tree_dir,
            key: format!("series-{key}"),
            build_key: format!("series-{key}"),
            version,
        };
        Ok(WorkingCopy {
            tree,
            fresh,
            reset_touched,
            dir,
            state: state.unwrap_or_default(),
            _lock: lock,
        })
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Apply one patch on the working copy (already proven to apply on the base).
    pub fn apply(&mut self, p: &Patch) -> Result<()> {
        let applied = self.dir.join("applied");
        std::fs::create_dir_all(&applied).ctx(|| format!("creating {}", applied.display()))?;
        let file = applied.join(format!("{:04}.patch", self.state.applied.len() + 1));
        crate::atomic::write(&file, p.text.as_bytes())?;
        self.state.pending = Some(file.clone());
        crate::atomic::write_json(&self.state_path(), &self.state)?;
        let out = git_apply(&self.tree.root, &file, false, false)?;
        if !out.status.success() {
            // It applied in the scratch check; failing here means the working copy is not
            // what the state says. Leave `pending` set: the next gate resets or recopies.
            return Err(Error::PatchDoesNotApply {
                patch: p.describe(),
                msg: format!(
                    "{} (in the working copy {}, after the series was checked on the base)",
                    explain_failure(p, &String::from_utf8_lossy(&out.stderr)),
                    self.tree.root.display()
                ),
            });
        }
        self.state.pending = None;
        self.state.applied.push(file);
        crate::atomic::write_json(&self.state_path(), &self.state)?;
        Ok(())
    }
}

impl WorkingCopy {
    /// Back to the base, reversing every patch applied (fast mode, after the tip).
    pub fn reset_to_base(&mut self) -> Result<()> {
        if !reset(&self.tree.root, &mut self.state)? {
            // The tree is not what the state says; the next gate copies it again.
            self.state.pending = Some(self.dir.join("unknown"));
            crate::atomic::write_json(&self.state_path(), &self.state)?;
            return Err(Error::Source {
                path: self.tree.root.clone(),
                msg:
                    "the series working copy could not be reset to the base after building the tip"
                        .into(),
            });
        }
        crate::atomic::write_json(&self.state_path(), &self.state)
    }
}

/// Reverse what the state says was applied, last first. False when the tree is not in the
/// state the file says.
fn reset(tree: &Path, st: &mut State) -> Result<bool> {
    if let Some(p) = st.pending.take() {
        if git_apply(tree, &p, true, true)?.status.success() {
            if !git_apply(tree, &p, true, false)?.status.success() {
                return Ok(false);
            }
        } else if !git_apply(tree, &p, false, true)?.status.success() {
            // Neither in nor out: half applied.
            return Ok(false);
        }
    }
    while let Some(p) = st.applied.last().cloned() {
        if !git_apply(tree, &p, true, false)?.status.success() {
            return Ok(false);
        }
        st.applied.pop();
        let _ = std::fs::remove_file(&p);
    }
    Ok(true)
}

/// `cp -a --reflink=auto` of every top-level entry of `from` but `.git`, into a temp dir that
/// is renamed to `to` once the copy is complete.
fn copy_tree(from: &Path, dir: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(".tree.tmp") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp = dir.join(format!(".tree.tmp-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).ctx(|| format!("creating {}", tmp.display()))?;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(from)
        .ctx(|| format!("reading {}", from.display()))?
        .flatten()
        .filter(|e| e.file_name() != ".git")
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut cmd = Command::new("cp");
    cmd.args(["-a", "--reflink=auto", "-t"])
        .arg(&tmp)
        .arg("--")
        .args(&entries);
    let out = crate::proc::run_capture(&mut cmd)?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(Error::io(
            format!("copying {} to {}", from.display(), tmp.display()),
            std::io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        ));
    }
    std::fs::rename(&tmp, to).ctx(|| format!("renaming {} into place", tmp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@ int f(void)\n a\n-b\n+B\n c\n@@ -10,3 +10,3 @@ int g(void)\n x\n-y\n+Y\n z\n";

    fn patch(text: &str) -> Patch {
        Patch {
            index: 1,
            total: 1,
            subject: "x: change".into(),
            raw_subject: "[PATCH] x: change".into(),
            author: None,
            origin: "t.patch:1".into(),
            files: crate::series::mbox::touched_files(text),
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
            sha256: String::new(),
            text: text.into(),
        }
    }

    #[test]
    fn an_edited_tree_gets_a_new_key() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Makefile"), "x").unwrap();
        let src = SourceTree {
            kind: SourceKind::Dir,
            origin: "t".into(),
            root: d.path().to_path_buf(),
            key: "0123456789abcdef".into(),
            build_key: String::new(),
            version: "6.12.0".into(),
        };
        let k1 = base_key(&src).unwrap();
        assert_eq!(k1, base_key(&src).unwrap());
        assert!(k1.starts_with("0123456789ab-"), "{k1}");
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join(".git/index"), "y").unwrap();
        assert_eq!(k1, base_key(&src).unwrap(), ".git is not the tree");
        std::fs::write(d.path().join("new.c"), "z").unwrap();
        assert_ne!(k1, base_key(&src).unwrap());
    }

    #[test]
    fn hunks_are_found_by_their_old_start() {
        assert_eq!(
            find_hunk(P, "x.c", 10),
            Some((2, "@@ -10,3 +10,3 @@ int g(void)".into()))
        );
        assert_eq!(find_hunk(P, "y.c", 10), None);
    }

    #[test]
    fn a_patch_that_does_not_apply_names_file_and_hunk_and_writes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().join("base");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("x.c"), "a\nb\nc\n4\n5\n6\n7\n8\n9\nx\nNOT-y\nz\n").unwrap();
        let s = Series {
            origin: "t".into(),
            kind: super::super::SeriesKind::Directory,
            version: None,
            cover: None,
            cover_message_id: None,
            skipped: vec![],
            patches: vec![patch(P)],
        };
        let e = check_series(&s, &base).unwrap_err().to_string();
        assert!(
            e.contains("patch 1/1") && e.contains("x.c: hunk #2 `@@ -10,3 +10,3 @@ int g(void)`"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(base.join("x.c"))
                .unwrap()
                .lines()
                .nth(1),
            Some("b")
        );
        std::fs::write(base.join("x.c"), "a\nb\nc\n4\n5\n6\n7\n8\n9\nx\ny\nz\n").unwrap();
        check_series(&s, &base).unwrap();
        assert_eq!(
            std::fs::read_to_string(base.join("x.c"))
                .unwrap()
                .lines()
                .nth(1),
            Some("b")
        );
    }
}
