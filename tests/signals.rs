//! Ctrl-C / SIGTERM: every make kcross started is ended with its whole process group, kcross
//! exits 130, and the interrupted run is not published as `latest`.

mod common;

use common::{kcross, out_dir};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if !e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(cmd);
            }
        }
    }
    found
}

#[test]
fn sigterm_ends_every_make_and_exits_130() {
    let d = tempfile::tempdir().unwrap();
    // A configuration of its own (LOCALVERSION), so this test gets a fresh build dir and
    // make is really running when the signal comes.
    let tag = format!("kcross-sigterm-{}", std::process::id());
    std::fs::write(d.path().join("tag.config"), format!("CONFIG_LOCALVERSION=\"-{tag}\"\n")).unwrap();
    let m = d.path().join("m.toml");
    std::fs::write(
        &m,
        format!("name = \"sig\"\n[[build]]\nname = \"{tag}\"\narch = \"arm64\"\nconfig = \"tinyconfig\"\nfragments = [\"tag.config\"]\n"),
    )
    .unwrap();
    let out = out_dir("sigterm");
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
    assert!(!processes_mentioning(&tag).is_empty(), "make should be running:\n{seen}");
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "kcross did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    // Give the kernel a moment to reap, then nothing of ours may be left.
    std::thread::sleep(Duration::from_millis(500));
    let left = processes_mentioning(&tag);
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    assert!(!out.join("latest").exists(), "an interrupted run is not published");
}
