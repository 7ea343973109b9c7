use super::*;

#[test]
fn kernel_module_compile_errors() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-module-cc.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk",
    );
    check(
        &got,
        &[
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("/tmp/badmod/bad.c"), Some(16), Some(9), "implicit declaration of function ‘frobnicate_page_tables’")
            .flag("-Wimplicit-function-declaration")
            .func("bad_init")
            .src("frobnicate_page_tables(&pud);"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("/tmp/badmod/bad.c"), Some(19), Some(16), "implicit declaration of function ‘pud_bogus_helper’")
            .flag("-Wimplicit-function-declaration")
            .func("bad_init")
            .src("return pud_bogus_helper(&pud);"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("/tmp/badmod/bad.c"), Some(12), Some(13), "unused variable ‘unused_counter’")
            .flag("-Wunused-variable")
            .func("bad_init")
            .src("int unused_counter;"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("include/linux/compiler_types.h"), Some(543), Some(45), "call to ‘__compiletime_assert_138’ declared with attribute error: min(bad_limit, delta) signedness error")
            .func("bad_init")
            .src("_compiletime_assert(condition, msg, __compiletime_assert_, __COUNTER__)")
            .notes(&[
                "In file included from <command-line>:",
                "include/linux/compiler_types.h:524:25: note: in definition of macro ‘__compiletime_assert’",
                "include/linux/compiler_types.h:543:9: note: in expansion of macro ‘_compiletime_assert’",
                "include/linux/build_bug.h:39:37: note: in expansion of macro ‘compiletime_assert’",
                "include/linux/minmax.h:93:9: note: in expansion of macro ‘BUILD_BUG_ON_MSG’",
                "include/linux/minmax.h:98:9: note: in expansion of macro ‘__careful_cmp_once’",
                "include/linux/minmax.h:105:25: note: in expansion of macro ‘__careful_cmp’",
                "/tmp/badmod/bad.c:17:13: note: in expansion of macro ‘min’",
            ]),
        ],
    );
}

#[test]
fn kernel_modpost_undefined() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-modpost.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk",
    );
    check(
        &got,
        &[
            E::new(
                "cc-warning",
                Severity::Warning,
                Tool::Compiler,
                Some("/tmp/badmod2/bad2.c"),
                Some(11),
                Some(13),
                "unused variable ‘unused_counter’",
            )
            .flag("-Wunused-variable")
            .func("bad2_init")
            .src("int unused_counter;"),
            E::new(
                "modpost-warning",
                Severity::Warning,
                Tool::Modpost,
                None,
                None,
                None,
                "Module.symvers is missing.",
            )
            .notes(&[
                "Modules may not have dependencies or modversions.",
                "You may get many unresolved symbol errors.",
                "You can set KBUILD_MODPOST_WARN=1 to turn errors into warning",
                "if you want to proceed at your own risk.",
            ]),
            E::new(
                "modpost-error",
                Severity::Error,
                Tool::Modpost,
                Some("/tmp/badmod2/bad2.ko"),
                None,
                None,
                "\"pud_bogus_helper\" [/tmp/badmod2/bad2.ko] undefined!",
            ),
        ],
    );
}

#[test]
fn kernel_module_warnings_objtool_generated_header() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-module-warn.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk",
    );
    check(
        &got,
        &[
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("/tmp/badmod3/bad3.c"), Some(4), None, "\"CONFIG_MODULES\" redefined")
            .src("#define CONFIG_MODULES 2")
            .notes(&[
                "In file included from include/linux/kconfig.h:5,",
                "from <command-line>:",
                "$(objtree)/include/generated/autoconf.h:131: note: this is the location of the previous definition",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("/tmp/badmod3/bad3.h"), Some(4), Some(13), "unused variable ‘shadow’")
            .flag("-Wunused-variable")
            .func("bad3_helper")
            .src("int shadow = x;")
            .notes(&[
                "In file included from /tmp/badmod3/bad3.c:5:",
            ]),
        E::new("other-warning", Severity::Warning, Tool::Other, Some("/tmp/badmod3/bad3.o"), None, None, "objtool: bad3_init+0x3: call to bad3_leaf.constprop.0() with UACCESS enabled")
            .func("bad3_init"),
        E::new("modpost-warning", Severity::Warning, Tool::Modpost, None, None, None, "Module.symvers is missing.")
            .notes(&[
                "Modules may not have dependencies or modversions.",
                "You may get many unresolved symbol errors.",
                "You can set KBUILD_MODPOST_WARN=1 to turn errors into warning",
                "if you want to proceed at your own risk.",
            ]),
        ],
    );
}

#[test]
fn kernel_make_no_rule_to_make_target() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-no-rule.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk",
    );
    check(
        &got,
        &[E::new(
            "make-error",
            Severity::Error,
            Tool::Make,
            None,
            None,
            None,
            "No rule to make target '/tmp/badmod4/nothere.o', needed by '/tmp/badmod4'.",
        )],
    );
}

