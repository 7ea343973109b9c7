//! A reproducer per cell, the compiler's version first in build.log, result.json written
//! incomplete at the cell's start (a SIGKILL leaves it so), and the runtime stage's tools
//! checked before anything is built.

mod common;

use common::{cache, kcross, out_dir, repo, run};
use kcross::build::record::{self, CellRecord};
use kcross::build::CellResult;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The one cell's results directory of the only run in `out`.
fn cell_dir(out: &Path) -> PathBuf {
    let runs: Vec<_> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(runs.len(), 1, "one run in {}", out.display());
    let cells: Vec<_> = std::fs::read_dir(runs[0].path().join("cells"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(cells.len(), 1);
    cells[0].path()
}

/// First line of `<cc> --version`, as the test reads it itself.
fn version_of(cc: &str) -> String {
    let o = Command::new(cc).arg("--version").output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string()
}

/// Run a cell's reproduce.sh by hand: bash, a fresh O=, -j2, nothing of kcross's in the
/// environment. Returns (exit code, output).
fn reproduce(script: &Path, o: &Path, cwd: &Path) -> (i32, String) {
    let out = Command::new("bash")
        .arg(script)
        .current_dir(cwd)
        .env("O", o)
        .env("JOBS", "2")
        .env_remove("KCROSS_CACHE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The x86_64 cell of tests/fixtures/series/matrix.toml (tinyconfig + the pud fragments,
/// KCFLAGS=-Wshadow: its build dir is shared with the series tests), building only
/// mm/mprotect.o. kcross builds it; then its reproduce.sh, run by hand in a fresh O=, makes
/// the same .config and the object.
#[test]
fn reproduce_sh_rebuilds_an_objects_cell_by_hand() {
    let d = tempfile::tempdir().unwrap();
    let frag = |f: &str| {
        repo()
            .join("matrices/pud-helpers")
            .join(f)
            .display()
            .to_string()
    };
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"repro\"\nsource = \"linux-source-6.12\"\n[[build]]\nname = \"pud\"\narch = \"x86_64\"\n\
             config = \"tinyconfig\"\nfragments = [{:?}, {:?}, {:?}]\nmake_args = [\"KCFLAGS=-Wshadow -Wno-error=shadow\"]\n\
             targets = [\"mm/mprotect.o\"]\n",
            frag("boot.config"),
            frag("dax.config"),
            frag("x86_64.config")
        ),
    )
    .unwrap();
    let out = out_dir("repro-objects");
    let (code, _o, e) = run(kcross()
        .arg("build")
        .arg(&m)
        .args(["-j2", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{e}");
    let dir = cell_dir(&out);
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["complete"], true);
    assert_eq!(result["verdict"], "pass");
    let log = std::fs::read_to_string(dir.join("build.log")).unwrap();
    assert_eq!(
        log.lines().next().unwrap(),
        version_of("x86_64-linux-gnu-gcc")
    );
    assert!(log.lines().next().unwrap().contains("12."), "{log}");

    let script = dir.join("reproduce.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains("'KCFLAGS=-Wshadow -Wno-error=shadow'") && text.contains("mm/mprotect.o"),
        "{text}"
    );
    let o = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("repro-objects-o");
    let _ = std::fs::remove_dir_all(&o);
    let (code, output) = reproduce(&script, &o, d.path());
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        std::fs::read_to_string(o.join(".config")).unwrap(),
        std::fs::read_to_string(dir.join("config")).unwrap(),
        "the reproducer's .config is kcross's"
    );
    assert!(o.join("mm/mprotect.o").is_file(), "{output}");
    // It built with kcross's flags: the object's command line has them.
    let cmd = std::fs::read_to_string(o.join("mm/.mprotect.o.cmd")).unwrap();
    assert!(cmd.contains("-Wshadow -Wno-error=shadow"), "{cmd}");
    let _ = std::fs::remove_dir_all(&o);
}

/// A make variable, a fragment's path and a fragment's value holding shell syntax stay
/// literal in reproduce.sh: running it (configure, olddefconfig, `make kernelversion`)
/// never runs `touch`, and it still makes kcross's .config.
#[test]
fn reproduce_sh_keeps_shell_syntax_in_values_literal() {
    let pwned = Path::new("/tmp/kcross-repro-pwned");
    let _ = std::fs::remove_file(pwned);
    let evil = "$(touch /tmp/kcross-repro-pwned)";
    // The counter-case: through a shell unquoted, the value does run.
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("echo KCFLAGS={evil}"))
        .output()
        .unwrap();
    assert!(st.status.success() && pwned.exists(), "the detector works");
    std::fs::remove_file(pwned).unwrap();
    // In a file name (no `/`): touches a file in the current directory.
    let evil_name = "$(touch KCROSS_PWNED) `touch KCROSS_PWNED` 'q";
    let d = tempfile::tempdir().unwrap();
    let cwd = d.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let mdir = d.path().join(format!("m {evil_name}"));
    std::fs::create_dir_all(&mdir).unwrap();
    let frag = format!("f{evil_name}.config");
    std::fs::write(mdir.join(&frag), "CONFIG_LOCALVERSION=\"-it's`id`\"\n").unwrap();
    let m = mdir.join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"repro-literal\"\nsource = \"linux-source-6.12\"\n[[build]]\nname = \"lit\"\narch = \"x86_64\"\n\
             config = \"tinyconfig\"\nfragments = [{frag:?}]\nmake_args = [\"KCFLAGS={evil}\"]\ntargets = [\"kernelversion\"]\n"
        ),
    )
    .unwrap();
    let out = out_dir("repro-literal");
    let (code, _o, e) = run(kcross()
        .arg("build")
        .arg(&m)
        .args(["-j2", "--out"])
        .arg(&out)
        .current_dir(&cwd));
    assert_eq!(code, 0, "{e}");
    assert!(!pwned.exists(), "kcross ran a shell on a value");
    let dir = cell_dir(&out);
    let script = dir.join("reproduce.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains(&format!("'KCFLAGS={evil}'")), "{text}");
    assert!(
        text.contains(&frag),
        "the fragment's path is in the merge: {text}"
    );
    let o = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("repro-literal-o");
    let _ = std::fs::remove_dir_all(&o);
    let (code, output) = reproduce(&script, &o, &cwd);
    assert_eq!(code, 0, "{output}");
    assert!(!pwned.exists(), "reproduce.sh ran a value:\n{output}");
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "reproduce.sh ran a path:\n{output}"
    );
    // make got the value as one word (the script echoes each command before running it).
    assert!(
        output.contains(&format!(" KCFLAGS={evil} kernelversion")),
        "{output}"
    );
    let config = std::fs::read_to_string(o.join(".config")).unwrap();
    assert_eq!(config, std::fs::read_to_string(dir.join("config")).unwrap());
    assert!(
        config.contains("CONFIG_LOCALVERSION=\"-it's`id`\""),
        "{config}"
    );
    let _ = std::fs::remove_dir_all(&o);
}

