//! Source keys follow content: a git tree made of real 6.12 files is keyed by HEAD when clean
//! and by HEAD plus its changes when not (tracked edits, binary edits, untracked files;
//! ignored files do not count), and kcross leaves the repository as it found it; a plain
//! directory (a hard-linked copy of the 6.12 tree) changes key when a file changes.

mod common;

use kcross::source::{self, SourceKind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// git in `dir`, with an identity and none of the caller's GIT_* pointing elsewhere.
fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=kcross test",
            "-c",
            "user.email=test@kcross",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {o:?}");
    o.stdout
}

/// Everything about the repository that kcross must not change: the status (read without
/// taking locks, so reading it changes nothing either), HEAD, the index's bytes and mtime.
#[derive(Debug, PartialEq)]
struct RepoState {
    status: String,
    head: String,
    /// sha256 of the index file
    index: String,
    index_mtime: SystemTime,
}

fn state(repo: &Path) -> RepoState {
    let index = repo.join(".git/index");
    RepoState {
        status: String::from_utf8(git(
            repo,
            &[
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=all",
                "--ignored",
            ],
        ))
        .unwrap(),
        head: String::from_utf8(git(repo, &["rev-parse", "HEAD"]))
            .unwrap()
            .trim()
            .to_string(),
        index: {
            use sha2::{Digest, Sha256};
            let d = Sha256::digest(std::fs::read(&index).unwrap());
            d.iter().map(|b| format!("{b:02x}")).collect()
        },
        index_mtime: std::fs::metadata(&index).unwrap().modified().unwrap(),
    }
}

/// The key kcross gives the tree, checking that giving it changed nothing in the repository.
fn key_of(repo: &Path) -> String {
    let before = state(repo);
    let tree = source::prepare(repo.to_str().unwrap()).unwrap();
    assert_eq!(tree.kind, SourceKind::Git);
    assert_eq!(state(repo), before, "kcross changed the repository");
    tree.key
}

/// A git repository holding a few real files of the 6.12 tree (enough to be a kernel tree),
/// the upstream part of its top .gitignore, and one binary file.
fn small_kernel_repo(dir: &Path) -> PathBuf {
    let tree = common::tree_612();
    let repo = dir.join("linux");
    for f in [
        "Makefile",
        "Kconfig",
        "arch/x86/Kconfig",
        "scripts/kconfig/Makefile",
        "scripts/kconfig/conf.c",
        "mm/mprotect.c",
        "include/linux/pgtable.h",
    ] {
        let to = repo.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(tree.join(f), &to).unwrap();
    }
    // Debian's tree ends its .gitignore with "ignore everything at the top level" for its
    // packaging; a kernel git tree has the part before that.
    let ignore = std::fs::read_to_string(tree.join(".gitignore")).unwrap();
    let upstream = ignore
        .split("#\n# Debian packaging")
        .next()
        .unwrap()
        .to_string();
    assert!(upstream.len() < ignore.len() && upstream.contains("*.o\n"));
    std::fs::write(repo.join(".gitignore"), upstream).unwrap();
    std::fs::write(repo.join("blob.dat"), (0u8..=255).collect::<Vec<u8>>()).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &["commit", "-q", "-m", "a few files of linux-source-6.12"],
    );
    repo
}

