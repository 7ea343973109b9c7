//! TuxSuite plans: a 4-job plan plans the expected cells, its x86_64 job (configured exactly
//! like the default matrix's x86_64 cell, so they share its build dir) builds and boots for
//! real, and bad plans are refused with exit 2 naming file:line:col.

mod common;

use common::{kcross, out_dir, repo, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/tuxsuite").join(name)
}

fn plan_json(plan: &Path) -> (Value, String) {
    let (code, out, err) = run(kcross().arg("plan").arg("--json").arg(plan));
    assert_eq!(code, 0, "{out}\n{err}");
    (serde_json::from_str(&out).expect("plan JSON"), err)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn fragment_names(cell: &Value) -> Vec<String> {
    cell["config"]["fragments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            // a local file shows its canonical path; an in-tree one its tree path; a
            // CONFIG_ line the plan's file:line:col
            p.strip_prefix(&format!("{}/", repo().display()))
                .unwrap_or(p)
                .to_string()
        })
        .collect()
}

#[test]
fn a_plan_of_four_jobs_plans_the_expected_cells() {
    let plan = fixture("plan.yaml");
    let (v, err) = plan_json(&plan);
    let cells = v["cells"].as_array().unwrap();
    let ids: Vec<&str> = cells.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "x86_64-gcc-x86_64-pud",
            "powerpc64le-gcc-ppc64le-pud",
            "arm64-clang-arm64-clang-debug",
            "riscv64-clang-riscv-tiny-llvm"
        ]
    );
    let arch = |i: usize| cells[i]["arch"].as_str().unwrap();
    let family = |i: usize| cells[i]["toolchain"]["family"].as_str().unwrap();
    // TuxMake's `powerpc` is ppc64le, `riscv` riscv64; gcc-12 is gcc, clang-14/llvm-14 clang
    assert_eq!(
        (0..4).map(|i| (arch(i), family(i))).collect::<Vec<_>>(),
        [
            ("x86_64", "gcc"),
            ("powerpc64le", "gcc"),
            ("arm64", "clang"),
            ("riscv64", "clang")
        ]
    );
    assert_eq!(
        fragment_names(&cells[0]),
        [
            "matrices/pud-helpers/boot.config",
            "matrices/pud-helpers/dax.config",
            "matrices/pud-helpers/x86_64.config",
            "matrices/pud-helpers/runtime-x86_64.config"
        ]
    );
    assert_eq!(cells[0]["config"]["base"]["value"], "tinyconfig");
    // an in-tree fragment from the kernel tree, and a CONFIG_ line located in the plan
    let arm = fragment_names(&cells[2]);
    assert_eq!(arm[0], "kernel/configs/debug.config");
    assert!(
        arm[1].ends_with("tests/fixtures/tuxsuite/plan.yaml:33:9"),
        "{arm:?}"
    );
    assert_eq!(
        cells[2]["config"]["fragments"][1]["requests"][0]["symbol"],
        "DEBUG_INFO_NONE"
    );
    assert!(cells[2]["config"]["fragments"][0]["text"]
        .as_str()
        .unwrap()
        .contains("CONFIG_DYNAMIC_DEBUG=y"));
    assert_eq!(cells[2]["config"]["base"]["value"], "defconfig");
    // a bare `64-bit.config` is found in arch/riscv/configs/; `# ... is not set` is a request
    let rv = fragment_names(&cells[3]);
    assert_eq!(rv[0], "arch/riscv/configs/64-bit.config");
    let not_set = &cells[3]["config"]["fragments"][2]["requests"][0];
    assert_eq!(
        (&not_set["symbol"], &not_set["value"]),
        (&"MODULES".into(), &"n".into())
    );
    // targets: TuxMake names to make targets (config is what configure does anyway)
    assert_eq!(strs(&cells[0]["targets"]), ["bzImage"]);
    assert_eq!(strs(&cells[1]["targets"]), ["vmlinux"]);
    assert_eq!(strs(&cells[2]["targets"]), ["Image", "modules", "dtbs"]);
    assert_eq!(strs(&cells[3]["targets"]), ["Image"]);
    // make variables: LLVM=1 is the clang family's own LLVM=-14; environment as make vars
    assert_eq!(strs(&cells[2]["make_args"]), ["LLVM_IAS=1"]);
    assert_eq!(strs(&cells[3]["make_args"]), ["KBUILD_BUILD_USER=tux"]);
    assert!(strs(&cells[2]["toolchain"]["make_vars"]).contains(&"LLVM=-14".to_string()));
    // the two tests: boot on x86_64 and powerpc64le; ltp-smoke listed, not run (a `kunit`
    // test maps to the KUnit kind: the unit tests of matrix::tuxsuite)
    assert_eq!(strs(&v["runtime"]["tests"]), ["boot"]);
    assert_eq!(strs(&v["runtime"]["arches"]), ["x86_64", "powerpc64le"]);
    assert!(
        err.contains("plan.yaml:25:21: test `ltp-smoke` is unsupported and not run"),
        "{err}"
    );
    assert_eq!(err.matches("is unsupported").count(), 1, "{err}");
}