/// A base config file is written literally by the reproducer (a quoted here-document whose
/// delimiter no line of the file equals), shell syntax and all, and olddefconfig then makes
/// kcross's .config from it.
#[test]
fn reproduce_sh_writes_a_base_config_file_literally() {
    let d = tempfile::tempdir().unwrap();
    let cwd = d.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    // Lines equal to the default delimiter, and shell syntax in comments and values.
    let base = "# $(touch KCROSS_PWNED)\nKCROSS_EOF\n# CONFIG_MODULES is not set\nCONFIG_64BIT=y\n\
                CONFIG_LOCALVERSION=\"-`touch KCROSS_PWNED`'\"\n";
    std::fs::write(d.path().join("base.config"), base).unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"repro-file\"\nsource = \"linux-source-6.12\"\n[[build]]\nname = \"file\"\narch = \"x86_64\"\n\
         config = \"base.config\"\ntargets = [\"kernelversion\"]\n",
    )
    .unwrap();
    let out = out_dir("repro-file");
    let (code, _o, e) = run(kcross()
        .arg("build")
        .arg(&m)
        .args(["-j2", "--out"])
        .arg(&out)
        .current_dir(&cwd));
    assert_eq!(code, 0, "{e}");
    let dir = cell_dir(&out);
    let script = dir.join("reproduce.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains(&format!(
            "cat > \"$O/.config\" <<'KCROSS_EOF_1'\n{base}KCROSS_EOF_1\n"
        )),
        "{text}"
    );
    let o = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("repro-file-o");
    let _ = std::fs::remove_dir_all(&o);
    let (code, output) = reproduce(&script, &o, &cwd);
    assert_eq!(code, 0, "{output}");
    assert_eq!(std::fs::read_dir(&cwd).unwrap().count(), 0, "{output}");
    let config = std::fs::read_to_string(o.join(".config")).unwrap();
    assert_eq!(config, std::fs::read_to_string(dir.join("config")).unwrap());
    assert!(
        config.contains("CONFIG_LOCALVERSION=\"-`touch KCROSS_PWNED`'\""),
        "{config}"
    );
    let _ = std::fs::remove_dir_all(&o);
}

