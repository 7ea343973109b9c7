//! `kcross build --resume RUN_DIR`: SIGKILL kcross in the middle of a real two-cell run (one
//! cell finished, the other's compile under way), then resume it: the finished cell is kept
//! as it was, only the other is built, and the final summary equals an uninterrupted run's
//! (cells, verdicts, diagnostics; timings aside).

mod common;

use common::{kcross, out_dir, procs};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Two objects-only cells in two warm build dirs of the shared cache: `plain` (the
/// x86_64 tinyconfig of tests/build.rs) and `hang` (its compiler wrapper sleeps
/// `$KCROSS_TEST_HANG_S` s before compiling mm/mprotect.c).
fn matrix(dir: &Path) -> PathBuf {
    let m = dir.join("m.toml");
    std::fs::write(
        &m,
        format!(
            "name = \"resume\"\n[defaults]\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n\
             [[build]]\nname = \"plain\"\narch = \"x86_64\"\n\
             [[build]]\nname = \"hang\"\narch = \"x86_64\"\nmake_args = [\"CC={}\"]\n",
            common::hang_cc("resume").display()
        ),
    )
    .unwrap();
    m
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// What must be equal between two runs: per cell its id, verdict, failed stage, counts,
/// configuration and diagnostics (fingerprint, code, place, message).
fn essence(summary: &Value) -> Vec<Value> {
    let mut cells: Vec<Value> = summary["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let diags: Vec<Value> = c["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    serde_json::json!([
                        d["fingerprint"],
                        d["code"],
                        d["file"],
                        d["line"],
                        d["message"]
                    ])
                })
                .collect();
            serde_json::json!({
                "cell": c["cell"], "verdict": c["verdict"], "failed_stage": c["failed_stage"],
                "errors": c["errors"], "warnings": c["warnings"], "config_key": c["config_key"],
                "targets": c["targets"], "build_dir": c["build_dir"], "diagnostics": diags,
            })
        })
        .collect();
    cells.sort_by_key(|c| c["cell"].as_str().unwrap().to_string());
    cells
}

fn build(m: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let (code, _, err) = common::run(
        kcross()
            .arg("build")
            .arg(m)
            .arg("--out")
            .arg(out)
            .args(extra)
            .env("KCROSS_TEST_HANG_S", "0"),
    );
    (code, err)
}

#[test]
fn a_killed_run_resumed_equals_an_uninterrupted_one() {
    let d = tempfile::tempdir().unwrap();
    let m = matrix(d.path());
    // The uninterrupted run (it also warms both build dirs).
    let whole = out_dir("resume-whole");
    let (code, err) = build(&m, &whole, &[]);
    assert_eq!(code, 0, "{err}");
    let want = read_json(&whole.join("latest-build/summary.json"));
    let hang_obj =
        PathBuf::from(want["cells"][1]["build_dir"].as_str().unwrap()).join("mm/mprotect.o");
    assert!(want["cells"][1]["cell"].as_str().unwrap().contains("hang"));

    // The run that is killed: `plain` finishes, `hang`'s compile of mm/mprotect.c sleeps.
    std::fs::remove_file(&hang_obj).unwrap();
    let out = out_dir("resume-killed");
    let mark = format!("resume-{}", std::process::id());
    let mut child = kcross()
        .arg("build")
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .env("KCROSS_TEST_HANG_S", "600")
        .env("KCROSS_TEST_MARK", &mark)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let run_dir = loop {
        let runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        let plain_done = runs.first().is_some_and(|r| {
            std::fs::read_to_string(r.join("cells/x86_64-gcc-plain/result.json"))
                .is_ok_and(|t| t.contains("\"complete\": true"))
        });
        if plain_done
            && procs::marked(&mark)
                .iter()
                .any(|(_, c)| c.starts_with("sleep"))
        {
            break runs[0].clone();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "never got there: {runs:?} {:#?}",
            procs::marked(&mark)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let left = procs::marked(&mark);
    for (pid, _) in &left {
        unsafe {
            libc::kill(*pid as i32, libc::SIGKILL);
        }
    }
    assert!(left.is_empty(), "processes left: {left:#?}");
    let hang_rec = run_dir.join("cells/x86_64-gcc-hang/result.json");
    assert_eq!(read_json(&hang_rec)["complete"], false);
    assert!(
        !run_dir.join("summary.json").exists(),
        "SIGKILL writes no summary"
    );
    let plain_rec = run_dir.join("cells/x86_64-gcc-plain/result.json");
    let plain_before = std::fs::read_to_string(&plain_rec).unwrap();

    // Resume: only `hang` is built; `plain`'s record is kept byte for byte.
    let (code, err) = build(&m, &out, &["--resume", run_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&plain_rec).unwrap(), plain_before);
    assert_eq!(read_json(&hang_rec)["complete"], true);
    assert!(hang_obj.is_file());
    let got = read_json(&run_dir.join("summary.json"));
    assert_eq!(got["cells"].as_array().unwrap().len(), 2);
    assert_eq!(essence(&got), essence(&want));
    assert_eq!(
        std::fs::canonicalize(out.join("latest-build")).unwrap(),
        std::fs::canonicalize(&run_dir).unwrap(),
        "the resumed run is published"
    );

    // Bad input: a run dir that is not one of --out's is refused (exit 2), naming both.
    let (code, err) = build(&m, &whole, &["--resume", run_dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a run of --out"), "{err}");
}