#[test]
fn kernel_make_missing_separator() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-missing-separator.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk",
    );
    check(
        &got,
        &[E::new(
            "make-error",
            Severity::Error,
            Tool::Make,
            Some("/tmp/badmod5/Makefile"),
            Some(5),
            None,
            "missing separator.",
        )],
    );
}

#[test]
fn kernel_make_recipe_failure_alone() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-no-hostcc.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk-nohost",
    );
    check(
        &got,
        &[E::new(
            "make-error",
            Severity::Error,
            Tool::Make,
            Some("scripts/Makefile.host"),
            Some(116),
            None,
            "[scripts/basic/fixdep] Error 127",
        )
        .notes(&["/bin/sh: 1: kcross-missing-hostcc: not found"])],
    );
}

#[test]
fn kernel_kconfig_include_error() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-no-cross-cc.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk-nocc",
    );
    check(
        &got,
        &[E::new(
            "kconfig-error",
            Severity::Error,
            Tool::Kconfig,
            Some("scripts/Kconfig.include"),
            Some(40),
            None,
            "C compiler 'kcross-missing-gcc' not found",
        )],
    );
}

#[test]
fn kernel_olddefconfig_overrides() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-olddefconfig.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk-kconf2",
    );
    check(
        &got,
        &[
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(5364),
                None,
                "override: reassigning to symbol DEV_DAX",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(5365),
                None,
                "override: reassigning to symbol NR_CPUS",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(5366),
                None,
                "override: reassigning to symbol NR_CPUS",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(5366),
                None,
                "symbol value 'n' invalid for NR_CPUS",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(5368),
                None,
                "override: reassigning to symbol 64BIT",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(5368),
                None,
                "symbol value 'm' invalid for 64BIT",
            ),
        ],
    );
}

#[test]
fn kconfig_conf_warnings_and_unmet_deps() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kconfig-conf.log"),
        "/tmp/kconf-mini",
        "/tmp/kconf-mini",
    );
    check(
        &got,
        &[
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(23),
                None,
                "'QUX' defined with blank help text",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(25),
                None,
                "ignoring unsupported character '%'",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(30),
                None,
                "menuconfig statement without prompt",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("drivers/mini/Kconfig.extra"),
                Some(8),
                None,
                "'MINI_EXTRA' defined with blank help text",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("drivers/mini/Kconfig.extra"),
                Some(10),
                None,
                "no new line at end of file",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(25),
                None,
                "range is only allowed for int or hex symbols",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(25),
                None,
                "range is invalid",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(3),
                None,
                "override: reassigning to symbol BAZ",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                Some(".config"),
                Some(4),
                None,
                "override: reassigning to symbol BAZ",
            ),
            E::new(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                None,
                None,
                None,
                "unmet direct dependencies detected for FOO",
            )
            .notes(&[
                "Depends on [n]: BAR [=n]",
                "Selected by [y]:",
                "- BAZ [=y]",
                "- QUX [=y] && BAZ [=y]",
                "- MINI_EXTRA [=y]",
            ]),
        ],
    );
}

#[test]
fn kconfig_syntax_error() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kconfig-syntax.log"),
        "/tmp/kconf-syntax",
        "/tmp/kconf-syntax",
    );
    check(
        &got,
        &[
            E::new(
                "kconfig-error",
                Severity::Error,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(3),
                None,
                "syntax error",
            ),
            E::new(
                "kconfig-error",
                Severity::Error,
                Tool::Kconfig,
                Some("Kconfig"),
                Some(3),
                None,
                "unknown statement \"option\"",
            ),
        ],
    );
}

#[test]
fn kernel_w1_kerneldoc_and_modpost_warnings() {
    // kernel-doc prints `FILE:LINE: warning:` without column and snippet: tool Other.
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-w1-kerneldoc.log"),
        "/tmp/explore/linux-source-6.12",
        "/tmp/diagk",
    );
    check(
        &got,
        &[
            E::new(
                "cc-warning",
                Severity::Warning,
                Tool::Compiler,
                Some("/tmp/badmod6/kdoc.c"),
                Some(11),
                Some(5),
                "no previous prototype for ‘kdoc_scale’",
            )
            .flag("-Wmissing-prototypes")
            .src("int kdoc_scale(int v, int factor)"),
            E::new(
                "other-warning",
                Severity::Warning,
                Tool::Other,
                Some("/tmp/badmod6/kdoc.c"),
                Some(12),
                None,
                "Function parameter or struct member 'factor' not described in 'kdoc_scale'",
            ),
            E::new(
                "modpost-warning",
                Severity::Warning,
                Tool::Modpost,
                None,
                None,
                None,
                "Module.symvers is missing.",
            )
            .notes(&[
                "Modules may not have dependencies or modversions.",
                "You may get many unresolved symbol errors.",
                "You can set KBUILD_MODPOST_WARN=1 to turn errors into warning",
                "if you want to proceed at your own risk.",
            ]),
            E::new(
                "modpost-warning",
                Severity::Warning,
                Tool::Modpost,
                Some("/tmp/badmod6/kdoc.o"),
                None,
                None,
                "missing MODULE_DESCRIPTION() in /tmp/badmod6/kdoc.o",
            ),
        ],
    );
}
