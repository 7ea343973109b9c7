//! `verdict` on constructed findings (no kernel build): each verdict, and what tells it from
//! its neighbour.

use super::*;
use crate::diag::{Severity, Tool};

const H: &str = "pud_mkinvalid";

fn diag(file: &str, line: u32, severity: Severity, message: &str, notes: &[&str]) -> Diagnostic {
    Diagnostic {
        code: "cc-error".into(),
        severity,
        tool: Tool::Compiler,
        file: Some(file.into()),
        line: Some(line),
        column: Some(1),
        flag: None,
        message: message.into(),
        function: None,
        source_line: None,
        notes: notes.iter().map(|s| s.to_string()).collect(),
        cell: "c".into(),
        fingerprint: String::new(),
    }
}

/// The probe's decl.c for one helper: its redeclaration is line 3.
const DECL: &str = "/* probe */\n/* kcross-helper 0 */\nstruct kcross_probe pud_mkinvalid;\n";

/// The probe's error on line 3 with gcc's note.
fn probe_note(note: &str) -> Vec<Diagnostic> {
    probe_diag(
        Severity::Error,
        "'pud_mkinvalid' redeclared as different kind of symbol",
        note,
    )
}

/// The probe's diagnostic on line 3 with its note.
fn probe_diag(severity: Severity, message: &str, note: &str) -> Vec<Diagnostic> {
    vec![diag(
        "$(objtree)/kcross-probe/decl.c",
        3,
        severity,
        message,
        &[note],
    )]
}

fn site(at: &str, object: &str, definition: bool, compiled: Truth, cond: &[&str]) -> Site {
    Site {
        helper: H.into(),
        at: at.into(),
        object: object.into(),
        definition,
        compiled,
        conditions: cond.iter().map(|s| s.to_string()).collect(),
        object_gate: None,
        object_built: None,
        header: false,
    }
}

/// A tree with the lines the verdict quotes.
fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let put = |p: &str, text: &str| {
        let f = d.path().join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    put(
        "arch/x86/include/asm/pgtable.h",
        "/* x86 */\n\nstatic inline pud_t pud_mkinvalid(pud_t pud)\n{\n\treturn pud;\n}\n",
    );
    put(
        "include/linux/pgtable.h",
        "\n\nstatic inline pud_t pud_mkinvalid(pud_t pud)\n",
    );
    put(
        "arch/powerpc/include/asm/book3s/64/pgtable.h",
        "\n\nextern pud_t pud_mkinvalid(pud_t pud);\n",
    );
    put(
        "arch/riscv/include/asm/pgtable.h",
        "static inline pud_t pud_mkinvalid(pud_t pud)\n{\n\treturn pud;\n}\n",
    );
    put(
        "mm/huge_memory.c",
        "\n\n\n\n\n\n\n\n\n\tpud = pud_mkinvalid(pud);\n",
    );
    d
}

const WHO: Who = Who {
    cell: "x86_64-gcc-pud",
    arch: "x86_64",
    srcarch: "x86",
};

fn judge(
    root: &Path,
    sites: &[Site],
    obj: &[Diagnostic],
    probe: &[Diagnostic],
    syms: &BTreeMap<String, Symbols>,
) -> HelperResult {
    let f = Findings {
        sites,
        obj_diags: obj,
        probe_diags: probe,
        decl_text: DECL,
        syms,
        root,
    };
    verdict(&WHO, H, 0, &f)
}

#[test]
fn provided_by_the_arch_as_a_static_inline() {
    let t = tree();
    let probe = probe_note("arch/x86/include/asm/pgtable.h:3:21: note: previous definition of 'pud_mkinvalid' with type 'pud_t(pud_t)'");
    let r = judge(t.path(), &[], &[], &probe, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::Provided);
    assert_eq!(r.kind.as_deref(), Some("static inline"));
    assert_eq!(r.provider.as_deref(), Some("arch"));
    assert_eq!(
        r.summary,
        "static inline at arch/x86/include/asm/pgtable.h:3"
    );
    // Counter-case: a note about another helper is not this helper's declaration.
    let other = probe_note("arch/x86/include/asm/pgtable.h:3:21: note: previous definition of 'pud_modify' with type 'pud_t(pud_t)'");
    let r = judge(t.path(), &[], &[], &other, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::NotRequired);
    assert_eq!(r.provider, None);
}

