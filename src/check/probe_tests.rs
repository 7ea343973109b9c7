//! `declared_at` on real gcc 12 and clang 14 output (`tests/fixtures/probe/`): a probe of the
//! same shape as kcross's, against a header with one helper of each kind.

use super::*;
use crate::diag::{parse_log, ParseContext};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/probe")
}

const HELPERS: &[&str] = &[
    "h_inline",
    "h_definition",
    "h_extern",
    "h_variable",
    "h_struct",
    "h_macro",
    "h_object_macro",
    "h_absent",
    "h_gen_inline",
    "h_gen_proto",
];

/// What both compilers must say: (kind, file:line), or not declared.
const WANT: &[Option<(DeclKind, &str)>] = &[
    Some((DeclKind::Definition, "arch/demo/include/asm/helpers.h:2")),
    Some((DeclKind::Definition, "include/linux/outer.h:5")),
    Some((DeclKind::Declaration, "arch/demo/include/asm/helpers.h:7")),
    Some((DeclKind::Declaration, "arch/demo/include/asm/helpers.h:9")),
    Some((DeclKind::Declaration, "arch/demo/include/asm/helpers.h:12")),
    Some((DeclKind::Macro, "arch/demo/include/asm/helpers.h:14")),
    Some((DeclKind::Macro, "arch/demo/include/asm/helpers.h:16")),
    None,
    Some((DeclKind::Definition, "arch/demo/include/asm/helpers.h:19")),
    Some((DeclKind::Declaration, "arch/demo/include/asm/helpers.h:24")),
];

struct Probe {
    diags: Vec<Diagnostic>,
    decl: String,
}

fn probe(log: &str) -> Probe {
    let tree = fixtures().join("tree");
    let text = std::fs::read_to_string(fixtures().join(log)).unwrap();
    let ctx = ParseContext {
        source_root: tree.clone(),
        build_root: tree.clone(),
        cell: "fixture".into(),
    };
    Probe {
        diags: parse_log(&text, &ctx),
        decl: std::fs::read_to_string(tree.join("kcross-probe/decl.c")).unwrap(),
    }
}

fn found(p: &Probe, root: &Path) -> Vec<Option<(DeclKind, String)>> {
    HELPERS
        .iter()
        .enumerate()
        .map(|(i, h)| declared_at(h, i, &p.diags, &p.decl, root).map(|d| (d.kind, d.at)))
        .collect()
}

fn want() -> Vec<Option<(DeclKind, String)>> {
    WANT.iter()
        .map(|w| w.map(|(k, at)| (k, at.to_string())))
        .collect()
}

#[test]
fn gcc_and_clang_notes_give_the_same_kind_and_place() {
    let root = fixtures().join("tree");
    let gcc = probe("gcc12.log");
    let clang = probe("clang14.log");
    assert_eq!(found(&gcc, &root), want(), "gcc");
    assert_eq!(found(&clang, &root), want(), "clang");
    // The two compilers' notes really differ: clang's names no helper, and calls the
    // prototype a "definition" (its kind is read from the source).
    let note = |p: &Probe, i: usize| declared_at(HELPERS[i], i, &p.diags, &p.decl, &root).unwrap();
    assert_eq!(
        note(&gcc, 2).note,
        "previous declaration of 'h_extern' with type 'int(int)'"
    );
    assert_eq!(note(&clang, 2).note, "previous definition is here");
    assert_eq!(note(&clang, 5).note, "previous definition is here");
    // gcc's macro note has no column; the place is still file:line.
    assert!(gcc.diags.iter().flat_map(|d| &d.notes).any(|n| n
        == "arch/demo/include/asm/helpers.h:14: note: this is the location of the previous definition"));
}

#[test]
fn a_note_belongs_to_the_helper_whose_redeclaration_it_follows() {
    let root = fixtures().join("tree");
    for log in ["gcc12.log", "clang14.log"] {
        let p = probe(log);
        // Block 1 is h_definition's: its note is not h_inline's, nor is block 0's note
        // h_definition's.
        assert_eq!(
            declared_at("h_inline", 1, &p.diags, &p.decl, &root),
            None,
            "{log}"
        );
        assert_eq!(
            declared_at("h_definition", 0, &p.diags, &p.decl, &root),
            None,
            "{log}"
        );
    }
}

#[test]
fn without_the_source_clang_cannot_tell_a_definition_from_a_prototype() {
    // Counter-case of reading the kind from the source: with no tree to read, clang's
    // "previous definition is here" of an inline function is taken for a declaration (which
    // then must be proved by a built object), while gcc's wording alone says definition.
    let nowhere = fixtures().join("no-such-tree");
    let gcc = found(&probe("gcc12.log"), &nowhere);
    let clang = found(&probe("clang14.log"), &nowhere);
    assert_eq!(gcc, want());
    assert_eq!(
        clang[0],
        Some((
            DeclKind::Declaration,
            "arch/demo/include/asm/helpers.h:2".into()
        ))
    );
    assert_eq!(clang[2], want()[2]);
    assert_eq!(clang[5], want()[5]);
}

#[test]
fn locations_with_and_without_a_column() {
    assert_eq!(file_line("a/b.h:878:21").as_deref(), Some("a/b.h:878"));
    assert_eq!(file_line("a/b.h:1270").as_deref(), Some("a/b.h:1270"));
    assert_eq!(file_line("<command-line>"), None);
    assert_eq!(file_line("a/b.h"), None);
}

