use super::*;

fn reg() -> Registry {
    Registry::load(&[]).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn default_matrix_loads() {
    let m = load(None, &reg()).unwrap();
    assert_eq!(m.name, "pud-helpers");
    let arches: Vec<_> = m.builds.iter().map(|b| b.arch.as_str()).collect();
    for a in ["x86_64", "powerpc64le", "arm64", "riscv64"] {
        assert!(arches.contains(&a), "{arches:?}");
    }
    let names: Vec<_> = m.helpers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pudp_invalidate",
            "pud_modify",
            "pud_mkinvalid",
            "pudp_establish",
            "change_huge_pud"
        ]
    );
}

#[test]
fn unknown_key_names_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.toml",
        "name = \"x\"\n[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nbogus = 1\n",
    );
    let e = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(e.contains("m.toml:5:1"), "{e}");
    assert!(e.contains("bogus"), "{e}");
}

#[test]
fn unknown_arch_lists_known_ones() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.toml",
        "[[build]]\narch = \"vax\"\nconfig = \"tinyconfig\"\n",
    );
    let e = load(Some(&p), &reg()).unwrap_err();
    let s = e.to_string();
    assert!(s.contains("m.toml:2:8"), "{s}");
    assert!(s.contains("vax") && s.contains("powerpc64le"), "{s}");
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn unknown_toolchain_and_bad_make_arg() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.toml",
        "[[build]]\narch = \"arm64\"\nconfig = \"tinyconfig\"\ntoolchains = [\"icc\"]\n",
    );
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(
        s.contains("m.toml:4:15") && s.contains("icc") && s.contains("clang"),
        "{s}"
    );
    let p = write(d.path(), "m.toml", "[[build]]\narch = \"arm64\"\nconfig = \"tinyconfig\"\nmake_args = [\"W=1\", \"; rm -rf /\"]\n");
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(s.contains("m.toml:4:21"), "{s}");
}

#[test]
fn wrong_type_is_located() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.toml",
        "[[build]]\narch = 64\nconfig = \"tinyconfig\"\n",
    );
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(s.contains("m.toml:2:8"), "{s}");
}

#[test]
fn lkb_harness_json_list_and_object() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "config.json",
        r#"[
  {"name": "ppc", "arch": "powerpc", "config": "ppc64le_defconfig", "cross_compile": "powerpc64le-linux-gnu-"},
  {"arch": "arm64", "config": "defconfig", "llvm": true, "make_args": ["W=1"], "targets": ["vmlinux"]}
]"#,
    );
    let m = load(Some(&p), &reg()).unwrap();
    assert_eq!(m.builds.len(), 2);
    assert_eq!(m.builds[0].arch, "powerpc64le");
    assert_eq!(m.builds[0].config.label, "ppc");
    assert_eq!(m.builds[1].toolchains, vec!["clang"]);
    assert_eq!(m.builds[1].config.base, Base::Target("defconfig".into()));
    let p = write(
        d.path(),
        "o.json",
        "{\"builds\": [\n {\"arch\": \"sparc99\", \"config\": \"defconfig\"}]}",
    );
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(s.contains("o.json:2:3") && s.contains("sparc99"), "{s}");
    let p = write(
        d.path(),
        "u.json",
        "[{\"arch\": \"arm64\",\n \"config\": \"defconfig\", \"colour\": 1}]",
    );
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(s.contains("u.json:2:") && s.contains("colour"), "{s}");
}

#[test]
fn helper_names_must_be_identifiers() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "m.toml", "[[build]]\narch = \"arm64\"\nconfig = \"tinyconfig\"\n[check]\nhelpers = [\"pud_modify\", \"pud-modify()\"]\n");
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(
        s.contains("m.toml:5:26") && s.contains("not a C identifier"),
        "{s}"
    );
}

/// clang for an arch whose file says clang 14 does not build it: refused when the matrix
/// loads (`kcross plan`), exit 2, at the matrix's file:line:col, with the arch file's reason.
#[test]
fn clang_for_an_arch_without_it_is_refused_with_the_reason() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.toml",
        "[[build]]\narch = \"arm\"\nconfig = \"tinyconfig\"\ntoolchains = [\"gcc\", \"clang\"]\n\n[[build]]\narch = \"sparc\"\nconfig = \"tinyconfig\"\ntoolchains = [\"gcc\", \"clang\"]\n",
    );
    let e = load(Some(&p), &reg()).unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with(&format!("{}:9:22", p.display())), "{s}");
    assert!(
        s.contains("clang does not build arch sparc64") && s.contains("llvm.rst"),
        "{s}"
    );
    assert_eq!(e.exit_code(), 2);
    // gcc for hexagon, and any family for loongarch64, likewise.
    let p = write(
        d.path(),
        "h.toml",
        "[[build]]\narch = \"hexagon\"\nconfig = \"tinyconfig\"\n",
    );
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(
        s.contains("h.toml:2:8: gcc does not build arch hexagon"),
        "the default gcc, at the arch: {s}"
    );
    let p = write(
        d.path(),
        "l.json",
        "[{\"arch\": \"loongarch\", \"config\": \"defconfig\"}]",
    );
    let s = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(
        s.starts_with(&format!("{}:1:3", p.display())) && s.contains("cannot be built here"),
        "{s}"
    );
}

/// lkb-harness's bare `powerpc`: its cross_compile says which powerpc (none: powerpc64le,
/// as TuxMake's powerpc).
#[test]
fn lkb_harness_powerpc_is_decided_by_cross_compile() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "ppc.json",
        r#"[
  {"name": "le", "arch": "powerpc", "config": "ppc64le_defconfig", "cross_compile": "powerpc64le-linux-gnu-"},
  {"name": "be", "arch": "powerpc", "config": "ppc64_defconfig", "cross_compile": "powerpc64-linux-gnu-"},
  {"name": "32", "arch": "powerpc", "config": "pmac32_defconfig", "cross_compile": "powerpc-linux-gnu-"},
  {"name": "bare", "arch": "powerpc", "config": "defconfig"},
  {"name": "i386", "arch": "x86", "config": "defconfig", "cross_compile": "i686-linux-gnu-"}
]"#,
    );
    let m = load(Some(&p), &reg()).unwrap();
    let arches: Vec<&str> = m.builds.iter().map(|b| b.arch.as_str()).collect();
    assert_eq!(
        arches,
        [
            "powerpc64le",
            "powerpc64",
            "powerpc32",
            "powerpc64le",
            "i386"
        ]
    );
}

#[test]
fn build_timeouts_from_defaults_and_per_entry() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.toml",
        "name = \"t\"\n[defaults]\nconfig = \"tinyconfig\"\ntimeout = \"30m\"\n\
         [[build]]\narch = \"x86_64\"\n\
         [[build]]\narch = \"arm64\"\ntimeout = \"1h30m\"\n",
    );
    let m = load(Some(&p), &reg()).unwrap();
    let t: Vec<_> = m.builds.iter().map(|b| b.timeout_s).collect();
    assert_eq!(t, [Some(1800), Some(5400)]);
    // A bad one names its place.
    let p = write(
        d.path(),
        "b.toml",
        "name = \"t\"\n[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\ntimeout = \"0s\"\n",
    );
    let e = load(Some(&p), &reg()).unwrap_err().to_string();
    assert!(
        e.contains("b.toml:5:") && e.contains("longer than 0"),
        "{e}"
    );
}
