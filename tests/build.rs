//! The core, end to end on real kernels: the default matrix's x86_64 and powerpc64le cells
//! build on linux-source-6.12; a dropped kconfig symbol and an injected compile error are
//! reported with their file:line; every bad input exits 2 naming the problem and writes
//! nothing. All tests share one unpacked source and one build dir per arch (tests/common).

mod common;

use common::{kcross, out_dir, repo, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// Results in `dir`: every entry but `.kcross.lock`, the claim on the directory that kcross
/// takes before it reads anything (a lock, not a result).
fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .filter(|e| e.file_name() != ".kcross.lock")
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn default_matrix_x86_64_builds_and_passes() {
    // powerpc64le's image (the suite's costliest build) is built with it in tests/full.rs;
    // cells building in parallel are shown in CI by the clang/gcc test below.
    common::default_matrix_build(&["x86_64"], "default-build");
}

#[test]
fn a_fragment_symbol_that_does_not_survive_is_a_kconfig_error_with_file_line() {
    let d = tempfile::tempdir().unwrap();
    let frag = write(
        d.path(),
        "frags/impossible.config",
        "# wants ZONE_DEVICE without what it depends on\nCONFIG_MEMORY_HOTPLUG=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_KCROSS_NO_SUCH_SYMBOL=y\n",
    );
    let m = write(
        d.path(),
        "m.toml",
        "name = \"impossible\"\n[[build]]\narch = \"arm64\"\nconfig = \"tinyconfig\"\nfragments = [\"frags/impossible.config\"]\n",
    );
    let out = out_dir("impossible");
    let (code, stdout, stderr) = run(kcross()
        .arg("build")
        .arg(&m)
        .arg("--json")
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let c = &v["cells"][0];
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["failed_stage"], "configure");
    let diags = c["diagnostics"].as_array().unwrap();
    let dropped: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == "kconfig-dropped")
        .collect();
    let frag = frag.display().to_string();
    let zd = dropped
        .iter()
        .find(|d| d["source_line"] == "CONFIG_ZONE_DEVICE=y")
        .expect("ZONE_DEVICE dropped");
    assert_eq!(zd["file"], frag.as_str());
    assert_eq!(zd["line"], 3);
    let msg = zd["message"].as_str().unwrap();
    // Kconfig's own reason: tinyconfig on arm64 leaves MEMORY_HOTREMOVE unset.
    assert!(
        msg.contains("mm/Kconfig:") && msg.contains("depends on") && msg.contains("(=n)"),
        "{msg}"
    );
    let nosuch = dropped
        .iter()
        .find(|d| d["source_line"] == "CONFIG_KCROSS_NO_SUCH_SYMBOL=y")
        .unwrap();
    assert_eq!(nosuch["line"], 4);
    assert!(nosuch["message"]
        .as_str()
        .unwrap()
        .contains("no Kconfig file defines"));
    assert!(
        stderr.contains(&format!("{frag}:3")),
        "table names the fragment line:\n{stderr}"
    );
}

#[test]
fn an_injected_compile_error_is_parsed_with_its_file_and_line() {
    // A copy of the cached 6.12 tree (hard links, so it is cheap) with one file replaced,
    // not written through: the cached tree stays pristine.
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let rel = "mm/mprotect.c";
    let orig = std::fs::read_to_string(tree.join(rel)).unwrap();
    let (before, after) = orig.split_once("static long change_pte_range(").unwrap();
    let injected = format!("{before}static int kcross_injected(void) {{ return kcross_undeclared_thing; }}\nstatic long change_pte_range({after}");
    let line = before.lines().count() + 1;
    common::replace_file(&copy, rel, &injected);
    assert_eq!(
        std::fs::read_to_string(tree.join(rel)).unwrap(),
        orig,
        "cache untouched"
    );

    let m = common::mprotect_matrix(d.path(), "broken");
    let out = out_dir("injected");
    let (code, stdout, stderr) = common::build_json(&m, &copy, &out);
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let c = &v["cells"][0];
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["failed_stage"], "build");
    let e = c["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .expect("an error diagnostic");
    assert_eq!(e["file"], rel);
    assert_eq!(e["line"], line);
    assert_eq!(e["tool"], "compiler");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("kcross_undeclared_thing"),
        "{e}"
    );
    assert!(
        stderr.contains(&format!("{rel}:{line}:")),
        "table shows file:line:\n{stderr}"
    );
}