/// Every process descended from `root`.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else {
            continue;
        };
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        parent.insert(pid, ppid);
    }
    let mut out = Vec::new();
    for &pid in parent.keys() {
        let mut p = pid;
        while let Some(&pp) = parent.get(&p) {
            if pp == root {
                out.push(pid);
                break;
            }
            if pp <= 1 {
                break;
            }
            p = pp;
        }
    }
    out
}

/// SIGKILL mid-build: kcross cannot clean up, and the cell's result.json still says it is
/// incomplete (written when the cell started), in a shape no `CellResult` reader accepts;
/// the run has no summary and is not `latest-build`, so `kcross boot` has nothing to reuse.
/// The counter-case is the finished cell of the tests above: `"complete": true`.
#[test]
fn sigkill_mid_build_leaves_result_json_incomplete() {
    let d = tempfile::tempdir().unwrap();
    let tag = format!("kcross-repro-kill-{}", std::process::id());
    std::fs::write(
        d.path().join("tag.config"),
        format!("CONFIG_LOCALVERSION=\"-{tag}\"\n"),
    )
    .unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        format!("name = \"kill\"\n[[build]]\nname = \"{tag}\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nfragments = [\"tag.config\"]\ntargets = [\"mm/mprotect.o\"]\n"),
    )
    .unwrap();
    let out = out_dir("repro-kill");
    let mut child = kcross()
        .arg("build")
        .arg(&m)
        .args(["-j2", "--out"])
        .arg(&out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut seen = String::new();
    // Configured; the build's make is under way.
    while err.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.contains("] build") {
            break;
        }
        line.clear();
    }
    std::thread::sleep(Duration::from_millis(1500));
    let kids = descendants(child.id());
    let is_make = |pid: &u32| {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"make"))
    };
    assert!(kids.iter().any(is_make), "make should be running\n{seen}");
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let st = child.wait().unwrap();
    assert_eq!(st.code(), None, "killed by a signal");
    // kcross could not end its makes (each in its own process group): the test does.
    let ours = unsafe { libc::getpgrp() };
    for pid in kids {
        let pg = unsafe { libc::getpgid(pid as i32) };
        if pg > 0 && pg != ours {
            unsafe { libc::kill(-pg, libc::SIGKILL) };
        }
    }
    let dir = cell_dir(&out);
    let path = dir.join("result.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["complete"], false, "{text}");
    assert_eq!(v["verdict"], "incomplete", "{text}");
    assert!(
        serde_json::from_str::<CellResult>(&text).is_err(),
        "an incomplete record must not read as a cell result"
    );
    match record::load(&path).unwrap() {
        CellRecord::Incomplete(s) => assert!(!s.complete && s.cell.starts_with("x86_64-gcc-")),
        CellRecord::Complete(r) => panic!("read as complete: {r:?}"),
    }
    // What was written at the start is there: the reproducer and the compiler line.
    assert!(dir.join("reproduce.sh").is_file());
    let log = std::fs::read_to_string(dir.join("build.log")).unwrap();
    assert_eq!(
        log.lines().next().unwrap(),
        version_of("x86_64-linux-gnu-gcc")
    );
    let run_dir = dir.parent().unwrap().parent().unwrap();
    assert!(!run_dir.join("summary.json").exists());
    assert!(!out.join("latest-build").exists() && !out.join("latest").exists());
    assert!(kcross::build::load_summary(&kcross::cli::common::latest_build(&out)).is_err());
}

