//! A full disk or an unwritable --out: a clear error naming the path, exit 2, and no partial
//! result (the run dir, its `latest` links and a results dir the run created are removed).
//! Shown with small tmpfs mounts (we are root), each unmounted again by its guard.

mod common;

use common::{kcross, out_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for one test; unmounted (lazily, so a failing test cannot leave it busy)
/// when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(name: &str, opts: &str) -> Tmpfs {
        let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(&p)
            .status()
            .unwrap();
        assert!(st.success(), "mount -t tmpfs -o {opts} {}", p.display());
        Tmpfs(p)
    }

    fn remount(&self, opts: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Everything under `dir` (recursively), the mount point itself excluded.
fn everything(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        out.push(p.clone());
        if p.is_dir() && !p.is_symlink() {
            out.extend(everything(&p));
        }
    }
    out
}

/// An objects-only cell (x86_64 tinyconfig, mm/mprotect.o: a warm build dir in the shared
/// cache, which tests/resume.rs builds too; nobody deletes objects in it).
fn matrix(dir: &Path) -> PathBuf {
    let m = dir.join("m.toml");
    std::fs::write(
        &m,
        "name = \"diskfull\"\n[[build]]\nname = \"obj\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    )
    .unwrap();
    m
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_partial_result() {
    let d = tempfile::tempdir().unwrap();
    let m = matrix(d.path());
    // Warm the cell, on a disk with room.
    let (code, _, err) = common::run(
        kcross()
            .arg("build")
            .arg(&m)
            .arg("--out")
            .arg(out_dir("diskfull-prime")),
    );
    assert_eq!(code, 0, "{err}");
    // The same build onto ever larger filesystems: each run either fails on the full disk
    // (exit 2, naming the file it could not write, nothing left behind) or completes.
    let mut failed_on = Vec::new();
    let mut passed = Vec::new();
    for kib in (8..=96).step_by(8) {
        let fs = Tmpfs::mount("diskfull", &format!("size={kib}k"));
        let out = fs.0.join("out");
        let (code, stdout, err) = common::run(kcross().arg("build").arg(&m).arg("--out").arg(&out));
        let left = everything(&fs.0);
        match code {
            2 => {
                let line = err.lines().find(|l| l.contains("error:")).unwrap_or("");
                assert!(line.contains("No space left on device"), "{kib}k: {err}");
                let named = line
                    .split_whitespace()
                    .find(|w| w.starts_with(fs.0.to_str().unwrap()))
                    .unwrap_or_else(|| panic!("{kib}k: the error names no path: {line}"));
                failed_on.push(
                    Path::new(named.trim_end_matches(':'))
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
                assert!(left.is_empty(), "{kib}k: left behind {left:#?}\n{err}");
            }
            0 => {
                let summary: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(out.join("latest-build/summary.json")).unwrap(),
                )
                .unwrap();
                assert_eq!(summary["cells"][0]["verdict"], "pass", "{kib}k: {stdout}");
                assert!(out.join("latest/junit.xml").is_file(), "{kib}k");
                passed.push(kib);
            }
            _ => panic!("{kib}k: exit {code}\n{stdout}\n{err}"),
        }
        assert!(
            !left
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "tmp")),
            "{kib}k: a temp file is left: {left:#?}"
        );
    }
    eprintln!("failed on {failed_on:?}; passed at {passed:?} KiB");
    failed_on.sort();
    failed_on.dedup();
    assert!(
        failed_on.len() >= 2,
        "the disk filled at several points of the run: {failed_on:?}"
    );
    assert!(
        passed.contains(&96),
        "the counter-case: with room the same build completes ({passed:?})"
    );
}

#[test]
fn a_read_only_out_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let m = matrix(d.path());
    let fs = Tmpfs::mount("readonly", "size=1m");
    let out = fs.0.join("out");
    std::fs::create_dir(&out).unwrap();
    fs.remount("ro");
    // An existing --out on a read-only filesystem, and one that would have to be created.
    for (out, what) in [
        (out.clone(), out.join(".kcross.lock")),
        (out.join("new"), out.join("new")),
    ] {
        let (code, _, err) = common::run(kcross().arg("build").arg(&m).arg("--out").arg(&out));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&what.display().to_string()) && err.contains("Read-only file system"),
            "{err}"
        );
    }
    // The counter-case: the same dir, writable again, takes the build.
    fs.remount("rw");
    let (code, _, err) = common::run(kcross().arg("build").arg(&m).arg("--out").arg(&out));
    assert_eq!(code, 0, "{err}");
    assert!(out.join("latest-build/summary.json").is_file());
}