#[test]
fn provided_generically() {
    let t = tree();
    let probe = probe_note("include/linux/pgtable.h:3:21: note: previous definition of 'pud_mkinvalid' with type 'pud_t(pud_t)'");
    let r = judge(t.path(), &[], &[], &probe, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::Provided);
    assert_eq!(r.provider.as_deref(), Some("generic"));
    assert!(r.summary.ends_with("(generic fallback)"), "{}", r.summary);
}

#[test]
fn a_macro_is_provided() {
    let t = tree();
    let probe = probe_note(
        "arch/x86/include/asm/pgtable.h:3:9: note: this is the location of the previous definition",
    );
    let r = judge(t.path(), &[], &[], &probe, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::Provided);
    assert_eq!(r.kind.as_deref(), Some("macro"));
}

#[test]
fn not_required_names_the_gating_symbol() {
    let t = tree();
    let uses = [site(
        "mm/huge_memory.c:10",
        "mm/huge_memory.o",
        false,
        Truth::False,
        &["defined(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD)"],
    )];
    let r = judge(t.path(), &uses, &[], &[], &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::NotRequired);
    assert!(
        r.summary
            .contains("compiled only with CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD (=n here)"),
        "{}",
        r.summary
    );
    assert_eq!(r.evidence[0].at.as_deref(), Some("mm/huge_memory.c:10"));
    // An arch that defines it elsewhere is named when nothing gates a use.
    let r = judge(t.path(), &[], &[], &[], &BTreeMap::new());
    assert!(
        r.summary.contains("defined only in arch/riscv"),
        "{}",
        r.summary
    );
}

#[test]
fn missing_when_a_built_object_fails_on_it() {
    let t = tree();
    let uses = [site(
        "mm/huge_memory.c:10",
        "mm/huge_memory.o",
        false,
        Truth::True,
        &[],
    )];
    let err = [diag(
        "mm/huge_memory.c",
        10,
        Severity::Error,
        "implicit declaration of function 'pud_mkinvalid'",
        &[],
    )];
    let r = judge(t.path(), &uses, &err, &[], &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::Missing);
    assert_eq!(
        r.summary,
        "mm/huge_memory.c:10:1: implicit declaration of function 'pud_mkinvalid'"
    );
    assert_eq!(
        r.evidence[1].what,
        "referenced here: pud = pud_mkinvalid(pud);"
    );
    // Counter-case: a warning about it, or an error about something else, is not missing.
    let mut warn = err.clone();
    warn[0].severity = Severity::Warning;
    assert_ne!(
        judge(t.path(), &uses, &warn, &[], &BTreeMap::new()).verdict,
        HelperVerdict::Missing
    );
    let mut other = err.clone();
    other[0].message = "implicit declaration of function 'pud_mkinvalid_x'".into();
    assert_ne!(
        judge(t.path(), &uses, &other, &[], &BTreeMap::new()).verdict,
        HelperVerdict::Missing
    );
}

