//! Values from a matrix are data, never commands: a `$(...)` in a name or description is
//! built as literal text that does nothing, and one in a make variable, which kbuild would
//! hand to the shell, is refused at its file:line:col before anything runs.

mod common;

use common::{kcross, out_dir, repo, run};

fn canary() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("kcross-canary-{}", std::process::id()))
}

/// A matrix of one cheap cell (the default matrix's x86_64 configuration, building only
/// mm/mprotect.o), with `extra` lines in its build entry.
fn matrix(dir: &std::path::Path, name: &str, extra: &str) -> std::path::PathBuf {
    let f = |n: &str| {
        repo()
            .join("matrices/pud-helpers")
            .join(n)
            .display()
            .to_string()
    };
    let text = format!(
        "name = \"{name}\"\ndescription = \"{name}\"\nsource = \"linux-source-6.12\"\n[[build]]\nname = \"{name}\"\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nfragments = [\"{}\", \"{}\", \"{}\", \"{}\"]\ntargets = [\"mm/mprotect.o\"]\n{extra}",
        f("boot.config"),
        f("dax.config"),
        f("x86_64.config"),
        f("runtime-x86_64.config"),
    );
    let p = dir.join("m.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_dollar_paren_in_names_is_literal_text_and_in_make_variables_is_refused() {
    let c = canary();
    let _ = std::fs::remove_file(&c);
    let payload = format!("$(touch {})", c.display());
    let d = tempfile::tempdir().unwrap();

    // Names and descriptions: built, and the payload is only text.
    let m = matrix(d.path(), &payload, "");
    let out = out_dir("hostile-names");
    let (code, stdout, stderr) = run(kcross().arg("build").arg(&m).arg("--out").arg(&out));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!c.exists(), "the payload ran: {stdout}\n{stderr}");
    let runs: Vec<_> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(runs.len(), 1, "one run dir, inside runs/");
    let summary = std::fs::read_to_string(runs[0].path().join("summary.json")).unwrap();
    assert!(
        summary.contains(&payload),
        "the name is kept as text: {summary}"
    );

    // A make variable: refused where it stands, nothing built or written.
    let m = matrix(
        d.path(),
        "literal",
        &format!("make_args = [\"KCFLAGS={payload}\"]\n"),
    );
    let out = out_dir("hostile-make-args");
    let (code, stdout, stderr) = run(kcross().arg("build").arg(&m).arg("--out").arg(&out));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("m.toml:10:"), "{stderr}");
    assert!(stderr.contains("`$` is not allowed"), "{stderr}");
    assert!(!out.join("runs").exists(), "nothing written");
    assert!(!c.exists(), "the payload ran");
}