/// The probe logs of a real `kcross check` of linux-source-6.12 on x86_64 (tinyconfig +
/// the pud-helpers fragments), and the headers their notes point into.
fn kernel_probe(log: &str, build_dir: &str) -> Probe {
    kernel_probe_of(log, build_dir, "decl.c")
}

fn kernel_probe_of(log: &str, build_dir: &str, decl: &str) -> Probe {
    let k = "/work/wt-clang/target/tmp/kcross-cache";
    let text = std::fs::read_to_string(fixtures().join(log)).unwrap();
    let ctx = ParseContext {
        source_root: PathBuf::from(format!("{k}/src/c93391b6a4884e64/linux-source-6.12")),
        build_root: PathBuf::from(format!("{k}/build/c93391b6a4884e64/{build_dir}")),
        cell: "x86_64".into(),
    };
    let decl = fixtures().join("kernel612/kcross-probe").join(decl);
    Probe {
        diags: parse_log(&text, &ctx),
        decl: std::fs::read_to_string(decl).unwrap(),
    }
}

#[test]
fn the_real_x86_64_probe_reads_the_same_with_gcc_and_clang() {
    let root = fixtures().join("kernel612");
    let helpers = [
        "pudp_invalidate",
        "pud_modify",
        "pud_mkinvalid",
        "pudp_establish",
        "change_huge_pud",
    ];
    let want = [
        (DeclKind::Declaration, "arch/x86/include/asm/pgtable.h:1458"),
        (DeclKind::Definition, "arch/x86/include/asm/pgtable.h:878"),
        (DeclKind::Definition, "arch/x86/include/asm/pgtable.h:814"),
        (DeclKind::Definition, "arch/x86/include/asm/pgtable.h:1440"),
        (DeclKind::Declaration, "include/linux/huge_mm.h:384"),
    ];
    for (log, dir) in [
        ("kernel612-x86_64-gcc12.log", "x86_64-gcc-9ceac0e1910dd139"),
        (
            "kernel612-x86_64-clang14.log",
            "x86_64-clang-56cdab2bf046e7a8",
        ),
    ] {
        let p = kernel_probe(log, dir);
        for (i, (h, (kind, at))) in helpers.iter().zip(want).enumerate() {
            let d = declared_at(h, i, &p.diags, &p.decl, &root);
            assert_eq!(
                d.as_ref().map(|d| (d.kind, d.at.as_str())),
                Some((kind, at)),
                "{log}: {h}"
            );
        }
    }
    // kbuild unexports LC_ALL, so gcc quotes with ‘’ there; clang's notes are bare.
    let gcc = kernel_probe("kernel612-x86_64-gcc12.log", "x86_64-gcc-9ceac0e1910dd139");
    assert_eq!(
        gcc.diags[0].message,
        "‘pudp_invalidate’ redeclared as different kind of symbol"
    );
    let clang = kernel_probe(
        "kernel612-x86_64-clang14.log",
        "x86_64-clang-56cdab2bf046e7a8",
    );
    assert_eq!(
        clang.diags[0].notes,
        ["arch/x86/include/asm/pgtable.h:1458:7: note: previous definition is here"]
    );
}

#[test]
fn real_x86_64_macros_read_the_same_with_gcc_and_clang() {
    // pud_write is `#define pud_write pud_write`; native_cpuid_eax is a static inline made
    // by the macro native_cpuid_reg(); inb_p is not in the headers the probe includes.
    let root = fixtures().join("kernel612");
    let helpers = ["pud_write", "inb_p", "native_cpuid_eax"];
    let want = [
        Some((DeclKind::Macro, "arch/x86/include/asm/pgtable.h:231")),
        None,
        Some((DeclKind::Definition, "arch/x86/include/asm/cpuid.h:44")),
    ];
    let logs = [
        (
            "kernel612-x86_64-gcc12-macros.log",
            "x86_64-gcc-7944c32d825a3627",
        ),
        (
            "kernel612-x86_64-clang14-macros.log",
            "x86_64-clang-7db07fe1d903f395",
        ),
    ];
    for (log, dir) in logs {
        let p = kernel_probe_of(log, dir, "decl-macros.c");
        for (i, (h, w)) in helpers.iter().zip(want).enumerate() {
            let d = declared_at(h, i, &p.diags, &p.decl, &root);
            assert_eq!(d.as_ref().map(|d| (d.kind, d.at.as_str())), w, "{log}: {h}");
        }
    }
    // What tells them apart: gcc's macro note has no column, and clang's note for the
    // macro-made helper is at the expansion (cpuid.h:56), two notes before cpuid.h:44.
    let gcc = kernel_probe_of(logs[0].0, logs[0].1, "decl-macros.c");
    assert!(gcc.diags[0].notes.iter().any(|n| n
        == "arch/x86/include/asm/pgtable.h:231: note: this is the location of the previous definition"));
    let clang = kernel_probe_of(logs[1].0, logs[1].1, "decl-macros.c");
    let cpuid = clang
        .diags
        .iter()
        .find(|d| d.message.contains("'native_cpuid_eax'"))
        .unwrap();
    assert_eq!(
        cpuid.notes[0],
        "arch/x86/include/asm/cpuid.h:56:1: note: previous definition is here"
    );
    assert_eq!(
        cpuid.notes[1],
        "arch/x86/include/asm/cpuid.h:44:28: note: expanded from macro 'native_cpuid_reg'"
    );
}
