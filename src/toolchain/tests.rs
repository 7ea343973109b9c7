use super::*;

#[test]
fn builtin_data_loads_and_resolves() {
    let reg = Registry::load(&[]).unwrap();
    let ppc = reg.arch("ppc64le").unwrap();
    assert_eq!(ppc.kernel_arch, "powerpc");
    let tc = reg.resolve(ppc, "gcc").unwrap();
    assert_eq!(tc.make_vars, vec!["CROSS_COMPILE=powerpc64le-linux-gnu-"]);
    assert_eq!(tc.requires[0].program, "powerpc64le-linux-gnu-gcc");
    assert_eq!(tc.requires[0].package, "gcc-powerpc64le-linux-gnu");
    let clang = reg.resolve(reg.arch("arm64").unwrap(), "llvm").unwrap();
    assert!(clang.make_vars.contains(&"LLVM=-14".to_string()));
}

#[test]
fn expand_reports_unknown_keys() {
    let mut v = BTreeMap::new();
    v.insert("a".to_string(), "x".to_string());
    assert_eq!(expand("{a}-gcc", &v).unwrap(), "x-gcc");
    assert!(expand("{b}", &v).unwrap_err().contains("{b}"));
}

#[test]
fn line_col_is_one_based() {
    assert_eq!(line_col("ab\ncd", 4), "2:2");
    assert_eq!(line_col("ab", 0), "1:1");
}

/// TuxMake's `target_arch` names and Debian's architecture names, and what they mean here.
/// Debian's `powerpc` (32-bit) is not among them: `powerpc` is powerpc64le, as in TuxMake.
#[test]
fn tuxmake_and_debian_names_resolve() {
    let reg = Registry::load(&[]).unwrap();
    let tuxmake = [
        ("i386", "i386"),
        ("x86_64", "x86_64"),
        ("arm", "arm"),
        ("arm64", "arm64"),
        ("powerpc", "powerpc64le"),
        ("riscv", "riscv64"),
        ("s390", "s390x"),
        ("mips", "mipsel"),
        ("sparc", "sparc64"),
        ("arc", "arc"),
        ("hexagon", "hexagon"),
        ("um", "um"),
        ("parisc", "parisc"),
        ("sh", "sh4"),
        ("m68k", "m68k"),
        ("alpha", "alpha"),
        ("loongarch", "loongarch64"),
    ];
    let debian = [
        ("amd64", "x86_64"),
        ("i386", "i386"),
        ("armhf", "arm"),
        ("arm64", "arm64"),
        ("ppc64el", "powerpc64le"),
        ("ppc64", "powerpc64"),
        ("s390x", "s390x"),
        ("mips64el", "mips64el"),
        ("mipsel", "mipsel"),
        ("sparc64", "sparc64"),
        ("alpha", "alpha"),
        ("m68k", "m68k"),
        ("sh4", "sh4"),
        ("hppa", "parisc"),
        ("riscv64", "riscv64"),
    ];
    let ours = [
        ("ppc32", "powerpc32"),
        ("ppc", "powerpc32"),
        ("ppc64be", "powerpc64"),
    ];
    for (n, want) in tuxmake.iter().chain(&debian).chain(&ours) {
        assert_eq!(reg.arch(n).map(|a| a.name.as_str()), Some(*want), "{n}");
    }
}

/// Several entries share a kernel ARCH: a lookup is by name or alias only, so none is ever
/// decided by the order of the files.
#[test]
fn a_shared_kernel_arch_is_never_looked_up_by_it() {
    let reg = Registry::load(&[]).unwrap();
    let mut shared = BTreeMap::<&str, Vec<&str>>::new();
    for a in reg.arches.values() {
        shared.entry(&a.kernel_arch).or_default().push(&a.name);
    }
    assert_eq!(shared["powerpc"], ["powerpc32", "powerpc64", "powerpc64le"]);
    assert_eq!(shared["mips"], ["mips64el", "mipsel"]);
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("arch")).unwrap();
    std::fs::write(
        d.path().join("arch/foo.toml"),
        "name = \"foo64\"\nkernel_arch = \"foo\"\nsrcarch = \"foo\"\ndefconfig = \"defconfig\"\nimage_target = \"vmlinux\"\nimage_path = \"vmlinux\"\n[compilers.gcc]\ncross_compile = \"foo-linux-gnu-\"\npackage = \"p\"\nbinutils_package = \"b\"\n",
    )
    .unwrap();
    let reg = Registry::load(&[d.path().to_path_buf()]).unwrap();
    assert!(reg.arch("foo64").is_some());
    assert!(reg.arch("foo").is_none(), "a kernel ARCH is not a name");
}