/// gcc quotes the source line beside a warning byte for byte: a Latin-1 comment (old kernel
/// files have them) makes the log not UTF-8. The warning is still parsed with its file:line,
/// and the cell's verdict stays its own.
#[test]
fn a_warning_on_a_latin1_line_is_parsed_though_the_log_is_not_utf8() {
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let rel = "mm/mprotect.c";
    let orig = std::fs::read(tree.join(rel)).unwrap();
    let at = orig
        .windows(24)
        .position(|w| w == b"static long change_pte_r")
        .unwrap();
    let line = orig[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let mut text = orig[..at].to_vec();
    text.extend_from_slice(b"static int kcross_latin1_unused; /* caf\xe9 */\n");
    text.extend_from_slice(&orig[at..]);
    common::replace_file(&copy, rel, &text);

    let m = common::mprotect_matrix(d.path(), "latin1");
    let out = out_dir("latin1");
    let (code, stdout, stderr) = common::build_json(&m, &copy, &out);
    assert_eq!(code, 0, "{stderr}");
    // The path under test was taken: the log holds the raw byte, which std's reader refuses.
    let log = out.join("latest/cells/arm64-gcc-obj/build.log");
    assert!(
        std::fs::read_to_string(&log).is_err(),
        "the log is not UTF-8"
    );
    assert!(std::fs::read(&log).unwrap().contains(&0xe9));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let c = &v["cells"][0];
    assert_eq!(c["verdict"], "pass");
    let w = c["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["message"]
                .as_str()
                .unwrap()
                .contains("kcross_latin1_unused")
        })
        .unwrap_or_else(|| panic!("the warning is parsed: {c}"));
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["file"], rel);
    assert_eq!(w["line"], line);
    // Beside it, the pristine file has no such warning: the diagnostic is the injected line's.
    assert!(!String::from_utf8_lossy(&orig).contains("kcross_latin1_unused"));
}

#[test]
fn an_extra_compiler_data_file_adds_a_toolchain_without_code() {
    // A new compiler family: gcc-12 spelled out, from a data file only.
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "tc/compiler/gcc12.toml",
        "name = \"gcc12\"\nmake_vars = [\"CROSS_COMPILE={cross_compile}\", \"CC={cross_compile}gcc-12\"]\nnm = \"{cross_compile}nm\"\n[[requires]]\nprogram = \"{cross_compile}gcc-12\"\npackage = \"{package}\"\n",
    );
    write(
        d.path(),
        "tc/arch/arm64.toml",
        &std::fs::read_to_string(repo().join("toolchains/arch/arm64.toml")).unwrap().replace(
            "[compilers.clang]",
            "[compilers.gcc12]\ncross_compile = \"aarch64-linux-gnu-\"\npackage = \"gcc-12-aarch64-linux-gnu\"\n\n[compilers.clang]",
        ),
    );
    let m = write(
        d.path(),
        "m.toml",
        "[[build]]\nname = \"obj\"\narch = \"arm64\"\ntoolchains = [\"gcc12\"]\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    );
    let tc = d.path().join("tc");
    let (code, stdout, stderr) = run(kcross().arg("plan").arg(&m).arg("--toolchains").arg(&tc));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("arm64-gcc12-obj") && stdout.contains("CC=aarch64-linux-gnu-gcc-12"),
        "{stdout}"
    );
    let out = out_dir("gcc12");
    let (code, stdout, stderr) = run(kcross()
        .arg("build")
        .arg(&m)
        .arg("--toolchains")
        .arg(&tc)
        .arg("--json")
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["cells"][0]["verdict"], "pass");
    assert_eq!(v["cells"][0]["cell"], "arm64-gcc12-obj");
    // The object was compiled by gcc-12: kbuild's record of its command (the log alone
    // would not say so on a warm build dir, which recompiles nothing).
    let bd = PathBuf::from(v["cells"][0]["build_dir"].as_str().unwrap());
    let cmd = std::fs::read_to_string(bd.join("mm/.mprotect.o.cmd")).unwrap();
    assert!(
        cmd.starts_with("savedcmd_mm/mprotect.o := aarch64-linux-gnu-gcc-12 "),
        "{cmd}"
    );
    assert!(bd.join("mm/mprotect.o").is_file());
}

