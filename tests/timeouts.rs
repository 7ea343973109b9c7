//! Timeouts as verdicts. A cell whose make runs past its limit has its whole process group
//! ended and gets the verdict `timeout` (outcome fail) with the limit and the elapsed time,
//! in result.json, summary.json, JUnit and the terminal; the same cell with a sufficient
//! limit passes. A guest that hangs is ended at the boot timeout and reported as one.

mod common;

use common::{kcross, out_dir, procs};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn matrix(dir: &Path, timeout: &str) -> PathBuf {
    let m = dir.join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"timeouts\"\n[defaults]\ntimeout = \"{timeout}\"\n[[build]]\nname = \"hang\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\nmake_args = [\"CC={}\"]\n",
            common::hang_cc("timeouts").display()
        ),
    )
    .unwrap();
    m
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    summary: Value,
    /// Every process of the run seen while it ran.
    seen: Vec<(u32, String)>,
}

fn build(m: &Path, out: &Path, hang_s: u32, extra: &[&str], mark: &str) -> Run {
    let mut child = kcross()
        .arg("build")
        .arg(m)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("KCROSS_TEST_HANG_S", hang_s.to_string())
        .env("KCROSS_TEST_MARK", mark)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut so, &mut s).unwrap();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut se, &mut s).unwrap();
        s
    });
    let mut seen = Vec::new();
    let status = loop {
        for p in procs::marked(mark) {
            if !seen.iter().any(|(pid, _)| *pid == p.0) {
                seen.push(p);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = t_out.join().unwrap();
    let stderr = t_err.join().unwrap();
    let summary = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
        summary,
        seen,
    }
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn a_hung_make_is_ended_at_the_cell_timeout_and_a_sufficient_limit_passes() {
    let d = tempfile::tempdir().unwrap();
    let m = matrix(d.path(), "15s");
    let out = out_dir("timeouts-cell");
    let mark = format!("timeouts-{}", std::process::id());
    // Warm the cell's build dir (and learn where it is), then make mm/mprotect.o need a
    // compile again.
    let t0 = Instant::now();
    let prime = build(
        &m,
        &out,
        0,
        &["--json", "--timeout", "30m"],
        &format!("{mark}-0"),
    );
    assert_eq!(prime.code, 0, "{}\n{}", prime.stdout, prime.stderr);
    eprintln!("prime: {:.1} s", t0.elapsed().as_secs_f64());
    let bd = PathBuf::from(prime.summary["cells"][0]["build_dir"].as_str().unwrap());
    let obj = bd.join("mm/mprotect.o");
    std::fs::remove_file(&obj).unwrap();

    // The compile of mm/mprotect.c hangs (10 min, silent): the matrix's 15 s limit ends it.
    let t0 = Instant::now();
    let out1 = out_dir("timeouts-cell-hung");
    let r = build(&m, &out1, 600, &[], &format!("{mark}-1"));
    eprintln!("timeout case: {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(
        r.code, 1,
        "a timeout fails the run\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(
        r.seen.iter().any(|(_, c)| c.starts_with("sleep")),
        "the hung compile ran: {:#?}",
        r.seen
    );
    std::thread::sleep(Duration::from_millis(500));
    let left: Vec<_> = r.seen.iter().filter(|(p, _)| procs::alive(*p)).collect();
    assert!(left.is_empty(), "processes of the run left: {left:#?}");
    // The terminal's table says it, with the limit and the time.
    assert!(
        r.stdout.contains("TIMEOUT") && r.stdout.contains("15 s timeout"),
        "{}",
        r.stdout
    );
    let runs: Vec<PathBuf> = std::fs::read_dir(out1.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run_dir = &runs[0];
    let summary = read_json(&run_dir.join("summary.json"));
    let cell = &summary["cells"][0];
    assert_eq!(cell["verdict"], "timeout", "{cell:#}");
    assert_eq!(cell["failed_stage"], "build", "{cell:#}");
    assert_eq!(cell["timeout"]["limit_s"], 15, "{cell:#}");
    let elapsed = cell["timeout"]["elapsed_s"].as_f64().unwrap();
    assert!(
        elapsed >= 15.0,
        "ended only once the limit passed: {cell:#}"
    );
    let reason = cell["reason"].as_str().unwrap();
    assert!(reason.contains("15 s timeout"), "{reason}");
    assert!(!obj.exists(), "the hung compile produced nothing");
    // The same verdict in every record of the run.
    let dir = PathBuf::from(cell["dir"].as_str().unwrap());
    let result = read_json(&dir.join("result.json"));
    assert_eq!(
        (&result["complete"], &result["verdict"]),
        (&Value::Bool(true), &Value::from("timeout")),
        "{result:#}"
    );
    let junit = std::fs::read_to_string(run_dir.join("junit.xml")).unwrap();
    assert!(
        junit.contains("type=\"timeout\"") && junit.contains("15 s timeout"),
        "{junit}"
    );

    // History keeps the verdict and the reason with its limit, counted as a failure.
    let h_path = out1.join("history.sqlite");
    let run = kcross::build::load_summary(&run_dir.join("summary.json")).unwrap();
    let mut h = kcross::history::History::open(&h_path).unwrap();
    let id = h
        .record(&kcross::history::RecordedRun::new(run, vec![], vec![]))
        .unwrap();
    let back = h.load(id).unwrap();
    let c = &back.summary.cells[0];
    assert_eq!(c.verdict, kcross::build::Verdict::Timeout);
    assert!(
        c.reason.as_deref().unwrap().contains("15 s timeout"),
        "{c:?}"
    );
    assert_eq!(back.failed_cells(), 1);

    // The counter-case: the same cell, a compile that takes 3 s, and a sufficient limit
    // from --timeout (overriding the matrix's): it passes, and the object is there.
    let r = build(
        &m,
        &out,
        3,
        &["--json", "--timeout", "30m"],
        &format!("{mark}-2"),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let cell = &r.summary["cells"][0];
    assert_eq!(cell["verdict"], "pass", "{cell:#}");
    assert!(cell.get("timeout").is_none(), "{cell:#}");
    assert!(
        r.seen.iter().any(|(_, c)| c.starts_with("sleep")),
        "the slow compile ran: {:#?}",
        r.seen
    );
    assert!(obj.is_file());
}

#[test]
fn a_bad_timeout_names_its_place() {
    let d = tempfile::tempdir().unwrap();
    let m = matrix(d.path(), "5 fortnights");
    let (code, _, err) = common::run(kcross().arg("plan").arg(&m));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("m.toml:3:") && err.contains("is not a duration"),
        "{err}"
    );
    let m = matrix(d.path(), "90s");
    let (code, _, err) = common::run(kcross().arg("plan").arg(&m));
    assert_eq!(code, 0, "{err}");
}

/// A real x86_64 guest whose test never ends: QEMU is killed at the boot timeout and the
/// verdict is `timeout` (not a boot failure: the guest reached init and said so), with the
/// limit in the reason and JUnit; no QEMU is left. The counter-case: the same kernel and
/// guest, a test that ends, passes within the same limit.
#[test]
fn a_guest_that_hangs_is_a_timeout() {
    use common::boot::*;
    let _q = one_guest_at_a_time();
    let out = shared_out("timeouts-guest");
    let args = |t: &'static str| ["--arch", "x86_64", "--test", t, "--timeout", "20"];
    let (code, v, err) = boot(&out, &args("boot"));
    let r = only_result(&v);
    assert_eq!(r["verdict"], "pass", "{r:#}\n{err}");
    assert_eq!((code, &r["timed_out"]), (0, &Value::Bool(false)));

    let (code, v, err) = boot(&out, &args("selftest-hang"));
    let r = only_result(&v);
    assert_eq!(r["verdict"], "timeout", "{r:#}\n{err}");
    assert_eq!(code, 1, "a timeout fails the run");
    assert_eq!(r["timed_out"], true);
    assert!(r["total_s"].as_f64().unwrap() >= 20.0, "{r:#}");
    assert!(
        diagnostics(r).iter().any(|d| d.contains("never ends")),
        "the guest reached the test: {r:#}"
    );
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.contains("within the 20 s timeout (QEMU killed)"),
        "{reason}"
    );
    assert_no_qemu_left(r);
    let run_dir = PathBuf::from(v["out_dir"].as_str().unwrap());
    let junit = std::fs::read_to_string(run_dir.join("runtime-junit.xml")).unwrap();
    assert!(junit.contains("type=\"timeout\""), "{junit}");
}