/// The plan's x86_64 and powerpc64le cells configure exactly like the default matrix's (the
/// config key hashes the fragments' text, not their paths), so they build in its build dirs;
/// the other two differ from the default cells of their arch.
#[test]
fn the_plans_pud_cells_share_the_default_matrixs_build_dirs() {
    use kcross::plan::{expand, Filters};
    let reg = kcross::toolchain::Registry::load(&[]).unwrap();
    let tree = common::tree_612();
    let m =
        kcross::matrix::load_with_tree(Some(&fixture("plan.yaml")), &reg, &|_| Ok(tree.clone()))
            .unwrap();
    let plan = expand(&m, &reg, &Filters::default()).unwrap();
    let default = kcross::matrix::load(None, &reg).unwrap();
    let default = expand(&default, &reg, &Filters::default()).unwrap();
    let key = |cells: &[kcross::plan::Cell], arch: &str| {
        cells.iter().find(|c| c.arch == arch).unwrap().config_key()
    };
    for arch in ["x86_64", "powerpc64le"] {
        assert_eq!(key(&plan.cells, arch), key(&default.cells, arch), "{arch}");
    }
    for arch in ["arm64", "riscv64"] {
        assert_ne!(key(&plan.cells, arch), key(&default.cells, arch), "{arch}");
    }
}

#[test]
fn a_job_of_the_plan_builds_and_boots_for_real() {
    // Its powerpc64le job is configured like the default matrix's powerpc64le cell, whose
    // image is built in tests/full.rs only (CI's budget): x86_64 here.
    let _guest = common::boot::one_guest_at_a_time();
    let out = out_dir("tuxsuite-boot");
    let plan = fixture("plan.yaml");
    let (code, stdout, err) = run(kcross()
        .args([
            "build",
            "--runtime",
            "--json",
            "-j2",
            "--arch",
            "x86_64",
            "--out",
        ])
        .arg(&out)
        .arg(&plan));
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}); exit {code}\n{stdout}\n{err}"));
    assert_eq!(code, 0, "{v:#}\n{err}");
    let built: Vec<(&str, &str)> = v["build"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cell"].as_str().unwrap(), c["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(built, [("x86_64-gcc-x86_64-pud", "pass")]);
    let boots: Vec<(&str, &str, &str)> = v["runtime"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["cell"].as_str().unwrap(),
                r["test"].as_str().unwrap(),
                r["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(boots, [("x86_64-gcc-x86_64-pud", "boot", "pass")], "{err}");
    // The counter-case on the same images: a guest test that fails is a failed verdict.
    let (code, v, err) = common::boot::boot(
        &out,
        &[
            plan.to_str().unwrap(),
            "--arch",
            "x86_64",
            "--test",
            "selftest-fail",
        ],
    );
    assert!(err.contains("booting the build in"), "{err}");
    let r = common::boot::only_result(&v);
    assert_eq!(
        (code, r["verdict"].as_str()),
        (1, Some("fail")),
        "{r:#}\n{err}"
    );
}

fn refused(plan: &Path) -> String {
    let (code, out, err) = run(kcross().arg("plan").arg(plan));
    assert_eq!(code, 2, "{out}\n{err}");
    err
}

fn write_plan(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_url_an_unknown_toolchain_or_device_is_refused_naming_the_line() {
    let err = refused(&fixture("bad/url.yaml"));
    assert!(
        err.contains(
            "bad/url.yaml:9:9: `https://example.org/extra.config` is a URL: kcross works offline"
        ),
        "{err}"
    );
    let err = refused(&fixture("bad/toolchain.yaml"));
    assert!(
        err.contains("unknown toolchain `korg-clang-22` (in ")
            && err.contains("bad/toolchain.yaml:6:16, for arm64: not installed)")
            && err.contains("known toolchains: clang, llvm, clang-14, llvm-14, gcc, gnu, gcc-12"),
        "{err}"
    );
    let err = refused(&fixture("bad/device.yaml"));
    assert!(
        err.contains("bad/device.yaml:9:13: unknown device `fvp-aemva`")
            && err.contains("qemu-x86_64")
            && err.contains("qemu-ppc64le"),
        "{err}"
    );

    // The counter-cases: the same plans with a local path, an installed version and a QEMU
    // device load.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("extra.config"), "CONFIG_PRINTK=y\n").unwrap();
    let fixed = [
        (
            "url.yaml",
            "https://example.org/extra.config",
            "extra.config",
        ),
        ("toolchain.yaml", "korg-clang-22", "clang-14"),
        ("device.yaml", "fvp-aemva", "qemu-x86_64"),
    ];
    for (name, bad, good) in fixed {
        let text = std::fs::read_to_string(fixture(&format!("bad/{name}"))).unwrap();
        let p = write_plan(d.path(), name, &text.replace(bad, good));
        let (code, out, err) = run(kcross().arg("plan").arg("--json").arg(&p));
        assert_eq!(code, 0, "{name}: {out}\n{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["cells"].as_array().unwrap().len(), 1, "{name}");
    }
}

#[test]
fn a_patch_series_is_kept_for_kcross_series_and_build_refuses_it() {
    let d = tempfile::tempdir().unwrap();
    let series = repo().join("tests/fixtures/series");
    let plan = write_plan(
        d.path(),
        "series.yaml",
        &format!(
            "version: 1\nname: s\njobs:\n- build:\n    target_arch: x86_64\n    toolchain: gcc\n    kconfig: tinyconfig\n    patch_series: {}\n",
            series.display()
        ),
    );
    let (code, out, err) = run(kcross().arg("plan").arg(&plan));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "gate it with `kcross series {} {}`",
            series.display(),
            plan.display()
        )),
        "{out}"
    );
    let (code, out, err) = run(kcross()
        .args(["build", "--out"])
        .arg(d.path().join("out"))
        .arg(&plan));
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("series.yaml:8:19: this plan has a patch_series: kcross gates it per patch with `kcross series"),
        "{err}"
    );
    assert!(!d.path().join("out").exists(), "nothing was built");
}