#[test]
fn bad_inputs_exit_2_name_the_problem_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        (
            "malformed",
            vec![write(
                d.path(),
                "bad.toml",
                "[[build]]\narch = \"x86_64\"\nconfig = tinyconfig\n",
            )
            .display()
            .to_string()],
            vec!["bad.toml:3:"],
        ),
        (
            "unknown key",
            vec![write(
                d.path(),
                "key.toml",
                "[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ncolour = \"blue\"\n",
            )
            .display()
            .to_string()],
            vec!["key.toml:4:1", "colour"],
        ),
        (
            "unknown arch",
            vec![write(
                d.path(),
                "arch.toml",
                "[[build]]\narch = \"pdp11\"\nconfig = \"tinyconfig\"\n",
            )
            .display()
            .to_string()],
            vec!["arch.toml:2:8", "pdp11", "known arches", "riscv64"],
        ),
        (
            "unknown toolchain",
            vec![write(
                d.path(),
                "tc.toml",
                "[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntoolchains = [\"tcc\"]\n",
            )
            .display()
            .to_string()],
            vec!["tc.toml:4:15", "tcc", "clang"],
        ),
        (
            "bad json",
            vec![write(
                d.path(),
                "lkb.json",
                "[{\"arch\": \"x86_64\",\n \"config\": 12}]",
            )
            .display()
            .to_string()],
            vec!["lkb.json:2:"],
        ),
        (
            "missing source package",
            vec!["--source".into(), "linux-source-9.99".into()],
            vec![
                "linux-source-9.99",
                "apt-get install --no-install-recommends linux-source-9.99",
            ],
        ),
        (
            "corrupt tarball",
            vec![
                "--source".into(),
                write(d.path(), "linux-corrupt.tar.xz", "this is not xz")
                    .display()
                    .to_string(),
            ],
            vec!["linux-corrupt.tar.xz", "corrupt"],
        ),
        (
            "unknown --arch",
            vec!["--arch".into(), "vax".into()],
            vec!["vax", "known arches"],
        ),
    ];
    for (what, args, needles) in cases {
        let out = out_dir(&format!("bad-{}", what.replace(' ', "-")));
        let (code, _stdout, stderr) = run(kcross().arg("build").args(&args).arg("--out").arg(&out));
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.lines().any(|l| l.starts_with("kcross: error: ")),
            "{what}: {stderr}"
        );
        for n in needles {
            assert!(stderr.contains(n), "{what}: `{n}` not in: {stderr}");
        }
        assert_eq!(
            files_in(&out),
            0,
            "{what}: nothing written to {}",
            out.display()
        );
    }
}

#[test]
fn a_missing_cross_compiler_names_its_debian_package() {
    // loongarch: bookworm has no cross gcc for it, so it is missing on every Debian 12 host.
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "tc/arch/loongarch64.toml",
        "name = \"loongarch64\"\nkernel_arch = \"loongarch\"\nsrcarch = \"loongarch\"\ndefconfig = \"defconfig\"\nimage_target = \"vmlinux\"\nimage_path = \"vmlinux\"\n[compilers.gcc]\ncross_compile = \"loongarch64-linux-gnu-\"\npackage = \"gcc-loongarch64-linux-gnu\"\nbinutils_package = \"binutils-loongarch64-linux-gnu\"\n",
    );
    let m = write(
        d.path(),
        "m.toml",
        "[[build]]\narch = \"loongarch64\"\nconfig = \"tinyconfig\"\n",
    );
    let out = out_dir("missing-cc");
    let (code, _o, stderr) = run(kcross()
        .arg("build")
        .arg(&m)
        .arg("--toolchains")
        .arg(d.path().join("tc"))
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("loongarch64-linux-gnu-gcc")
            && stderr.contains("gcc-loongarch64-linux-gnu"),
        "{stderr}"
    );
    assert_eq!(files_in(&out), 0);
    let (code, stdout, _e) = run(kcross()
        .arg("doctor")
        .arg(&m)
        .arg("--toolchains")
        .arg(d.path().join("tc")));
    assert_eq!(code, 2);
    assert!(
        stdout.contains("MISSING  loongarch64-linux-gnu-gcc")
            && stdout.contains("gcc-loongarch64-linux-gnu"),
        "{stdout}"
    );
}

