//! Git for the bisection: read-only questions to the user's repository (revisions, ancestry)
//! and kcross's own working copy, `<cache>/bisect/<key>/tree`, a `git clone --shared
//! --no-checkout` of the user's repository (its objects are read through
//! `objects/info/alternates`; nothing is ever written there), where every checkout, revert
//! and reset happens. Git always runs as argv, with repository discovery stopped at the
//! directory it is given.

use crate::error::{Error, IoContext, Result};
use crate::source::{SourceKind, SourceTree};
use crate::util::FileLock;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `git -C dir ...` with no inherited repository, C locale, no optional locks.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .env("LC_ALL", "C")
        .env(
            "GIT_CEILING_DIRECTORIES",
            dir.parent().unwrap_or(Path::new("/")),
        )
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    c
}

/// Run git; Ok(stdout) on success, Err(stderr) on failure.
fn run(dir: &Path, args: &[&str]) -> Result<std::result::Result<String, String>> {
    let mut c = git(dir);
    c.args(args);
    let out = crate::proc::run_capture(&mut c)?;
    if out.status.success() {
        Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
    } else {
        Ok(Err(String::from_utf8_lossy(&out.stderr).trim().to_string()))
    }
}

/// Run git and fail (an I/O-class error naming the command) when it fails.
fn must(dir: &Path, args: &[&str]) -> Result<String> {
    run(dir, args)?.map_err(|e| {
        Error::io(
            format!("git {} in {}", args.join(" "), dir.display()),
            std::io::Error::other(e),
        )
    })
}

/// The user's repository, asked only read-only questions.
pub struct UserRepo {
    pub root: PathBuf,
}

impl UserRepo {
    /// The source must be a git tree (`source::prepare` said so).
    pub fn of(src: &SourceTree) -> Result<UserRepo> {
        if src.kind != SourceKind::Git {
            return Err(Error::Source {
                path: src.root.clone(),
                msg: format!(
                    "bisect needs a git tree, and {} is a {} (give --source a git checkout of the kernel)",
                    src.origin,
                    match src.kind {
                        SourceKind::Tarball => "tarball",
                        SourceKind::Dir => "plain directory",
                        SourceKind::Git => "git tree",
                    }
                ),
            });
        }
        Ok(UserRepo {
            root: src.root.clone(),
        })
    }

    /// The full sha of a revision (`REV^{commit}`), or exit-2 error naming it.
    pub fn resolve(&self, rev: &str, what: &str) -> Result<String> {
        if rev.starts_with('-') {
            return Err(Error::Usage(format!(
                "--{what} {rev}: not a revision (it starts with `-`)"
            )));
        }
        match run(
            &self.root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )? {
            Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            _ => Err(Error::Usage(format!(
                "--{what} {rev}: no such commit in {}",
                self.root.display()
            ))),
        }
    }

    /// Whether `a` is an ancestor of (or equal to) `b`.
    pub fn is_ancestor(&self, a: &str, b: &str) -> Result<bool> {
        let mut c = git(&self.root);
        c.args(["merge-base", "--is-ancestor", a, b]);
        let out = crate::proc::run_capture(&mut c)?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(Error::io(
                format!("git merge-base --is-ancestor in {}", self.root.display()),
                std::io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            )),
        }
    }
}

/// One commit as the report names it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct CommitInfo {
    pub sha: String,
    pub subject: String,
    pub author: String,
    pub date: String,
}

/// kcross's clone of the user's repository, locked while it lives.
pub struct WorkingCopy {
    /// The tree to build: root is the clone, build dirs keyed `bisect-<key>`.
    pub tree: SourceTree,
    /// The clone was made by this `open` (its files are all new: old build dirs are stale).
    pub fresh: bool,
    /// The commit checked out now.
    head: Option<String>,
    dir: PathBuf,
    _lock: FileLock,
}

/// `<cache>/bisect/<key>`: the key is a hash of the user's repository's path.
fn key_of(repo: &Path) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(repo.to_string_lossy().as_bytes());
    d[..6].iter().map(|b| format!("{b:02x}")).collect()
}

impl WorkingCopy {
    pub fn open(user: &UserRepo, cache: &Path, note: &dyn Fn(String)) -> Result<WorkingCopy> {
        let key = key_of(&user.root);
        let root = cache.join("bisect");
        std::fs::create_dir_all(&root).ctx(|| format!("creating {}", root.display()))?;
        let lock_path = root.join(format!("{key}.lock"));
        let lock = match FileLock::try_acquire(&lock_path)? {
            Some(l) => l,
            None => {
                note(format!(
                    "waiting for another bisection of {} to finish",
                    user.root.display()
                ));
                FileLock::acquire(&lock_path)?
            }
        };
        let dir = root.join(&key);
        let tree = dir.join("tree");
        // The commit last checked out, written after each complete checkout: without it the
        // files are in an unknown state, and the copy is made again.
        let head_file = dir.join("head");
        let head = std::fs::read_to_string(&head_file)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let usable = tree.join(".git/objects/info/alternates").is_file() && head.is_some();
        let fresh = !usable;
        if fresh {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
            let tmp = dir.join(format!(".tree.tmp-{}", std::process::id()));
            note(format!(
                "cloning {} into kcross's working copy {}",
                user.root.display(),
                tree.display()
            ));
            let mut c = git(&dir);
            c.args(["clone", "--quiet", "--shared", "--no-checkout", "--"])
                .arg(&user.root)
                .arg(&tmp);
            let out = crate::proc::run_capture(&mut c)?;
            if !out.status.success() {
                return Err(Error::io(
                    format!("git clone --shared {}", user.root.display()),
                    std::io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
                ));
            }
            std::fs::rename(&tmp, &tree).ctx(|| format!("renaming {}", tmp.display()))?;
            crate::atomic::write(&dir.join("origin"), user.root.to_string_lossy().as_bytes())?;
        }
        let head = if fresh { None } else { head };
        Ok(WorkingCopy {
            tree: SourceTree {
                kind: SourceKind::Dir,
                origin: format!("{} (kcross bisect working copy)", user.root.display()),
                root: tree,
                key: format!("bisect-{key}"),
                build_key: format!("bisect-{key}"),
                version: String::new(),
            },
            fresh,
            head,
            dir,
            _lock: lock,
        })
    }

