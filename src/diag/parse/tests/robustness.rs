use super::*;

#[test]
fn generated_counts_and_cc1_lines_are_not_diagnostics() {
    let log = include_str!("../../../../tests/fixtures/logs/clang14.log");
    assert!(log.contains("5 warnings and 2 errors generated."));
    assert!(log.contains("1 error generated."));
    let got = parse(log, "/tmp/kcfix/linux-src", "/tmp/kcfix/build");
    assert!(got.iter().all(|d| !d.message.contains("generated")));
    let log = include_str!("../../../../tests/fixtures/logs/gcc12-x86_64.log");
    let got = parse(log, "/tmp/kcfix/linux-src", "/tmp/kcfix/build");
    assert!(got.iter().all(|d| !d.message.contains("treated as errors")));
    // The compile failed, so make's `*** [...] Error 1` lines are consequences.
    assert!(got.iter().all(|d| d.tool != Tool::Make));
}

#[test]
fn repeated_log_is_deduplicated() {
    for (log, src, build) in [
        (
            include_str!("../../../../tests/fixtures/logs/gcc12-x86_64.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        ),
        (
            include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-module-cc.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        ),
        (
            include_str!("../../../../tests/fixtures/logs/lld14.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        ),
    ] {
        let once = parse(log, src, build);
        let twice = parse(&format!("{log}{log}"), src, build);
        assert_eq!(once, twice);
    }
}

#[test]
fn cell_is_set() {
    let log = include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-modpost.log");
    let mut c = ctx("/tmp/explore/linux-source-6.12", "/tmp/diagk");
    c.cell = "arm64-defconfig-gcc".to_string();
    let got = parse_log(log, &c);
    assert!(!got.is_empty());
    assert!(got.iter().all(|d| d.cell == "arm64-defconfig-gcc"));
}

#[test]
fn path_canonicalisation() {
    let c = ctx("/cache/linux-source-6.12", "/cache/build/x86_64");
    let p = Parser::new(&c);
    assert_eq!(
        p.rel("/cache/linux-source-6.12/mm/mprotect.c"),
        "mm/mprotect.c"
    );
    assert_eq!(
        p.rel("../../linux-source-6.12/mm/mprotect.c"),
        "mm/mprotect.c"
    );
    assert_eq!(p.rel("mm/mprotect.c"), "mm/mprotect.c");
    assert_eq!(
        p.rel("./include/generated/autoconf.h"),
        "$(objtree)/include/generated/autoconf.h"
    );
    assert_eq!(
        p.rel("/cache/build/x86_64/include/generated/bounds.h"),
        "$(objtree)/include/generated/bounds.h"
    );
    assert_eq!(
        p.rel("/cache/linux-source-6.12/./mm/../include/linux/mm.h"),
        "include/linux/mm.h"
    );
    assert_eq!(p.rel("/elsewhere/bad.c"), "/elsewhere/bad.c");
    assert_eq!(p.rel("<command-line>"), "<command-line>");
    assert_eq!(p.rel("/../../"), "/");
    // Build directory inside the source tree: the longer root wins.
    let c = ctx("/src/linux", "/src/linux/build");
    let p = Parser::new(&c);
    assert_eq!(p.rel("../mm/mprotect.c"), "mm/mprotect.c");
    assert_eq!(
        p.rel("./include/generated/autoconf.h"),
        "$(objtree)/include/generated/autoconf.h"
    );
    // In-tree build: both roots are the same, paths are source-relative.
    let c = ctx("/src/linux/", "/src/linux");
    let p = Parser::new(&c);
    assert_eq!(p.rel("./include/linux/mm.h"), "include/linux/mm.h");
    assert_eq!(
        p.rel_text(">>> referenced by mprotect.c:12 (/src/linux/mm/mprotect.c:12)"),
        ">>> referenced by mprotect.c:12 (mm/mprotect.c:12)"
    );
    assert_eq!(
        p.rel_text("see https://gcc.gnu.org/x and /src/linux/mm/a.c:1"),
        "see https://gcc.gnu.org/x and mm/a.c:1"
    );
}

/// Tiny deterministic PRNG so the fuzz test needs no extra crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const ALL_FIXTURES: &[&str] = &[
    include_str!("../../../../tests/fixtures/logs/gcc12-x86_64.log"),
    include_str!("../../../../tests/fixtures/logs/gcc12-ppc64le.log"),
    include_str!("../../../../tests/fixtures/logs/gcc12-color.log"),
    include_str!("../../../../tests/fixtures/logs/clang14.log"),
    include_str!("../../../../tests/fixtures/logs/clang14-color.log"),
    include_str!("../../../../tests/fixtures/logs/ld-x86_64.log"),
    include_str!("../../../../tests/fixtures/logs/ld-ppc64le.log"),
    include_str!("../../../../tests/fixtures/logs/lld14.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-module-cc.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-modpost.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-module-warn.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-no-rule.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-missing-separator.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-no-hostcc.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-no-cross-cc.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-olddefconfig.log"),
    include_str!("../../../../tests/fixtures/logs/kernel612-x86_64-w1-kerneldoc.log"),
    include_str!("../../../../tests/fixtures/logs/ld-x86_64-asm.log"),
    include_str!("../../../../tests/fixtures/logs/kconfig-conf.log"),
    include_str!("../../../../tests/fixtures/logs/kconfig-syntax.log"),
];

#[test]
fn truncated_logs_do_not_panic() {
    let c = ctx("/tmp/explore/linux-source-6.12", "/tmp/diagk");
    for log in ALL_FIXTURES {
        // Cut every few characters: in the middle of every diagnostic and most lines.
        let step = (log.len() / 400).max(1);
        for (i, _) in log.char_indices().step_by(step) {
            let _ = parse_log(&log[..i], &c);
        }
        // And with lines dropped from the front.
        for (i, _) in log.match_indices('\n') {
            let _ = parse_log(&log[i..], &c);
        }
    }
}

#[test]
fn garbage_does_not_panic() {
    let c = ctx("/", "");
    let odd = [
        "",
        "\n\n\n",
        "|",
        "|\n|\n|\n|",
        "  |\n      |\n   1 |\n   99999999999999999999 | x\n",
        "^\n~~~^~~\n",
        "a.c:1:1: warning: x\n|\n^\n~\n",
        "a.c:99999999999999999999:99999999999999999999: error: big [-Werror=]",
        "a.c:1:2: error: [-W]\na.c:1:2: note:\n",
        "a.c:1:2: error:",
        ": : : :\n::::\n:1:2: error: x\n",
        "make: *** [",
        "make: *** []",
        "make[: *** [x] Error",
        "make[1]: *** [a:b:c] Error 2\nmake: *** [Makefile:1: __sub-make] Error 2\n",
        "ld: \nld: error: \nld.lld: error: undefined symbol: \n>>>\n>>> referenced by\n",
        ">>> referenced by (\n>>>  :(\n",
        "x86_64-linux-gnu-ld: : in function `':\n:(): undefined reference to `'\n",
        "ld: a.o:/b.c:: multiple definition of `x'; ",
        "ERROR: modpost: \"\" [.ko] undefined!\nWARNING: \nFATAL: \n",
        "WARNING: unmet direct dependencies detected for \n  Depends on\n",
        "Kconfig:: warning:\n.config:1:\n",
        "In file included from \n                 from \nIn function ‘’,\n    inlined from ‘’ at :\n",
        "a.c: In function ‘x’:\na.c: At top level:\n: In function 'y':\n",
        "\x1b[\x1b]8;;\x1b\x1b[01;35m\x1b",
        "\u{fffd}\u{fffd}:1:1: warning: \u{fffd} [-W\u{fffd}]\n   1 | \u{fffd}\n",
        "/bin/sh: 1: x: not found\n/bin/sh: 1: y\nmake: *** [a] Error 127\n",
        "./\n../\n/..\n.:1:1: error: x\n../../../../..:1:1: error: y\n",
    ];
    for s in odd {
        let _ = parse_log(s, &c);
    }
    // Huge lines, alone and inside a diagnostic.
    let huge = "a".repeat(1 << 20);
    let _ = parse_log(&huge, &c);
    let _ = parse_log(
        &format!("x.c:1:1: warning: {huge} [-W{huge}]\n 1 | {huge}\n"),
        &c,
    );
    let _ = parse_log(&"|".repeat(1 << 18), &c);
    let _ = parse_log(&"/..".repeat(1 << 16), &c);
    let _ = parse_log(&format!(">>> {}", "(".repeat(1 << 16)), &c);
    // Random bytes (lossily converted as the real input is) and random mixes of tokens.
    let tokens = [
        "/",
        "..",
        ":",
        "1",
        "12:3",
        " ",
        "\n",
        "|",
        "^",
        "~",
        "error",
        "warning",
        "note",
        ": ",
        "[-W",
        "]",
        "'",
        "‘",
        "’",
        "`",
        "make[2]: *** [",
        "ld: ",
        ">>> ",
        "In file ",
        "included from ",
        "In function ",
        "ERROR: modpost: ",
        "WARNING: ",
        ".config",
        "Kconfig",
        "\x1b[",
        "\t",
        "   12 | ",
        "  CC ",
        "inlined from ",
        "undefined reference to `",
    ];
    let mut rng = Lcg(0x5eed);
    for _ in 0..400 {
        let n = (rng.next() % 600) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let _ = parse_log(&String::from_utf8_lossy(&bytes), &c);
        let mut s = String::new();
        for _ in 0..(rng.next() % 200) {
            s.push_str(tokens[(rng.next() as usize) % tokens.len()]);
        }
        let _ = parse_log(&s, &c);
    }
    // Fixture lines shuffled into each other.
    let lines: Vec<&str> = ALL_FIXTURES.iter().flat_map(|l| l.lines()).collect();
    for _ in 0..200 {
        let mut s = String::new();
        for _ in 0..(rng.next() % 60) {
            s.push_str(lines[(rng.next() as usize) % lines.len()]);
            s.push('\n');
        }
        let got = parse_log(&s, &c);
        for d in got {
            assert_eq!(d.fingerprint, fingerprint(&d));
        }
    }
}
