//! Ctrl-C / SIGTERM: every make kcross started is ended with its whole process group, kcross
//! exits 130 / 143, the cell in flight is marked interrupted, the run's summary says it is
//! incomplete, no temp file is left, and the run is not published as `latest` or
//! `latest-build`.

mod common;

use common::procs::{alive, marked};
use common::{kcross, out_dir};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn sigterm_ends_every_make_and_exits_143() {
    interrupt_during_a_build(libc::SIGTERM, "SIGTERM", 143);
}

/// The counter-case of the exit code: Ctrl-C is 130, not 143.
#[test]
fn sigint_ends_every_make_and_exits_130() {
    interrupt_during_a_build(libc::SIGINT, "SIGINT", 130);
}

/// Every file under `dir`, recursively.
fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn interrupt_during_a_build(sig: i32, name: &str, want: i32) {
    let d = tempfile::tempdir().unwrap();
    // A configuration of its own (LOCALVERSION), so this test gets a fresh build dir and
    // make is really running when the signal comes.
    let tag = format!("kcross-{}-{}", name.to_lowercase(), std::process::id());
    std::fs::write(
        d.path().join("tag.config"),
        format!("CONFIG_LOCALVERSION=\"-{tag}\"\n"),
    )
    .unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        format!("name = \"sig\"\n[[build]]\nname = \"{tag}\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\nfragments = [\"tag.config\"]\n"),
    )
    .unwrap();
    let out = out_dir(&name.to_lowercase());
    let mut child = kcross()
        .arg("build")
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut seen = String::new();
    // Wait until the cell's make is under way.
    while err.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.contains("] configure") || line.contains("] build") {
            break;
        }
        line.clear();
    }
    std::thread::sleep(Duration::from_millis(1500));
    let kids = common::procs::descendants(child.id());
    assert!(
        kids.iter().any(|(_, c)| c.starts_with("make")),
        "make should be running: {kids:#?}\n{seen}"
    );
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "kcross did not exit after {name}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    assert_eq!(status.code(), Some(want), "{seen}{rest}");
    // Give the kernel a moment to reap, then nothing of ours may be left.
    std::thread::sleep(Duration::from_millis(500));
    let left: Vec<_> = kids.iter().filter(|(pid, _)| alive(*pid)).collect();
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    assert!(
        !out.join("latest").exists() && !out.join("latest-build").exists(),
        "an interrupted run is not published"
    );
    // The run's summary is written, and says it is not a result; the cell says why.
    let runs: Vec<_> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("summary.json").exists())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runs[0].join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["complete"], false, "{summary:#}");
    assert_eq!(summary["interrupted_by"], name, "{summary:#}");
    let cell = summary["interrupted_cells"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(cell.contains(&tag), "{summary:#}");
    let result: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(runs[0].join("cells").join(&cell).join("result.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&result["complete"], &result["verdict"]),
        (&false.into(), &"interrupted".into()),
        "{result:#}"
    );
    assert!(
        result["reason"].as_str().unwrap().contains(name),
        "{result:#}"
    );
    // `report --from` refuses it: an interrupted run is never taken for a result.
    let (code, _, err) = common::run(
        kcross()
            .args(["report", "--format", "kcidb", "--from"])
            .arg(&runs[0]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("interrupted run"), "{err}");
    // No temp file of kcross's atomic writes is left behind.
    let tmp: Vec<_> = all_files(&out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

/// Start a build whose compiler is a wrapper that sleeps for two minutes without a word
/// before it would compile (kbuild calls $(CC) already while configuring), wait until that
/// silent child runs, then SIGKILL kcross. Returns the run's processes 3 s later.
fn sigkill_during_a_silent_child(name: &str, watchdog: bool) -> Vec<(u32, String)> {
    let d = tempfile::tempdir().unwrap();
    let m = common::silent_build_matrix(d.path());
    let mark = format!("{name}-{}", std::process::id());
    let out = out_dir(name);
    let mut cmd = kcross();
    cmd.arg("build")
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .env("KCROSS_TEST_MARK", &mark)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !watchdog {
        cmd.env("KCROSS_NO_WATCHDOG", "1");
    }
    let mut child = cmd.spawn().unwrap();
    common::procs::wait_for_marked(&mark, "sleep");
    let before = marked(&mark);
    assert!(
        before.iter().any(|(_, c)| c.starts_with("make")),
        "make runs the wrapper: {before:#?}"
    );
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let left = marked(&mark);
    // Whatever this test left, it ends itself.
    for (pid, _) in &left {
        unsafe {
            libc::kill(*pid as i32, libc::SIGKILL);
        }
    }
    left
}

#[test]
fn sigkill_of_kcross_leaves_no_process_of_its_run() {
    let left = sigkill_during_a_silent_child("sigkill", true);
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    // The counter-case: without the watchdog the silent wrapper and the make waiting for it
    // outlive kcross (no output, so no broken pipe ends them).
    let left = sigkill_during_a_silent_child("sigkill-no-watchdog", false);
    assert!(
        left.iter().any(|(_, c)| c.starts_with("sleep")),
        "without the watchdog the silent child survives: {left:#?}"
    );
}