/// lkb-harness names the kernel ARCH and the prefix: the prefix decides among the entries
/// of a shared ARCH; a prefix that names none leaves the name's own arch.
#[test]
fn cross_compile_decides_a_shared_kernel_arch() {
    let reg = Registry::load(&[]).unwrap();
    let pick = |n: &str, cc: Option<&str>| reg.arch_for_cross(n, cc).map(|a| a.name.clone());
    assert_eq!(pick("powerpc", None).as_deref(), Some("powerpc64le"));
    assert_eq!(
        pick("powerpc", Some("powerpc64le-linux-gnu-")).as_deref(),
        Some("powerpc64le")
    );
    assert_eq!(
        pick("powerpc", Some("powerpc64-linux-gnu-")).as_deref(),
        Some("powerpc64")
    );
    assert_eq!(
        pick("powerpc", Some("/opt/cross/bin/powerpc-linux-gnu-")).as_deref(),
        Some("powerpc32")
    );
    assert_eq!(
        pick("mips", Some("mips64el-linux-gnuabi64-")).as_deref(),
        Some("mips64el")
    );
    assert_eq!(
        pick("x86", Some("i686-linux-gnu-")).as_deref(),
        Some("i386")
    );
    assert_eq!(
        pick("x86_64", Some("x86_64-linux-gnu-")).as_deref(),
        Some("x86_64"),
        "um shares the prefix but not the ARCH"
    );
    assert_eq!(
        pick("powerpc", Some("ppc-unknown-")).as_deref(),
        Some("powerpc64le")
    );
    assert_eq!(pick("vax", Some("vax-linux-gnu-")), None);
}

fn two_arch_files(a: &str, b: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("arch")).unwrap();
    let file = |name: &str, aliases: &str| {
        format!("name = \"{name}\"\nkernel_arch = \"k\"\nsrcarch = \"k\"\n{aliases}\ndefconfig = \"defconfig\"\nimage_target = \"vmlinux\"\nimage_path = \"vmlinux\"\n[compilers.gcc]\ncross_compile = \"k-\"\npackage = \"p\"\nbinutils_package = \"b\"\n")
    };
    std::fs::write(d.path().join("arch/one.toml"), file("one", a)).unwrap();
    std::fs::write(d.path().join("arch/two.toml"), file("two", b)).unwrap();
    Registry::load(&[d.path().to_path_buf()])
        .unwrap_err()
        .to_string()
}

/// Two arches sharing a name or alias: loading fails, naming both files and lines.
#[test]
fn a_name_shared_by_two_arch_files_names_both() {
    let e = two_arch_files("aliases = [\"k64\"]", "aliases = [\"x\", \"k64\"]");
    assert!(
        e.contains("one.toml:4") && e.contains("two.toml:4") && e.contains("`k64`"),
        "{e}"
    );
    let e = two_arch_files("aliases = [\"two\"]", "");
    assert!(
        e.contains("one.toml:4") && e.contains("two.toml:1") && e.contains("`two`"),
        "{e}"
    );
    // A built-in alias taken by an extra file: both named too.
    let e = two_arch_files("aliases = [\"ppc64el\"]", "");
    assert!(
        e.contains("one.toml:4") && e.contains("toolchains/arch/powerpc64le.toml:5"),
        "{e}"
    );
}

