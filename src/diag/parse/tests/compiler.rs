use super::*;

#[test]
fn gcc12_x86_64_relative_srctree() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/gcc12-x86_64.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("$(objtree)/include/generated/gen.h"), Some(3), Some(41), "excess elements in array initializer")
            .src("static const int gen_table[2] = { 1, 2, 3 };")
            .notes(&[
                "In file included from mm/foo.c:2:",
                "$(objtree)/include/generated/gen.h:3:41: note: (near initialization for ‘gen_table’)",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(4), None, "\"GEN_VALUE\" redefined")
            .src("#define GEN_VALUE 2")
            .notes(&[
                "$(objtree)/include/generated/gen.h:2: note: this is the location of the previous definition",
            ]),
        E::new("cc-note", Severity::Note, Tool::Compiler, Some("mm/foo.c"), Some(5), Some(9), "‘#pragma message: kcross fixture build’")
            .src("#pragma message(\"kcross fixture build\")"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(11), Some(13), "unused variable ‘unused_var’")
            .flag("-Wunused-variable")
            .func("helper")
            .src("int unused_var;"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(18), Some(21), "‘undeclared_thing’ undeclared (first use in this function)")
            .func("foo_walk")
            .src("int total = undeclared_thing + n;")
            .notes(&[
                "mm/foo.c:18:21: note: each undeclared identifier is reported only once for each function it appears in",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(20), Some(13), "suggest parentheses around assignment used as truth value")
            .flag("-Wparentheses")
            .func("foo_walk")
            .src("if (total = n)"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(22), Some(9), "implicit declaration of function ‘frob_pages’")
            .flag("-Wimplicit-function-declaration")
            .func("foo_walk")
            .src("frob_pages(p, total);"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("include/linux/bar.h"), Some(3), Some(12), "‘bar_unused’ defined but not used")
            .flag("-Wunused-function")
            .src("static int bar_unused(void)")
            .notes(&[
                "In file included from mm/foo.c:1:",
            ]),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/missing.c"), Some(2), Some(10), "linux/nothere.h: No such file or directory")
            .src("#include <linux/nothere.h>"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/inl.c"), Some(6), Some(17), "call to ‘__bad_size’ declared with attribute warning: detected bad size")
            .flag("-Wattribute-warning")
            .func("check_size")
            .src("__bad_size();")
            .notes(&[
                "inlined from ‘use_it’ at mm/inl.c:11:2:",
            ]),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("arch/x86/lib/bad.S"), Some(4), None, "number of operands mismatch for `movq'"),
        ],
    );
}

#[test]
fn gcc12_ppc64le_cross_absolute_srctree() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/gcc12-ppc64le.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("$(objtree)/include/generated/gen.h"), Some(3), Some(41), "excess elements in array initializer")
            .src("static const int gen_table[2] = { 1, 2, 3 };")
            .notes(&[
                "In file included from mm/foo.c:2:",
                "$(objtree)/include/generated/gen.h:3:41: note: (near initialization for ‘gen_table’)",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(4), None, "\"GEN_VALUE\" redefined")
            .src("#define GEN_VALUE 2")
            .notes(&[
                "$(objtree)/include/generated/gen.h:2: note: this is the location of the previous definition",
            ]),
        E::new("cc-note", Severity::Note, Tool::Compiler, Some("mm/foo.c"), Some(5), Some(9), "‘#pragma message: kcross fixture build’")
            .src("#pragma message(\"kcross fixture build\")"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(11), Some(13), "unused variable ‘unused_var’")
            .flag("-Wunused-variable")
            .func("helper")
            .src("int unused_var;"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(18), Some(21), "‘undeclared_thing’ undeclared (first use in this function)")
            .func("foo_walk")
            .src("int total = undeclared_thing + n;")
            .notes(&[
                "mm/foo.c:18:21: note: each undeclared identifier is reported only once for each function it appears in",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(20), Some(13), "suggest parentheses around assignment used as truth value")
            .flag("-Wparentheses")
            .func("foo_walk")
            .src("if (total = n)"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(22), Some(9), "implicit declaration of function ‘frob_pages’")
            .flag("-Wimplicit-function-declaration")
            .func("foo_walk")
            .src("frob_pages(p, total);"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("include/linux/bar.h"), Some(3), Some(12), "‘bar_unused’ defined but not used")
            .flag("-Wunused-function")
            .src("static int bar_unused(void)")
            .notes(&[
                "In file included from mm/foo.c:1:",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/frame.c"), Some(7), Some(13), "unused variable ‘shadow’")
            .flag("-Wunused-variable")
            .func("inlined_helper")
            .src("int shadow = v;"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/frame.c"), Some(17), Some(15), "comparison of unsigned expression in ‘< 0’ is always false")
            .flag("-Wtype-limits")
            .func("big_frame")
            .src("if (u < 0)"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/frame.c"), Some(20), Some(1), "the frame size of 4096 bytes is larger than 1024 bytes")
            .flag("-Wframe-larger-than=")
            .func("big_frame")
            .src("}"),
        ],
    );
}

#[test]
fn gcc12_ansi_colours_and_urls() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/gcc12-color.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
            E::new(
                "cc-warning",
                Severity::Warning,
                Tool::Compiler,
                Some("mm/frame.c"),
                Some(7),
                Some(13),
                "unused variable ‘shadow’",
            )
            .flag("-Wunused-variable")
            .func("inlined_helper")
            .src("int shadow = v;"),
            E::new(
                "cc-warning",
                Severity::Warning,
                Tool::Compiler,
                Some("include/linux/bar.h"),
                Some(3),
                Some(12),
                "‘bar_unused’ defined but not used",
            )
            .flag("-Wunused-function")
            .src("static int bar_unused(void)")
            .notes(&["In file included from mm/frame.c:1:"]),
        ],
    );
}