#[test]
fn an_extern_is_unresolved_until_a_built_object_defines_it() {
    let t = tree();
    let probe = probe_note("arch/powerpc/include/asm/book3s/64/pgtable.h:3:14: note: previous declaration of 'pud_mkinvalid' with type 'pud_t(pud_t)'");
    let def = site(
        "arch/powerpc/mm/book3s64/pgtable.c:40",
        "arch/powerpc/mm/book3s64/pgtable.o",
        true,
        Truth::True,
        &[],
    );
    let mut syms = BTreeMap::new();
    let mut user = Symbols::default();
    user.undefined.insert(H.to_string());
    syms.insert("mm/huge_memory.o".to_string(), user);
    let r = judge(t.path(), std::slice::from_ref(&def), &[], &probe, &syms);
    assert_eq!(r.verdict, HelperVerdict::Unresolved);
    assert_eq!(r.kind.as_deref(), Some("extern function"));
    assert!(
        r.summary.contains("referenced (mm/huge_memory.o)"),
        "{}",
        r.summary
    );
    // The defining object built, with the symbol: provided.
    let mut definer = Symbols::default();
    definer.defined.insert(H.to_string());
    syms.insert("arch/powerpc/mm/book3s64/pgtable.o".to_string(), definer);
    let r = judge(t.path(), &[def], &[], &probe, &syms);
    assert_eq!(r.verdict, HelperVerdict::Provided);
    assert!(
        r.summary
            .contains("defined at arch/powerpc/mm/book3s64/pgtable.c:40"),
        "{}",
        r.summary
    );
    // Declared but referenced by nothing built: not required.
    let r = judge(t.path(), &[], &[], &probe, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::NotRequired);
    assert!(r.summary.starts_with("declared at"), "{}", r.summary);
}

/// clang 14's words (as in tests/fixtures/probe/clang14.log): the note names no helper, and
/// says "definition" for a prototype too.
const CLANG_REDEF: &str = "redefinition of 'pud_mkinvalid' as different kind of symbol";

#[test]
fn clang_notes_give_the_same_verdicts_as_gcc() {
    let t = tree();
    // A static inline in the arch header.
    let probe = probe_diag(
        Severity::Error,
        CLANG_REDEF,
        "arch/x86/include/asm/pgtable.h:3:21: note: previous definition is here",
    );
    let r = judge(t.path(), &[], &[], &probe, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::Provided);
    assert_eq!(r.kind.as_deref(), Some("static inline"));
    assert_eq!(r.provider.as_deref(), Some("arch"));
    assert_eq!(
        r.summary,
        "static inline at arch/x86/include/asm/pgtable.h:3"
    );
    // A macro: clang's -Wmacro-redefined warning and its note.
    let probe = probe_diag(
        Severity::Warning,
        "'pud_mkinvalid' macro redefined",
        "include/linux/pgtable.h:3:9: note: previous definition is here",
    );
    let r = judge(t.path(), &[], &[], &probe, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::Provided);
    assert_eq!(r.kind.as_deref(), Some("macro"));
    assert_eq!(r.provider.as_deref(), Some("generic"));
    assert_eq!(
        r.summary,
        "macro at include/linux/pgtable.h:3 (generic fallback)"
    );
    // A prototype, which clang also calls "previous definition": an extern function, so it
    // is unresolved while something built references it and nothing built defines it.
    let probe = probe_diag(
        Severity::Error,
        CLANG_REDEF,
        "arch/powerpc/include/asm/book3s/64/pgtable.h:3:14: note: previous definition is here",
    );
    let mut syms = BTreeMap::new();
    let mut user = Symbols::default();
    user.undefined.insert(H.to_string());
    syms.insert("mm/huge_memory.o".to_string(), user);
    let r = judge(t.path(), &[], &[], &probe, &syms);
    assert_eq!(r.verdict, HelperVerdict::Unresolved);
    assert_eq!(r.kind.as_deref(), Some("extern function"));
    assert!(
        r.summary.starts_with(
            "declared at arch/powerpc/include/asm/book3s/64/pgtable.h:3 and referenced"
        ),
        "{}",
        r.summary
    );
    // Counter-case: the same note after another helper's error is not this helper's.
    let other = probe_diag(
        Severity::Error,
        "redefinition of 'pud_modify' as different kind of symbol",
        "arch/x86/include/asm/pgtable.h:3:21: note: previous definition is here",
    );
    let r = judge(t.path(), &[], &[], &other, &BTreeMap::new());
    assert_eq!(r.verdict, HelperVerdict::NotRequired);
    assert_eq!(r.kind, None);
}