/// Each built-in arch says for each family whether it builds it (Documentation/kbuild/
/// llvm.rst for clang 14): a table, or `[unsupported]` with the reason.
#[test]
fn every_arch_says_whether_clang_builds_it() {
    let reg = Registry::load(&[]).unwrap();
    let mut clang = Vec::new();
    for a in reg.arches.values() {
        for f in ["gcc", "clang"] {
            let said = a.compilers.contains_key(f) || a.unsupported.contains_key(f);
            assert!(said || a.unavailable.is_some(), "{}: {f}", a.origin);
        }
        if a.compilers.contains_key("clang") {
            clang.push(a.name.as_str());
        }
    }
    assert_eq!(
        clang,
        [
            "arm",
            "arm64",
            "hexagon",
            "i386",
            "mips64el",
            "mipsel",
            "powerpc32",
            "powerpc64",
            "powerpc64le",
            "riscv64",
            "um",
            "x86_64"
        ]
    );
    let refusal = |a: &str, f: &str| reg.refusal(reg.arch(a).unwrap(), f);
    assert!(refusal("sparc64", "clang").unwrap().contains("llvm.rst"));
    assert!(refusal("s390x", "llvm").unwrap().contains("18.1.0"));
    assert!(refusal("hexagon", "gcc").unwrap().contains("LLVM=1 only"));
    assert!(refusal("loongarch", "gcc")
        .unwrap()
        .contains("no LoongArch cross compiler"));
    assert_eq!(refusal("arm", "clang"), None);
    assert!(reg.arches.len() >= 20, "{}", reg.arch_names());
}

/// An arch's own kconfig fragment and make variables: read beside the file, checked.
#[test]
fn arch_fragments_and_make_vars_are_checked() {
    let reg = Registry::load(&[]).unwrap();
    let f = reg.arch("ppc64").unwrap().fragment.as_ref().unwrap();
    assert_eq!(f.path, "toolchains/arch/powerpc64.config");
    let syms: Vec<_> = f.requests.iter().map(|r| r.symbol.as_str()).collect();
    assert_eq!(syms, ["PPC64", "PPC_BOOK3S_64", "CPU_BIG_ENDIAN"]);
    assert_eq!(reg.arch("um").unwrap().make_vars, ["SUBARCH=x86"]);
    let um = reg.arch("um").unwrap().fragment.as_ref().unwrap();
    assert_eq!(um.requests[0].symbol, "64BIT");
    let m68k = reg.arch("m68k").unwrap().fragment.as_ref().unwrap();
    let syms: Vec<_> = m68k.requests.iter().map(|r| r.symbol.as_str()).collect();
    assert_eq!(syms, ["MMU", "M68KCLASSIC", "M68040", "VIRT"]);
    let bad = |extra: &str| {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("arch")).unwrap();
        std::fs::write(
            d.path().join("arch/z.toml"),
            format!("name = \"z\"\nkernel_arch = \"z\"\nsrcarch = \"z\"\ndefconfig = \"defconfig\"\nimage_target = \"vmlinux\"\nimage_path = \"vmlinux\"\n{extra}\n[compilers.gcc]\ncross_compile = \"z-\"\npackage = \"p\"\nbinutils_package = \"b\"\n"),
        )
        .unwrap();
        std::fs::write(d.path().join("arch/z.config"), "CONFIG_Z=y\nnonsense\n").unwrap();
        Registry::load(&[d.path().to_path_buf()])
            .unwrap_err()
            .to_string()
    };
    let e = bad("make_vars = [\"CROSS_COMPILE=x-\"]");
    assert!(
        e.contains("z.toml:7:1") && e.contains("set by kcross"),
        "{e}"
    );
    let e = bad("make_vars = [\"SUBARCH=$(shell x)\"]");
    assert!(e.contains("z.toml:7:1") && e.contains("plain value"), "{e}");
    let e = bad("kconfig = \"nope.config\"");
    assert!(
        e.contains("z.toml:7:1") && e.contains("no such file"),
        "{e}"
    );
    let e = bad("kconfig = \"z.config\"");
    assert!(e.contains("z.config:2") && e.contains("nonsense"), "{e}");
    let e = bad("[unsupported]\ngcc = \"no\"");
    assert!(e.contains("also in [compilers.gcc]"), "{e}");
}

/// Every kernel ARCH value of the registry means one arch, and each arch's own ARCH and
/// cross prefix (what an lkb-harness build of it says) lead back to it.
#[test]
fn every_arch_round_trips_through_its_kernel_arch_and_prefix() {
    let reg = Registry::load(&[]).unwrap();
    for a in reg.arches.values() {
        assert!(reg.arch(&a.kernel_arch).is_some(), "{}", a.kernel_arch);
        for f in a.compilers.keys() {
            let cc = a.cross_compile(f);
            let back = reg
                .arch_for_cross(&a.kernel_arch, cc)
                .map(|x| x.name.as_str());
            assert_eq!(back, Some(a.name.as_str()), "{} {f} {cc:?}", a.kernel_arch);
        }
    }
}
