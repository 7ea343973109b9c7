//! Ctrl-C / SIGTERM: every make kcross started is ended with its whole process group, kcross
//! exits 130, and the interrupted run is not published as `latest` or `latest-build`.

mod common;

use common::{kcross, out_dir};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Every process descended from `root` (by walking /proc's parent links), with its command.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'.
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
    for (&pid, _) in parent.iter() {
        let mut p = pid;
        while let Some(&pp) = parent.get(&p) {
            if pp == root {
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                out.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
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

fn alive(pid: u32) -> bool {
    // A zombie is not left running; only count live processes.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit_once(')')
                .is_some_and(|x| x.1.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn sigterm_ends_every_make_and_exits_130() {
    let d = tempfile::tempdir().unwrap();
    // A configuration of its own (LOCALVERSION), so this test gets a fresh build dir and
    // make is really running when the signal comes.
    let tag = format!("kcross-sigterm-{}", std::process::id());
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
    let kids = descendants(child.id());
    assert!(
        kids.iter().any(|(_, c)| c.starts_with("make")),
        "make should be running: {kids:#?}\n{seen}"
    );
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "kcross did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    // Give the kernel a moment to reap, then nothing of ours may be left.
    std::thread::sleep(Duration::from_millis(500));
    let left: Vec<_> = kids.iter().filter(|(pid, _)| alive(*pid)).collect();
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    assert!(
        !out.join("latest").exists() && !out.join("latest-build").exists(),
        "an interrupted run is not published"
    );
}