    /// Check out `sha` (detached, forced, any local change dropped). Returns the files that
    /// differ from what was checked out before (None: everything, a first checkout).
    pub fn checkout(&mut self, sha: &str) -> Result<Option<BTreeSet<String>>> {
        let root = self.tree.root.clone();
        let touched = match &self.head {
            Some(h) if h != sha => Some(changed(&root, h, sha)?),
            Some(_) => Some(BTreeSet::new()),
            None => None,
        };
        // A revert left uncommitted by verification: drop it first (and name its files).
        let dirty = must(&root, &["diff", "--name-only", "HEAD"]).unwrap_or_default();
        let mut touched = touched;
        if let Some(t) = touched.as_mut() {
            t.extend(dirty.lines().map(str::to_string));
        }
        let _ = std::fs::remove_file(self.dir.join("head"));
        must(&root, &["checkout", "--quiet", "--force", "--detach", sha])?;
        must(&root, &["reset", "--quiet", "--hard"])?;
        crate::atomic::write(&self.dir.join("head"), sha.as_bytes())?;
        self.head = Some(sha.to_string());
        self.tree.version = crate::source::kernel_version(&root)?;
        Ok(touched)
    }

    /// Revert `culprit` on top of what is checked out, uncommitted. Err(git's words) when it
    /// does not apply (the tree is then reset).
    pub fn revert(
        &mut self,
        culprit: &str,
    ) -> Result<std::result::Result<BTreeSet<String>, String>> {
        let root = self.tree.root.clone();
        let _ = std::fs::remove_file(self.dir.join("head"));
        let args = [
            "-c",
            "user.name=kcross",
            "-c",
            "user.email=kcross@localhost",
            "revert",
            "--no-commit",
            "--no-edit",
            culprit,
        ];
        match run(&root, &args)? {
            // The head file stays removed: the tree is not the commit now, and an interrupted
            // run's next open makes the copy again.
            Ok(_) => Ok(Ok(changed_uncommitted(&root)?)),
            Err(e) => {
                let _ = run(&root, &["revert", "--abort"]);
                let _ = run(&root, &["reset", "--quiet", "--hard"]);
                if let Some(h) = &self.head {
                    crate::atomic::write(&self.dir.join("head"), h.as_bytes())?;
                }
                Ok(Err(e))
            }
        }
    }

    /// Commits of `bad` not reachable from any of `goods` (bad first).
    pub fn range(&self, bad: &str, goods: &[String]) -> Result<Vec<String>> {
        let mut args = vec!["rev-list".to_string(), bad.to_string()];
        args.extend(goods.iter().map(|g| format!("^{g}")));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(must(&self.tree.root, &a)?
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// `git rev-list --bisect-all`: the candidates, best halving point first.
    pub fn bisect_order(&self, bad: &str, goods: &[String]) -> Result<Vec<String>> {
        let mut args = vec![
            "rev-list".to_string(),
            "--bisect-all".to_string(),
            bad.to_string(),
        ];
        args.extend(goods.iter().map(|g| format!("^{g}")));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(must(&self.tree.root, &a)?
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect())
    }

    pub fn info(&self, sha: &str) -> Result<CommitInfo> {
        let out = must(
            &self.tree.root,
            &["show", "-s", "--format=%H%x00%s%x00%an <%ae>%x00%aI", sha],
        )?;
        let mut p = out.trim_end().split('\0');
        let mut next = || p.next().unwrap_or("").to_string();
        Ok(CommitInfo {
            sha: next(),
            subject: next(),
            author: next(),
            date: next(),
        })
    }

    /// The first parent of `sha`.
    pub fn parent(&self, sha: &str) -> Result<Option<String>> {
        Ok(run(
            &self.tree.root,
            &["rev-parse", "--verify", "--quiet", &format!("{sha}^1")],
        )?
        .ok()
        .map(|s| s.trim().to_string()))
    }
}

fn changed(root: &Path, a: &str, b: &str) -> Result<BTreeSet<String>> {
    Ok(must(root, &["diff", "--name-only", "--no-renames", a, b])?
        .lines()
        .map(str::to_string)
        .collect())
}

fn changed_uncommitted(root: &Path) -> Result<BTreeSet<String>> {
    Ok(
        must(root, &["diff", "--name-only", "--no-renames", "HEAD"])?
            .lines()
            .map(str::to_string)
            .collect(),
    )
}
