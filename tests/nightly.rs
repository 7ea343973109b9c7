//! The nightly, end to end with real builds: two recorded runs of the same matrix on a copy of
//! linux-source-6.12, where the second run's tree has an injected error in one cell's object.
//! The report lists exactly that regression first and nothing else as new.

mod common;

use common::{kcross, out_dir, run};

#[test]
fn a_broken_cell_is_the_one_regression_of_the_second_night() {
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let m = d.path().join("nightly.toml");
    std::fs::write(
        &m,
        "name = \"nightly-e2e\"\n\n[defaults]\nconfig = \"tinyconfig\"\n\n[[build]]\nname = \"mprotect\"\narch = \"arm64\"\ntargets = [\"mm/mprotect.o\"]\n\n[[build]]\nname = \"filemap\"\narch = \"arm64\"\ntargets = [\"mm/filemap.o\"]\n",
    )
    .unwrap();
    let out = out_dir("nightly-e2e");
    let nightly = || {
        run(kcross()
            .arg("nightly")
            .arg(&m)
            .arg("--source")
            .arg(&copy)
            .arg("--out")
            .arg(&out))
    };
    let (code, stdout, stderr) = nightly();
    assert_eq!(code, 0, "first night:\n{stdout}\n{stderr}");

    // Break mm/mprotect.c in the copy (replace the file, do not write through the link).
    let rel = "mm/mprotect.c";
    let orig = std::fs::read_to_string(tree.join(rel)).unwrap();
    common::replace_file(
        &copy,
        rel,
        &format!(
            "{orig}\nint kcross_nightly_break(void) {{ return <script>alert(1)</script>; }}\n"
        ),
    );

    let (code, stdout, stderr) = nightly();
    assert_eq!(
        code, 1,
        "second night must report a regression:\n{stdout}\n{stderr}"
    );
    let run_dir = std::fs::canonicalize(out.join("latest")).unwrap();
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    let regs = json["comparison"]["regressions"]
        .as_array()
        .expect("regressions");
    let cells: std::collections::BTreeSet<&str> =
        regs.iter().map(|r| r["cell"].as_str().unwrap()).collect();
    assert_eq!(
        cells.into_iter().collect::<Vec<_>>(),
        ["arm64-gcc-mprotect"],
        "{regs:#?}"
    );
    assert_eq!(regs[0]["kind"], "cell-fail", "{regs:#?}");
    // Nothing else is new: the other cell still passes, no new warnings anywhere else.
    assert!(regs.iter().all(|r| r["cell"] == "arm64-gcc-mprotect"));
    let first_cell_line = md
        .lines()
        .position(|l| l.contains("arm64-gcc-mprotect"))
        .unwrap();
    let filemap_line = md
        .lines()
        .position(|l| l.contains("arm64-gcc-filemap"))
        .unwrap_or(usize::MAX);
    assert!(first_cell_line < filemap_line, "regression first:\n{md}");
    // The compiler's message (with the hostile text) is escaped in the HTML.
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(
        html.contains("mm/mprotect.c"),
        "the error's file is in the report"
    );
    assert!(!html.contains("<script>alert(1)</script>"));
}
