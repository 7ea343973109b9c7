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
    common::append_to_copy(
        &tree,
        &copy,
        rel,
        "\nint kcross_nightly_break(void) { return <script>alert(1)</script>; }\n",
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

/// Two nightlies of an unchanged tree: the second builds warm and prints nothing, yet it has
/// the first night's warnings (the build dir's diagnostics state), so nothing is "fixed",
/// nothing "new", and a warm build is not compared with a cold one as "slower".
#[test]
fn two_nights_with_nothing_changed_report_no_regression_and_no_fix() {
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let rel = "mm/mprotect.c";
    common::append_to_copy(
        &tree,
        &copy,
        rel,
        "\nint kcross_night(void);\nint kcross_night(void)\n{\n\tint kcross_unused_local = 0;\n\treturn 0;\n}\n",
    );
    let m = d.path().join("nightly.toml");
    std::fs::write(
        &m,
        "name = \"nightly-same\"\n\n[defaults]\nconfig = \"tinyconfig\"\n\n[[build]]\nname = \"mprotect\"\narch = \"arm64\"\ntargets = [\"mm/mprotect.o\"]\n",
    )
    .unwrap();
    let out = out_dir("nightly-same");
    let nightly = || {
        let (code, stdout, stderr) = run(kcross()
            .arg("nightly")
            .arg(&m)
            .arg("--source")
            .arg(&copy)
            .arg("--out")
            .arg(&out));
        let run_dir = std::fs::canonicalize(out.join("latest")).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
                .unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap())
                .unwrap();
        (code, json, summary, format!("{stdout}\n{stderr}"))
    };
    let (code, _, first, text) = nightly();
    assert_eq!(code, 0, "first night:\n{text}");
    let (code, report, second, text) = nightly();
    assert_eq!(code, 0, "second night:\n{text}");
    let c1 = &first["cells"][0];
    let c2 = &second["cells"][0];
    // What separates the nights: the second make printed nothing and was incremental...
    assert_eq!(
        (c1["printed"].as_u64(), c2["printed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (&c1["incremental"], &c2["incremental"]),
        (&false.into(), &true.into())
    );
    // ...and still the same warning, so no fix, no regression.
    assert_eq!(c1["warnings"], 1);
    assert_eq!(c2["warnings"], 1);
    assert_eq!(
        c1["diagnostics"][0]["fingerprint"],
        c2["diagnostics"][0]["fingerprint"]
    );
    let cmp = &report["comparison"];
    // compared with the first night's cell, not with nothing
    assert_eq!(
        cmp["added_cells"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    assert_eq!(
        cmp["regressions"].as_array().map(Vec::len),
        Some(0),
        "{cmp:#}"
    );
    assert_eq!(cmp["fixes"].as_array().map(Vec::len), Some(0), "{cmp:#}");
}