#[test]
fn clang14_snippets_without_gutter() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/clang14.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("$(objtree)/include/generated/gen.h"), Some(3), Some(41), "excess elements in array initializer")
            .flag("-Wexcess-initializers")
            .src("static const int gen_table[2] = { 1, 2, 3 };")
            .notes(&[
                "In file included from mm/foo.c:2:",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(4), Some(9), "'GEN_VALUE' macro redefined")
            .flag("-Wmacro-redefined")
            .src("#define GEN_VALUE 2")
            .notes(&[
                "$(objtree)/include/generated/gen.h:2:9: note: previous definition is here",
            ]),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(5), Some(9), "kcross fixture build")
            .flag("-W#pragma-messages")
            .src("#pragma message(\"kcross fixture build\")"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(11), Some(6), "unused variable 'unused_var'")
            .flag("-Wunused-variable")
            .src("int unused_var;"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(18), Some(14), "use of undeclared identifier 'undeclared_thing'")
            .src("int total = undeclared_thing + n;"),
        E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(20), Some(12), "using the result of an assignment as a condition without parentheses")
            .flag("-Wparentheses")
            .src("if (total = n)")
            .notes(&[
                "mm/foo.c:20:12: note: place parentheses around the assignment to silence this warning",
                "mm/foo.c:20:12: note: use '==' to turn this assignment into an equality comparison",
            ]),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(22), Some(2), "implicit declaration of function 'frob_pages' is invalid in C99")
            .flag("-Wimplicit-function-declaration")
            .src("frob_pages(p, total);"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/missing.c"), Some(2), Some(10), "'linux/nothere.h' file not found")
            .src("#include <linux/nothere.h>"),
        E::new("cc-error", Severity::Error, Tool::Compiler, Some("arch/x86/lib/bad.S"), Some(4), Some(2), "too few operands for instruction")
            .src("movq %rax"),
        ],
    );
}

#[test]
fn clang14_ansi_colours() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/clang14-color.log"),
        "/tmp/kcfix/linux-src",
        "/tmp/kcfix/build",
    );
    check(
        &got,
        &[
            E::new(
                "cc-warning",
                Severity::Warning,
                Tool::Compiler,
                Some("mm/frame.c"),
                Some(7),
                Some(6),
                "unused variable 'shadow'",
            )
            .flag("-Wunused-variable")
            .src("int shadow = v;"),
            E::new(
                "cc-warning",
                Severity::Warning,
                Tool::Compiler,
                Some("include/linux/bar.h"),
                Some(3),
                Some(12),
                "unused function 'bar_unused'",
            )
            .flag("-Wunused-function")
            .src("static int bar_unused(void)")
            .notes(&["In file included from mm/frame.c:1:"]),
        ],
    );
}

/// A real kernel object (linux-source-6.12, x86_64 tinyconfig, mm/mprotect.o) with two
/// unused variables injected, one declared through a macro: each compiler's flag, place and
/// macro note stay with their own warning. gcc puts the macro one in the macro's body and
/// notes the expansion; clang puts it at the expansion and notes the macro.
const UNUSED_SRC: &str = "/tmp/.tmpU7vDqH/linux";

#[test]
fn clang14_kernel_warning_and_its_macro_note() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-clang14-unused.log"),
        UNUSED_SRC,
        "/work/wt-clang/target/tmp/kcross-cache/build/c8470f466a6fdc31/x86_64-clang-0959ed3b6077817a",
    );
    let w = |line, col, msg: &str| {
        E::new(
            "cc-warning",
            Severity::Warning,
            Tool::Compiler,
            Some("mm/mprotect.c"),
            Some(line),
            Some(col),
            msg,
        )
        .flag("-Wunused-variable")
    };
    check(
        &got,
        &[
            w(98, 6, "unused variable 'kcross_unused'").src("int kcross_unused;"),
            w(99, 2, "unused variable 'kcross_unused_macro'")
                .src("KCROSS_UNUSED_DECL;")
                .notes(&["mm/mprotect.c:86:32: note: expanded from macro 'KCROSS_UNUSED_DECL'"]),
        ],
    );
}

#[test]
fn gcc12_kernel_warning_and_its_macro_note() {
    let got = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-gcc12-unused.log"),
        UNUSED_SRC,
        "/work/wt-clang/target/tmp/kcross-cache/build/c8470f466a6fdc31/x86_64-gcc-067cbba55be843f7",
    );
    let w = |line, col, msg: &str| {
        E::new(
            "cc-warning",
            Severity::Warning,
            Tool::Compiler,
            Some("mm/mprotect.c"),
            Some(line),
            Some(col),
            msg,
        )
        .flag("-Wunused-variable")
        .func("change_pte_range")
    };
    check(
        &got,
        &[
            w(86, 32, "unused variable ‘kcross_unused_macro’")
                .src("#define KCROSS_UNUSED_DECL int kcross_unused_macro")
                .notes(&["mm/mprotect.c:99:9: note: in expansion of macro ‘KCROSS_UNUSED_DECL’"]),
            w(98, 13, "unused variable ‘kcross_unused’").src("int kcross_unused;"),
        ],
    );
    // The same warning from both compilers has one fingerprint (quotes and columns aside).
    let clang = parse(
        include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-clang14-unused.log"),
        UNUSED_SRC,
        "/",
    );
    assert_eq!(got[1].fingerprint, clang[0].fingerprint);
    assert_ne!(
        got[0].fingerprint, clang[1].fingerprint,
        "the macro one differs"
    );
}
