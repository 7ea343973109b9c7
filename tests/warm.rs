//! The same verdict on every run: a warm rebuild of a tree reports exactly what its cold
//! build reported (the build dir's diagnostics state, `diag::state`), although make prints
//! only what it recompiled. Real builds of linux-source-6.12 objects (arm64 tinyconfig,
//! `mm/mprotect.o`) in a hard-linked copy of the tree with injected warnings.

mod common;

use common::out_dir;
use serde_json::Value;
use std::collections::BTreeMap;

/// fingerprint -> (file, flag, count) of a cell's warnings.
fn warnings(cell: &Value) -> BTreeMap<String, (String, String, usize)> {
    let mut m: BTreeMap<String, (String, String, usize)> = BTreeMap::new();
    for d in cell["diagnostics"].as_array().unwrap() {
        if d["severity"] != "warning" {
            continue;
        }
        let e = m
            .entry(d["fingerprint"].as_str().unwrap().to_string())
            .or_insert((
                d["file"].as_str().unwrap_or_default().to_string(),
                d["flag"].as_str().unwrap_or_default().to_string(),
                0,
            ));
        e.2 += 1;
    }
    m
}

#[test]
fn a_warm_rebuild_reports_the_cold_build_s_warnings_and_a_fix_removes_them() {
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let c_rel = "mm/mprotect.c";
    let h_rel = "mm/internal.h";
    let c_orig = std::fs::read_to_string(tree.join(c_rel)).unwrap();
    let h_orig = std::fs::read_to_string(tree.join(h_rel)).unwrap();
    // One warning in the unit, one in a header it includes.
    common::replace_file(
        &copy,
        c_rel,
        format!("{c_orig}\nint kcross_warm(void);\nint kcross_warm(void)\n{{\n\tint kcross_unused_local = 0;\n\treturn 0;\n}}\n"),
    );
    let (h_body, h_end) = h_orig.rsplit_once("#endif").unwrap();
    common::replace_file(
        &copy,
        h_rel,
        format!(
            "{h_body}static int kcross_header_unused(void)\n{{\n\treturn 0;\n}}\n#endif{h_end}"
        ),
    );
    let m = common::mprotect_matrix(d.path(), "warm");
    let out = out_dir("warm-truth");
    let build = || {
        let (code, stdout, stderr) = common::build_json(&m, &copy, &out);
        assert_eq!(code, 0, "{stderr}");
        let v: Value = serde_json::from_str(&stdout).unwrap();
        v["cells"][0].clone()
    };

    let cold = build();
    let warm = build();
    let w = warnings(&cold);
    let mut flags: Vec<(&str, &str, usize)> = w
        .values()
        .map(|(f, g, n)| (f.as_str(), g.as_str(), *n))
        .collect();
    flags.sort();
    assert_eq!(
        flags,
        [
            (h_rel, "-Wunused-function", 1),
            (c_rel, "-Wunused-variable", 1)
        ],
        "{cold:#}"
    );
    assert_eq!(w.len(), 2, "{cold:#}");
    // The counter-case the state exists for: the warm make printed nothing...
    assert_eq!(cold["printed"], 2, "{cold:#}");
    assert_eq!(warm["printed"], 0, "{warm:#}");
    assert_eq!(cold["incremental"], false);
    assert_eq!(warm["incremental"], true);
    // ...yet it reports the same warnings, same fingerprints, same counts.
    assert_eq!(warnings(&warm), w, "{warm:#}");
    assert_eq!(warm["warnings"], cold["warnings"]);

    // The header fixed: make recompiles the unit, which prints its own warning again; the
    // header's is gone (the header changed on disk).
    common::replace_file(&copy, h_rel, &h_orig);
    let fixed_h = build();
    let wh = warnings(&fixed_h);
    assert_eq!(
        wh.values().map(|v| v.0.as_str()).collect::<Vec<_>>(),
        [c_rel],
        "{fixed_h:#}"
    );
    // The unit fixed too: nothing left.
    common::replace_file(&copy, c_rel, &c_orig);
    let clean = build();
    assert!(warnings(&clean).is_empty(), "{clean:#}");
    assert_eq!(clean["warnings"], 0);
}
