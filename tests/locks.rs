//! One kcross per results directory: a second run on a busy --out is refused, naming the
//! holder's pid, or waits for it with --wait; another --out is not affected.

mod common;

use common::{kcross, out_dir};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn a_second_kcross_on_a_busy_out_is_refused_with_the_holders_pid_or_waits() {
    let d = tempfile::tempdir().unwrap();
    let slow = common::silent_build_matrix(d.path());
    // A matrix that is bad input: whoever gets to load it exits 2 naming the missing file.
    let bad = d.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\n[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nfragments = [\"missing.config\"]\n",
    )
    .unwrap();
    let out = out_dir("locks");
    let mut holder = kcross()
        .arg("build")
        .arg(&slow)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = out.join(".kcross.lock");
    let t0 = Instant::now();
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != holder.id().to_string() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the holder never locked"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Refused, naming the holder, before anything is loaded.
    let (code, _, err) = common::run(kcross().arg("build").arg(&bad).arg("--out").arg(&out));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("pid {}", holder.id())), "{err}");
    assert!(err.contains("--wait"), "{err}");
    assert!(!err.contains("missing.config"), "{err}");

    // The counter-case: another --out goes straight on (to its own error here).
    let other = out_dir("locks-other");
    let (code, _, err) = common::run(kcross().arg("build").arg(&bad).arg("--out").arg(&other));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.config"), "{err}");

    // --wait: still waiting while the holder runs, and through once it is gone.
    let mut waiter = kcross()
        .arg("build")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .arg("--wait")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "--wait waits for the holder"
    );
    unsafe {
        libc::kill(holder.id() as i32, libc::SIGTERM);
    }
    assert_eq!(holder.wait().unwrap().code(), Some(143));
    let o = waiter.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("missing.config"),
        "the waiter ran once the holder was gone: {err}"
    );
}
