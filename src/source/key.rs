//! Content keys for the trees kcross does not unpack itself: a git tree and a plain
//! directory. A key names the build dirs of a tree (`<build root>/<key>/...`) and its
//! results' identity, so two different contents must never share one.
//!
//! - git: HEAD's commit when the tree is clean; HEAD plus a hash of the tracked changes
//!   (`git diff-index -p --binary HEAD`) and of the untracked, non-ignored files (names and
//!   contents) when it is not. Git runs as argv, read-only: the plumbing `diff-index` never
//!   refreshes the index (porcelain `git diff` does, even with `--no-optional-locks`), and
//!   `--no-optional-locks` keeps every other command from writing it.
//! - directory: the canonical path and, for every entry below it in sorted order, its
//!   relative path, type, size and mtime (ns); a symlink's target. Cheap (no file is read)
//!   and sound as far as make is: different content under the same size and mtime is what
//!   kbuild itself would not rebuild. A touch without a change gives a new key.

use crate::error::{Error, IoContext, Result};
use sha2::{Digest, Sha256};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first 8 bytes of a digest, in hex.
fn short(d: &[u8]) -> String {
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `git --no-optional-locks -C root ...` in the C locale, ignoring any GIT_DIR /
/// GIT_WORK_TREE / GIT_INDEX_FILE of the caller's environment (the tree is `root`'s).
fn git(root: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("--no-optional-locks")
        .arg("-C")
        .arg(root)
        .env("LC_ALL", "C")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_EXTERNAL_DIFF");
    c
}

/// Run git, its stdout on success; a failure is a source error naming the command.
fn git_out(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = crate::proc::run_capture(git(root).args(args))?;
    if !out.status.success() {
        return Err(Error::Source {
            path: root.to_path_buf(),
            msg: format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(out.stdout)
}

/// The key of a git tree: HEAD, or `<HEAD>-dirty-<hash of the changes>`.
pub fn git_key(root: &Path) -> Result<String> {
    let head = String::from_utf8_lossy(&git_out(root, &["rev-parse", "--verify", "HEAD"])?)
        .trim()
        .to_string();
    let diff = git_out(
        root,
        &[
            "diff-index",
            "-p",
            "--binary",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            "--no-color",
            "HEAD",
            "--",
        ],
    )?;
    let untracked = git_out(root, &["ls-files", "-o", "--exclude-standard", "-z"])?;
    let mut names: Vec<&[u8]> = untracked
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .collect();
    if diff.is_empty() && names.is_empty() {
        return Ok(head);
    }
    names.sort();
    let mut h = Sha256::new();
    h.update(b"diff\0");
    h.update((diff.len() as u64).to_le_bytes());
    h.update(&diff);
    for n in names {
        h.update(b"\0untracked\0");
        h.update(n);
        h.update(b"\0");
        let p = root.join(std::ffi::OsStr::from_bytes(n));
        hash_entry_content(&mut h, &p)?;
    }
    Ok(format!("{head}-dirty-{}", short(&h.finalize())))
}

/// An untracked entry's content: a file's bytes, a symlink's target; a directory (a nested
/// repository `ls-files` does not descend into) by its name alone.
fn hash_entry_content(h: &mut Sha256, p: &Path) -> Result<()> {
    let m = p
        .symlink_metadata()
        .ctx(|| format!("reading {}", p.display()))?;
    if m.file_type().is_symlink() {
        let t = std::fs::read_link(p).ctx(|| format!("reading the link {}", p.display()))?;
        h.update(b"L");
        h.update(t.as_os_str().as_bytes());
    } else if m.is_file() {
        use std::io::Read;
        h.update(b"F");
        h.update(m.len().to_le_bytes());
        let mut f = std::fs::File::open(p).ctx(|| format!("opening {}", p.display()))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f
                .read(&mut buf)
                .ctx(|| format!("reading {}", p.display()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    } else {
        h.update(b"D");
    }
    Ok(())
}

/// The key of a plain directory: its canonical path and a fingerprint of every entry below
/// it (relative path, type, size, mtime in ns; a symlink's target), walked in sorted order.
/// The path is part of it because kbuild writes the absolute source path into an O= dir
/// (command lines, dependency files): a build dir made from one location rebuilds
/// everything for another, so two locations never share one.
pub fn dir_key(root: &Path) -> Result<String> {
    let mut h = Sha256::new();
    h.update(b"dir\0");
    h.update(root.as_os_str().as_bytes());
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        crate::proc::check_interrupted()?;
        let dir = root.join(&rel);
        let mut entries: Vec<(std::ffi::OsString, std::fs::Metadata)> = Vec::new();
        for e in std::fs::read_dir(&dir).ctx(|| format!("reading {}", dir.display()))? {
            let e = e.ctx(|| format!("reading {}", dir.display()))?;
            let m = e
                .metadata()
                .ctx(|| format!("reading {}", e.path().display()))?;
            entries.push((e.file_name(), m));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, m) in entries {
            let r = rel.join(&name);
            h.update(b"\0");
            h.update(r.as_os_str().as_bytes());
            let ft = m.file_type();
            if ft.is_dir() {
                // A directory by its name: its entries say the rest (its own mtime moves
                // when an editor makes and removes a temp file).
                h.update(b"\0D");
                subdirs.push(r);
            } else if ft.is_symlink() {
                let t = std::fs::read_link(root.join(&r))
                    .ctx(|| format!("reading the link {}", root.join(&r).display()))?;
                h.update(b"\0L");
                h.update(t.as_os_str().as_bytes());
            } else {
                h.update(if ft.is_file() { b"\0F" } else { b"\0O" });
                h.update(m.size().to_le_bytes());
                h.update(m.mtime().to_le_bytes());
                h.update(m.mtime_nsec().to_le_bytes());
            }
        }
        // Depth first, in sorted order: push the subdirectories in reverse.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(short(&h.finalize()))
}

/// A directory's build-dir key: the hash of its canonical path (the tree's identity, which
/// kbuild records in the build dir anyway), not of its content.
pub fn path_key(root: &Path) -> String {
    short(&Sha256::digest(root.to_string_lossy().as_bytes()))
}