#[test]
fn a_git_tree_is_keyed_by_head_and_its_changes_and_is_left_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let repo = small_kernel_repo(d.path());
    let head = state(&repo).head;
    let clean = key_of(&repo);
    assert_eq!(clean, head, "a clean tree keeps HEAD's key");

    // A touch without a change: the index's stat data is now stale. kcross still gives the
    // clean key and does not refresh (write) the index; porcelain `git diff HEAD` does, so
    // the state comparison would see a write.
    let c = repo.join("mm/mprotect.c");
    let original = std::fs::read(&c).unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&c)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(key_of(&repo), clean);
    let before = state(&repo);
    git(&repo, &["diff", "HEAD"]);
    assert_ne!(
        state(&repo),
        before,
        "porcelain git diff refreshes the index"
    );

    // An edit of a tracked file: HEAD plus a hash of the change, the same every time.
    let mut edited = original.clone();
    edited.extend_from_slice(b"/* kcross: a dirty tree */\n");
    std::fs::write(&c, &edited).unwrap();
    let dirty = key_of(&repo);
    assert!(dirty.starts_with(&format!("{head}-dirty-")), "{dirty}");
    assert_eq!(key_of(&repo), dirty);
    // Reverting the change gives the clean key back.
    std::fs::write(&c, &original).unwrap();
    assert_eq!(key_of(&repo), clean);

    // Binary edits: the same change twice gives the same key, two different changes two
    // different keys.
    let bin = repo.join("blob.dat");
    let blob = std::fs::read(&bin).unwrap();
    let mut b1 = blob.clone();
    b1[10] = 0xff;
    std::fs::write(&bin, &b1).unwrap();
    let k1 = key_of(&repo);
    std::fs::write(&bin, &blob).unwrap();
    std::fs::write(&bin, &b1).unwrap();
    assert_eq!(key_of(&repo), k1);
    let mut b2 = blob.clone();
    b2[20] = 0xff;
    std::fs::write(&bin, &b2).unwrap();
    let k2 = key_of(&repo);
    assert!(k1 != clean && k2 != clean && k1 != k2, "{k1} {k2}");
    std::fs::write(&bin, &blob).unwrap();
    assert_eq!(key_of(&repo), clean);

    // An untracked file changes the key, and its content counts; an ignored one does not.
    let new = repo.join("mm/kcross_new.c");
    std::fs::write(&new, "int kcross_new;\n").unwrap();
    let u1 = key_of(&repo);
    std::fs::write(&new, "int kcross_new = 1;\n").unwrap();
    let u2 = key_of(&repo);
    assert!(
        u1 != clean && u2 != clean && u1 != u2 && u1 != dirty,
        "{u1} {u2}"
    );
    std::fs::remove_file(&new).unwrap();
    assert_eq!(key_of(&repo), clean);
    std::fs::write(repo.join("mm/mprotect.o"), b"\x7fELF").unwrap();
    assert!(state(&repo).status.contains("!! mm/mprotect.o"));
    assert_eq!(key_of(&repo), clean, "ignored files do not count");
}

#[test]
fn a_plain_directory_is_keyed_by_its_content() {
    let d = tempfile::tempdir().unwrap();
    let (pristine, copy) = common::tree_copy_612(d.path());
    let spec = copy.to_str().unwrap();
    let first = source::prepare(spec).unwrap();
    assert_eq!(first.kind, SourceKind::Dir);
    // The same state twice: the same key.
    assert_eq!(source::prepare(spec).unwrap().key, first.key);
    // Another state: another key.
    let f = "mm/mprotect.c";
    let mut text = std::fs::read_to_string(copy.join(f)).unwrap();
    text.push_str("/* kcross: another state */\n");
    common::replace_file(&copy, f, &text);
    let edited = source::prepare(spec).unwrap().key;
    assert_ne!(edited, first.key);
    // The same content at another place is another key (kbuild writes the source's
    // absolute path into the build dir).
    let at_pristine = source::prepare(pristine.to_str().unwrap()).unwrap();
    assert_eq!(at_pristine.kind, SourceKind::Dir);
    assert_ne!(at_pristine.key, first.key);
}

/// make runs with `-C <source>`: a relative `O=` would name a directory under the source,
/// not the build dir kcross configured. So a relative KCROSS_CACHE is made absolute: the
/// tree it prints is the same absolute path as with the absolute variable (before, it came
/// out relative, and a build configured one dir and ran make in another: ".config not
/// found").
#[test]
fn a_relative_cache_dir_gives_the_same_absolute_paths() {
    let cache = common::cache().canonicalize().unwrap();
    let absolute = common::tree_612();
    let o = common::kcross()
        .env(
            "KCROSS_CACHE",
            cache.file_name().expect("the cache dir has a name"),
        )
        .current_dir(cache.parent().unwrap())
        .args(["source", "linux-source-6.12"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
    let relative = PathBuf::from(String::from_utf8(o.stdout).unwrap().trim());
    assert!(relative.is_absolute(), "{}", relative.display());
    assert_eq!(
        relative.canonicalize().unwrap(),
        absolute.canonicalize().unwrap()
    );
}