#[test]
fn plan_lists_cells_and_filters_them() {
    let (code, stdout, _) = run(kcross().args(["plan", "--json"]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "x86_64-gcc-pud",
            "powerpc64le-gcc-pud",
            "arm64-gcc-pud",
            "riscv64-gcc-pud"
        ]
    );
    let (code, stdout, _) = run(kcross().args(["plan", "--arch", "riscv", "--toolchain", "gcc"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("riscv64-gcc-pud") && !stdout.contains("x86_64-gcc-pud"),
        "{stdout}"
    );
    // lkb-harness JSON loads into the same plan shape.
    let d = tempfile::tempdir().unwrap();
    let j = write(
        d.path(),
        "config.json",
        r#"{"builds": [{"name": "ppc", "arch": "powerpc", "config": "ppc64le_defconfig", "cross_compile": "powerpc64le-linux-gnu-"}, {"arch": "arm64", "config": "defconfig", "llvm": true}]}"#,
    );
    let (code, stdout, stderr) = run(kcross().arg("plan").arg(&j).arg("--json"));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["cells"][0]["id"], "powerpc64le-gcc-ppc");
    assert_eq!(v["cells"][1]["id"], "arm64-clang-defconfig");
    assert!(v["cells"][1]["toolchain"]["make_vars"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "LLVM=-14"));
}

#[test]
fn an_injected_warning_is_reported_by_clang_and_gcc_with_its_flag_and_line() {
    // One object (mm/mprotect.o) of an x86_64 tinyconfig, with each compiler, in a
    // hard-linked copy of 6.12: first pristine, then (incrementally, in the same build
    // dirs: a dir source is keyed by its path) with two unused variables injected, one
    // of them declared through a macro.
    let d = tempfile::tempdir().unwrap();
    let (tree, copy) = common::tree_copy_612(d.path());
    let rel = "mm/mprotect.c";
    let orig = std::fs::read_to_string(tree.join(rel)).unwrap();
    let m = write(
        d.path(),
        "m.toml",
        "name = \"warn\"\n[[build]]\nname = \"obj\"\narch = \"x86_64\"\ntoolchains = [\"gcc\", \"clang\"]\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n",
    );
    let build = |name: &str| -> Value {
        let out = out_dir(name);
        let (code, stdout, stderr) = run(kcross()
            .arg("build")
            .arg(&m)
            .arg("--source")
            .arg(&copy)
            .args(["-j", "2", "--json", "--out"])
            .arg(&out));
        assert_eq!(code, 0, "{stderr}");
        let v: Value = serde_json::from_str(&stdout).unwrap();
        let ids: Vec<&str> = v["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cell"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["x86_64-gcc-obj", "x86_64-clang-obj"]);
        common::assert_started_before_any_finished(&stderr, &ids);
        for c in v["cells"].as_array().unwrap() {
            assert_eq!(c["verdict"], "pass", "{c}");
        }
        v
    };
    let unused_in = |c: &Value| -> Vec<Value> {
        c["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["flag"] == "-Wunused-variable" && d["file"] == rel)
            .cloned()
            .collect()
    };

    // Counter-case: the pristine object has no such warning with either compiler.
    let v = build("warn-pristine");
    for c in v["cells"].as_array().unwrap() {
        assert_eq!(unused_in(c), Vec::<Value>::new(), "{}", c["cell"]);
    }

    let anchor = "\tbool uffd_wp_resolve = cp_flags & MM_CP_UFFD_WP_RESOLVE;\n";
    let (before, after) = orig.split_once(anchor).expect("change_pte_range's locals");
    let (head, body) = before.rsplit_once("static long change_pte_range(").unwrap();
    let injected = format!(
        "{head}#define KCROSS_UNUSED_DECL int kcross_unused_macro\nstatic long change_pte_range({body}{anchor}\tint kcross_unused;\n\tKCROSS_UNUSED_DECL;\n{after}"
    );
    let define_line = head.lines().count() + 1;
    let plain_line = define_line + body.lines().count() + 2;
    let macro_line = plain_line + 1;
    assert_eq!(
        injected.lines().nth(plain_line - 1),
        Some("\tint kcross_unused;")
    );
    common::replace_file(&copy, rel, &injected);
    let v = build("warn-injected");
    let cells = v["cells"].as_array().unwrap();
    for c in cells {
        assert_eq!(c["config_reused"], true, "{}", c["cell"]);
        assert!(c["warnings"].as_u64().unwrap() >= 2, "{c}");
    }
    let (gcc, clang) = (unused_in(&cells[0]), unused_in(&cells[1]));
    // gcc quotes with ‘’ in kbuild (which unexports LC_ALL), clang with ''.
    let ascii = |s: &str| s.replace(['‘', '’'], "'");
    let find = |ds: &[Value], var: &str| -> Value {
        ds.iter()
            .find(|d| ascii(d["message"].as_str().unwrap()) == format!("unused variable '{var}'"))
            .unwrap_or_else(|| panic!("{var} in {ds:#?}"))
            .clone()
    };
    // The plain one: the same flag, file:line, function and message from both compilers.
    for (who, ds) in [("gcc", &gcc), ("clang", &clang)] {
        assert_eq!(ds.len(), 2, "{who}: {ds:#?}");
        let w = find(ds, "kcross_unused");
        assert_eq!(w["severity"], "warning", "{who}");
        assert_eq!(w["tool"], "compiler", "{who}");
        assert_eq!(w["line"], plain_line, "{who}: {w}");
        assert_eq!(w["source_line"], "int kcross_unused;", "{who}: {w}");
        assert_eq!(w["notes"], serde_json::json!([]), "{who}: {w}");
    }
    assert_eq!(find(&gcc, "kcross_unused")["function"], "change_pte_range");
    assert_eq!(
        find(&gcc, "kcross_unused")["fingerprint"],
        find(&clang, "kcross_unused")["fingerprint"]
    );
    // The macro one: gcc places it in the macro's body and notes the expansion; clang places
    // it at the expansion and notes the macro; each note stays with its own warning.
    let g = find(&gcc, "kcross_unused_macro");
    assert_eq!(g["line"], define_line, "{g}");
    let gn: Vec<&str> = g["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        gn.iter()
            .any(|n| n.starts_with(&format!("{rel}:{macro_line}:"))
                && ascii(n).ends_with("note: in expansion of macro 'KCROSS_UNUSED_DECL'")),
        "{g}"
    );
    let c = find(&clang, "kcross_unused_macro");
    assert_eq!(c["line"], macro_line, "{c}");
    assert_eq!(c["source_line"], "KCROSS_UNUSED_DECL;", "{c}");
    let cn = c["notes"].as_array().unwrap();
    assert_eq!(cn.len(), 1, "{c}");
    let n = cn[0].as_str().unwrap();
    assert!(
        n.starts_with(&format!("{rel}:{define_line}:"))
            && n.ends_with("note: expanded from macro 'KCROSS_UNUSED_DECL'"),
        "{c}"
    );
}

/// User-Mode Linux builds with clang as with gcc. scripts/Makefile.clang picks clang's
/// --target from SUBARCH and knows only kbuild's own name, `x86`: with um's old
/// SUBARCH=x86_64 every clang cell failed there ("add '--target=' option"). The counter-part
/// separating them is what each compiler says: clang warns about asm-generic/io.h's null
/// PCI_IOBASE arithmetic (-Wnull-pointer-arithmetic), which gcc has no flag for.
#[test]
fn um_builds_with_clang_as_with_gcc() {
    let dir = tempfile::tempdir().unwrap();
    let m = write(
        dir.path(),
        "um.toml",
        "name = \"um\"\n[defaults]\nconfig = \"tinyconfig\"\ntargets = [\"mm/mprotect.o\"]\n\
         [[build]]\narch = \"um\"\ntoolchains = [\"gcc\", \"clang\"]\n",
    );
    let out = out_dir("um-clang");
    let (code, stdout, err) = common::build_json(&m, &common::tree_612(), &out);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    let flags = |tc: &str| -> Vec<String> {
        let c = cells.iter().find(|c| c["toolchain"] == tc).unwrap();
        assert_eq!(c["verdict"], "pass", "{c}");
        c["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("{} {}", d["file"].as_str().unwrap_or(""), d["flag"]))
            .collect()
    };
    let clang = flags("clang");
    assert!(
        clang
            .iter()
            .any(|f| f == "include/asm-generic/io.h \"-Wnull-pointer-arithmetic\""),
        "{clang:?}"
    );
    assert!(flags("gcc").is_empty());
}