/// A PATH with everything but QEMU: symlinks to every program on the real PATH except
/// `qemu-system-*`.
fn path_without_qemu(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for p in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        let Ok(rd) = std::fs::read_dir(&p) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with("qemu-system-") || bin.join(&name).exists() {
                continue;
            }
            let _ = std::os::unix::fs::symlink(e.path(), bin.join(&name));
        }
    }
    bin
}

/// `kcross build --runtime`, `kcross boot` and the nightly of a matrix with `[runtime]`,
/// without QEMU, fail before building (exit 2,
/// naming the program and its Debian package): no run dir, no build dir configured; doctor
/// says the same. With QEMU on PATH doctor is content.
#[test]
fn build_runtime_without_qemu_fails_before_building() {
    let d = tempfile::tempdir().unwrap();
    let tag = format!("kcross-repro-noqemu-{}", std::process::id());
    std::fs::write(
        d.path().join("tag.config"),
        format!("CONFIG_LOCALVERSION=\"-{tag}\"\n"),
    )
    .unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        "name = \"noqemu\"\n[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nfragments = [\"tag.config\"]\n\
         [runtime]\ntests = [\"boot\"]\narches = [\"x86_64\"]\n",
    )
    .unwrap();
    let reg = kcross::toolchain::Registry::load(&[]).unwrap();
    let matrix = kcross::matrix::load(Some(&m), &reg).unwrap();
    let plan = kcross::plan::expand(&matrix, &reg, &Default::default()).unwrap();
    let dir_name = format!("x86_64-gcc-{}", plan.cells[0].config_key());
    let bin = path_without_qemu(d.path());
    for args in [&["build", "--runtime"][..], &["boot"][..], &["nightly"][..]] {
        let out = out_dir("repro-noqemu");
        let (code, _o, e) = run(kcross()
            .args(args)
            .arg(&m)
            .arg("--out")
            .arg(&out)
            .env("PATH", &bin));
        assert_eq!(code, 2, "{args:?}: {e}");
        assert!(
            e.contains("qemu-system-x86_64") && e.contains("qemu-system-x86`"),
            "{args:?}: {e}"
        );
        // Nothing written (a nightly holds its history's lock file there, nothing else).
        let written: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        assert!(written.is_empty(), "{args:?}: {written:?}");
    }
    let configured: Vec<_> = std::fs::read_dir(cache().join("build"))
        .unwrap()
        .flatten()
        .filter(|s| s.path().join(&dir_name).exists())
        .collect();
    assert!(
        configured.is_empty(),
        "no build dir was made: {configured:?}"
    );

    let (code, o, e) = run(kcross().arg("doctor").arg(&m).env("PATH", &bin));
    assert_eq!(code, 2, "{o}{e}");
    assert!(
        o.contains("MISSING  qemu-system-x86_64")
            && o.contains("install --no-install-recommends qemu-system-x86"),
        "{o}"
    );
    assert!(
        o.contains("ok       static libc for x86_64-linux-gnu-gcc"),
        "{o}"
    );
    let (code, o, e) = run(kcross().arg("doctor").arg(&m));
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("ok       qemu-system-x86_64"), "{o}");
}
