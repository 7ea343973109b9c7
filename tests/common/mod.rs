//! Shared by the integration tests: one kernel-source cache and one set of build dirs for the
//! whole suite (so each tarball is unpacked once and each arch configured/prepared once), and
//! a helper to run the real kcross binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod boot;
pub mod git_history;
pub mod kunit;
pub mod procs;

/// The suite's cache: unpacked sources and prepared build dirs, shared by every test.
/// `KCROSS_TEST_CACHE` names another one (e.g. a cache whose kernels are built already: a
/// build dir is only reused from the very path its sources were built at, since kbuild
/// records the source path in every command line).
pub fn cache() -> PathBuf {
    let p = std::env::var_os("KCROSS_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kcross-cache"));
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The real kcross binary, with the shared cache.
pub fn kcross() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kcross"));
    c.env("KCROSS_CACHE", cache()).env("CI", "true");
    c
}

/// A fresh results directory for one test.
pub fn out_dir(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("out")
        .join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Run and return (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let o = cmd.output().expect("kcross runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The suite's unpacked linux-source-6.12 (unpacked once, cached).
pub fn tree_612() -> PathBuf {
    let (code, out, err) = run(kcross().args(["source", "linux-source-6.12"]));
    assert_eq!(code, 0, "{err}");
    PathBuf::from(out.trim())
}

/// A copy of the 6.12 tree made of hard links (cheap) at `dir/linux`; returns (pristine
/// tree, copy). Change the copy only with `replace_file`.
pub fn tree_copy_612(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let tree = tree_612();
    let copy = dir.join("linux");
    let ok = Command::new("cp")
        .arg("-al")
        .arg(&tree)
        .arg(&copy)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -al {}", tree.display());
    (tree, copy)
}

/// Replace a file of a hard-linked copy: unlink it, then write a new one, so the cached
/// tree behind the link stays pristine.
pub fn replace_file(copy: &std::path::Path, rel: &str, text: impl AsRef<[u8]>) {
    std::fs::remove_file(copy.join(rel)).unwrap();
    std::fs::write(copy.join(rel), text).unwrap();
}

/// Append `extra` to `rel` in a hard-linked copy (through `replace_file`, so the cached tree
/// stays pristine); returns the original text, read from the pristine `tree`.
pub fn append_to_copy(
    tree: &std::path::Path,
    copy: &std::path::Path,
    rel: &str,
    extra: &str,
) -> String {
    let orig = std::fs::read_to_string(tree.join(rel)).unwrap();
    replace_file(copy, rel, format!("{orig}{extra}"));
    orig
}

/// `dir/m.toml`: one arm64 tinyconfig cell named `obj` that builds only mm/mprotect.o (the
/// cheapest real build; the cell is `arm64-gcc-obj`).
pub fn mprotect_matrix(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join("m.toml");
    std::fs::write(
        &p,
        format!("name = \"{name}\"\n[[build]]\nname = \"obj\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n"),
    )
    .unwrap();
    p
}

/// `kcross build MATRIX --source SOURCE --json --out OUT`: (exit code, stdout, stderr).
pub fn build_json(matrix: &Path, source: &Path, out: &Path) -> (i32, String, String) {
    run(kcross()
        .arg("build")
        .arg(matrix)
        .arg("--source")
        .arg(source)
        .arg("--json")
        .arg("--out")
        .arg(out))
}

/// A matrix in `dir` whose one cell's compiler is a wrapper that sleeps for two minutes
/// without a word before it would compile (kbuild calls $(CC) already while configuring).
/// CC is part of the config key and the wrapper's path is new every time: a fresh build dir,
/// so configure, and the silent wrapper, really run.
pub fn silent_build_matrix(dir: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let cc = dir.join("slow-cc");
    std::fs::write(&cc, "#!/bin/sh\nsleep 120\nexec gcc \"$@\"\n").unwrap();
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let m = dir.join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"silent\"\n[[build]]\nname = \"slow\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\nmake_args = [\"CC={}\"]\n",
            cc.display()
        ),
    )
    .unwrap();
    m
}

/// Validate a KCIDB document with PyPI's kcidb-io (schema v5.3, installed by scripts/setup).
pub fn kcidb_validate(doc: &Path) -> (i32, String, String) {
    run(Command::new("python3")
        .arg("-c")
        .arg(
            "import json,sys,kcidb_io; kcidb_io.schema.V5_3.validate_exactly(json.load(open(sys.argv[1])))",
        )
        .arg(doc))
}

/// A compiler wrapper at a path stable across runs (so its cell's build dir stays warm), one
/// per `name` (each test file that deletes objects in its build dir has its own dir): it
/// sleeps `$KCROSS_TEST_HANG_S` seconds, silently, before compiling mm/mprotect.c.
pub fn hang_cc(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = cache().join("test-tools").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let cc = dir.join("hang-cc");
    let text = "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in *mm/mprotect.c) sleep \"${KCROSS_TEST_HANG_S:-0}\";; esac; done\nexec gcc \"$@\"\n";
    if std::fs::read_to_string(&cc).ok().as_deref() != Some(text) {
        // A name of its own per writer (nextest runs tests in processes, cargo in threads).
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let tmp = dir.join(format!("hang-cc.{}-{n}.tmp", std::process::id()));
        std::fs::write(&tmp, text).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, &cc).unwrap();
    }
    cc
}

