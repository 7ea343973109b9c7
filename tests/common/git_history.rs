//! A git history on top of linux-source-6.12 for the bisect tests: the tarball committed
//! once, then one commit per change (replace the first occurrence of a text in a file), with
//! fixed author and dates, made once under the suite's cache (a lock and a done-marker).

use std::path::{Path, PathBuf};
use std::process::Command;

/// One commit: in `file`, the first `old` becomes `new`.
pub struct Change {
    pub file: &'static str,
    pub old: &'static str,
    pub new: String,
    pub subject: &'static str,
}

/// Insert `lines` after the first `anchor` of `file`.
pub fn after(
    file: &'static str,
    anchor: &'static str,
    lines: &str,
    subject: &'static str,
) -> Change {
    Change {
        file,
        old: anchor,
        new: format!("{anchor}{lines}"),
        subject,
    }
}

/// Insert `lines` before the first `anchor` of `file`.
pub fn before(
    file: &'static str,
    anchor: &'static str,
    lines: &str,
    subject: &'static str,
) -> Change {
    Change {
        file,
        old: anchor,
        new: format!("{lines}{anchor}"),
        subject,
    }
}

/// `git` in `tree`, no optional locks, the test's author and dates.
pub fn git_at(tree: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.arg("--no-optional-locks").arg("-C").arg(tree).args(args);
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "Ada Example"),
        ("GIT_AUTHOR_EMAIL", "ada@example.org"),
        ("GIT_COMMITTER_NAME", "kcross"),
        ("GIT_COMMITTER_EMAIL", "kcross@example.org"),
        ("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z"),
        ("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z"),
    ] {
        c.env(k, v);
    }
    c
}

pub fn sh(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `<cache>/<name>/linux-source-6.12`, made once: returns the tree and its commits, the
/// tarball's first.
pub fn history(name: &str, changes: &[Change]) -> (PathBuf, Vec<String>) {
    let root = super::cache().join(name);
    let tree = root.join("linux-source-6.12");
    let done = root.join("history.done");
    std::fs::create_dir_all(&root).unwrap();
    let _lock = kcross::util::FileLock::acquire(&root.join("lock")).unwrap();
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&tree);
        sh(Command::new("tar")
            .args(["-xf", "/usr/src/linux-source-6.12.tar.xz", "-C"])
            .arg(&root));
        sh(&mut git_at(&tree, &["init", "-q", "-b", "master"]));
        sh(&mut git_at(&tree, &["add", "-A", "-f"]));
        sh(&mut git_at(
            &tree,
            &["commit", "-q", "-m", "linux-source-6.12"],
        ));
        for c in changes {
            let path = tree.join(c.file);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains(c.old), "{}: {}", c.file, c.old);
            let new = text.replacen(c.old, &c.new, 1);
            assert_ne!(new, text, "{}", c.subject);
            std::fs::write(&path, new).unwrap();
            sh(&mut git_at(&tree, &["commit", "-q", "-a", "-m", c.subject]));
        }
        std::fs::write(&done, "").unwrap();
    }
    let revs = sh(&mut git_at(&tree, &["rev-list", "--reverse", "HEAD"]));
    let revs: Vec<String> = revs.lines().map(str::to_string).collect();
    assert_eq!(revs.len(), changes.len() + 1);
    (tree, revs)
}

/// What the repository looks like to its user: HEAD, status, reflog, the index's bytes.
pub fn repo_state(tree: &Path) -> (String, String, String, Vec<u8>) {
    (
        sh(&mut git_at(tree, &["rev-parse", "HEAD"])),
        sh(&mut git_at(tree, &["status", "--porcelain=v1", "-uall"])),
        sh(&mut git_at(tree, &["reflog", "--format=%H %gs"])),
        std::fs::read(tree.join(".git/index")).unwrap(),
    )
}
