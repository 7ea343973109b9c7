//! `kcross diag LOG`: any kbuild log parsed as kcross parses its own, from a file or a pipe,
//! on the real logs of tests/fixtures/logs/ (see its README for the runs that made them).

mod common;
use common::{kcross, repo, run};
use std::io::Write;
use std::process::Stdio;

fn log(name: &str) -> std::path::PathBuf {
    repo().join("tests/fixtures/logs").join(name)
}

const ROOTS: [&str; 4] = [
    "--source-root",
    "/tmp/kcfix/linux-src",
    "--build-root",
    "/tmp/kcfix/build",
];

#[test]
fn a_log_with_an_error_exits_1_and_a_log_with_warnings_only_exits_0() {
    let (code, out, err) = run(kcross()
        .arg("diag")
        .arg(log("gcc12-x86_64.log"))
        .args(ROOTS));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.lines().any(|l| l
            == "mm/foo.c:18:21: error: ‘undeclared_thing’ undeclared (first use in this function)"),
        "{out}"
    );
    // The generated header is named in the build dir, relative to it.
    assert!(
        out.contains("$(objtree)/include/generated/gen.h:3:41: warning:"),
        "{out}"
    );
    assert!(err.contains("11 diagnostic(s), 4 error(s)"), "{err}");

    // The counter-case: kernel-doc and modpost warnings, no error.
    let (code, out, err) = run(kcross()
        .arg("diag")
        .arg(log("kernel612-x86_64-w1-kerneldoc.log")));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("warning: Function parameter or struct member 'factor'"),
        "{out}"
    );
    assert!(err.contains("0 error(s)"), "{err}");
}

#[test]
fn standard_input_a_long_repeated_log_and_a_missing_file() {
    let (code, file_json, err) = run(kcross()
        .arg("diag")
        .arg(log("gcc12-x86_64.log"))
        .args(ROOTS)
        .arg("--json"));
    assert_eq!(code, 1, "{err}");
    let once: Vec<serde_json::Value> = serde_json::from_str(&file_json).unwrap();
    assert_eq!(once.len(), 11);

    // 4,000 copies (about 11 MB) through a pipe: the repeats fold into the one copy's findings.
    let text = std::fs::read(log("gcc12-x86_64.log")).unwrap().repeat(4000);
    assert!(text.len() > 10_000_000);
    let mut child = kcross()
        .args(["diag", "-", "--json"])
        .args(ROOTS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&text).unwrap());
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let piped: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(piped, once);

    let (code, out, err) = run(kcross().args(["diag", "/nonexistent/build.log"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("reading /nonexistent/build.log"), "{err}");
    assert!(out.is_empty());
}