/// Build the default matrix's cells of `arches` (full images) and check each: pass, no error,
/// an image, the results files, the device-dax stack in the verified config, the summary
/// and JUnit, and a pristine source tree. Several cells must all start before any finished.
pub fn default_matrix_build(arches: &[&str], out_name: &str) {
    use serde_json::Value;

    let out = out_dir(out_name);
    let mut cmd = kcross();
    cmd.arg("build");
    for a in arches {
        cmd.args(["--arch", a]);
    }
    let (code, stdout, stderr) = run(cmd.args(["--json", "--out"]).arg(&out));
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    let v: Value = serde_json::from_str(&stdout).expect("--json prints the summary");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), arches.len());
    for c in cells {
        assert_eq!(c["verdict"], "pass", "{c}");
        assert_eq!(c["errors"], 0);
        let image = PathBuf::from(c["image"].as_str().expect("an image"));
        assert!(image.is_file(), "{}", image.display());
        let dir = PathBuf::from(c["dir"].as_str().unwrap());
        for f in ["build.log", "config", "result.json", "diagnostics.json"] {
            assert!(dir.join(f).is_file(), "{f} in {}", dir.display());
        }
        // The verified config really has the device-dax stack.
        let config = std::fs::read_to_string(dir.join("config")).unwrap();
        for sym in [
            "CONFIG_DEV_DAX=y",
            "CONFIG_ZONE_DEVICE=y",
            "CONFIG_FS_DAX=y",
            "CONFIG_TRANSPARENT_HUGEPAGE=y",
        ] {
            assert!(config.lines().any(|l| l == sym), "{sym} in {}", c["cell"]);
        }
    }
    let ids: Vec<&str> = cells.iter().map(|c| c["cell"].as_str().unwrap()).collect();
    let want: Vec<String> = arches
        .iter()
        .map(|a| {
            format!(
                "{}-gcc-pud",
                if *a == "ppc64le" { "powerpc64le" } else { a }
            )
        })
        .collect();
    assert_eq!(ids, want);
    if ids.len() > 1 {
        assert_started_before_any_finished(&stderr, &ids);
    }
    // The run's summary and the `latest` link are in place; the source tree was not written.
    assert!(out.join("latest/summary.json").is_file());
    let junit = std::fs::read_to_string(out.join("latest/junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase").count(), arches.len(), "{junit}");
    assert!(
        junit.contains("x86_64-gcc-pud") && !junit.contains("<failure"),
        "{junit}"
    );
    let tree = tree_612();
    assert!(!tree.join(".config").exists() && !tree.join("include/generated").exists());
}

/// Every cell's progress line came before the first `] pass in`: they ran in parallel.
pub fn assert_started_before_any_finished(stderr: &str, ids: &[&str]) {
    let first_done = stderr.find("] pass in").expect("progress lines");
    for id in ids {
        let started = stderr.find(&format!("[{id}]")).expect("cell progress");
        assert!(
            started < first_done,
            "{id} started only after another finished:\n{stderr}"
        );
    }
}

/// The five helpers of "mm/mprotect: Fix dax puds" (the default matrix's `[check]`).
pub const PUD_HELPERS: [&str; 5] = [
    "pudp_invalidate",
    "pud_modify",
    "pud_mkinvalid",
    "pudp_establish",
    "change_huge_pud",
];

/// A check summary's `provided_nowhere`: the helpers no cell provides.
pub fn provided_nowhere(v: &serde_json::Value) -> Vec<String> {
    v["provided_nowhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}
