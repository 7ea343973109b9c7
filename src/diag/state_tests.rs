use super::*;

fn d(file: &str, line: u32, msg: &str, src: &str) -> Diagnostic {
    crate::diag::test_warning(file, line, "-Wshadow", msg, src)
}

fn roots() -> Roots {
    Roots {
        source: "/src/linux".into(),
        build: "/cache/build/x".into(),
    }
}

fn tg() -> Vec<String> {
    vec!["vmlinux".to_string()]
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn keys_and_rebuilt_units() {
    let r = roots();
    assert_eq!(
        key_of(&d("mm/huge_memory.c", 1, "m", "x")),
        "u:mm/huge_memory"
    );
    assert_eq!(key_of(&d("mm/internal.h", 1, "m", "x")), "h:mm/internal.h");
    assert_eq!(r.relative("../../../src/linux/mm/x.c"), "mm/x.c");
    assert_eq!(r.relative("/src/linux/mm/x.c"), "mm/x.c");
    assert_eq!(
        r.relative("./include/generated/a.h"),
        "include/generated/a.h"
    );
    let log = "  CC      mm/huge_memory.o\n  CC [M]  drivers/x.o\n  CALL    /src/linux/scripts/checksyscalls.sh\n  DESCEND objtool\n";
    let set = rebuilt_units(log, &r);
    assert_eq!(
        set.into_iter().collect::<Vec<_>>(),
        ["drivers/x", "mm/huge_memory"]
    );
}

#[test]
fn carried_forward_until_recompiled_or_touched() {
    let r = roots();
    let none = BTreeSet::new();
    let mut st = DiagState::default();
    let hdr = d("mm/internal.h", 757, "shadow m", "int m;");
    let base = vec![
        d("mm/a.c", 10, "shadow x", "int x;"),
        d("mm/b.c", 5, "shadow y", "int y;"),
        hdr.clone(),
    ];
    st.update(&r, &tg(), base, &set(&["mm/a", "mm/b"]), &none);
    assert_eq!(st.all().len(), 3);
    // b recompiled with nothing to say, a not recompiled: a's warning is kept, and the
    // header's (b no longer printing it does not mean a does not).
    st.update(&r, &tg(), vec![], &set(&["mm/b"]), &none);
    let files: Vec<_> = st.all().into_iter().map(|d| d.file.unwrap()).collect();
    assert_eq!(files, ["mm/internal.h", "mm/a.c"]);
    // The header changed: what the rebuild printed is all it has.
    st.update(
        &r,
        &tg(),
        vec![],
        &set(&["mm/a", "mm/b"]),
        &set(&["mm/internal.h"]),
    );
    assert_eq!(st.all().len(), 0);
    st.update(&r, &tg(), vec![hdr.clone(), hdr], &set(&["mm/a"]), &none);
    assert_eq!(st.all().len(), 1);
}

#[test]
fn a_header_that_changed_on_disk_loses_its_diagnostics() {
    let t = tempfile::tempdir().unwrap();
    let r = Roots {
        source: t.path().join("src"),
        build: t.path().join("build"),
    };
    std::fs::create_dir_all(r.source.join("mm")).unwrap();
    std::fs::create_dir_all(&r.build).unwrap();
    std::fs::write(r.source.join("mm/internal.h"), "int m;\n").unwrap();
    let none = BTreeSet::new();
    let mut st = DiagState::default();
    st.update(
        &r,
        &tg(),
        vec![d("mm/internal.h", 1, "shadow m", "int m;")],
        &set(&["mm/a"]),
        &none,
    );
    // Nothing recompiled, the header as it was: kept (a warm no-op rebuild).
    st.update(&r, &tg(), vec![], &none, &none);
    assert_eq!(st.all().len(), 1);
    // The header rewritten (a new size): its diagnostics go, whatever the log says.
    std::fs::write(r.source.join("mm/internal.h"), "int m; int n;\n").unwrap();
    st.update(&r, &tg(), vec![], &set(&["mm/a"]), &none);
    assert!(st.all().is_empty());
}

#[test]
fn open_repairs_a_dirty_state_and_refreshes_an_untracked_dir() {
    let t = tempfile::tempdir().unwrap();
    let bd = t.path().join("b");
    std::fs::create_dir_all(bd.join("mm")).unwrap();
    std::fs::write(bd.join("mm/old.o"), "").unwrap();
    // No state: an untracked dir is removed and begun afresh.
    let (st, how) = DiagState::open(&bd).unwrap();
    assert_eq!(how, Recovery::Fresh);
    assert!(st.is_cold() && !bd.join("mm/old.o").exists());
    // Clean after a make: trusted.
    let mut st = st;
    st.begin(&bd).unwrap();
    std::fs::create_dir_all(bd.join("mm")).unwrap();
    std::fs::write(bd.join("mm/a.o"), "").unwrap();
    st.finish(
        &bd,
        &roots(),
        &tg(),
        vec![],
        &set(&["mm/a"]),
        &BTreeSet::new(),
    )
    .unwrap();
    let (st2, how) = DiagState::open(&bd).unwrap();
    assert_eq!(how, Recovery::Clean);
    assert!(!st2.is_cold());
    // Interrupted: what the make wrote after the dirty mark is removed.
    let mut st2 = st2;
    st2.begin(&bd).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(bd.join("mm/b.o"), "").unwrap();
    let (st3, how) = DiagState::open(&bd).unwrap();
    assert_eq!(how, Recovery::Repaired(1));
    assert!(!st3.dirty);
    assert!(bd.join("mm/a.o").exists() && !bd.join("mm/b.o").exists());
}

#[test]
fn outputs_of_an_interrupted_step_are_removed() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("mm")).unwrap();
    std::fs::write(d.path().join("mm/old.o"), "").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mark = std::time::SystemTime::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(d.path().join("mm/new.o"), "").unwrap();
    std::fs::write(d.path().join("mm/new.c"), "").unwrap();
    assert_eq!(remove_outputs_newer_than(d.path(), mark).unwrap(), 1);
    assert!(d.path().join("mm/old.o").exists() && !d.path().join("mm/new.o").exists());
    assert!(d.path().join("mm/new.c").exists());
}

#[test]
fn a_result_sees_the_view_of_its_own_targets() {
    let r = roots();
    let none = BTreeSet::new();
    let objs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut st = DiagState::default();
    let mut ld = d("", 0, "undefined reference to 'x'", "");
    ld.file = None;
    // One dir, two cells: one builds mm/a.o (its unit prints a header warning too), the
    // other mm/b.o, and an image build whose link warns.
    st.update(
        &r,
        &objs(&["mm/a.o"]),
        vec![
            d("mm/a.c", 1, "shadow x", "int x;"),
            d("mm/internal.h", 2, "shadow m", "int m;"),
        ],
        &set(&["mm/a"]),
        &none,
    );
    st.update(
        &r,
        &objs(&["mm/b.o"]),
        vec![d("mm/b.c", 1, "shadow y", "int y;")],
        &set(&["mm/b"]),
        &none,
    );
    st.update(
        &r,
        &objs(&["vmlinux"]),
        vec![ld],
        &set(&["init/main"]),
        &none,
    );
    let files = |v: Vec<Diagnostic>| {
        let mut f: Vec<String> = v.into_iter().map(|d| d.file.unwrap_or_default()).collect();
        f.sort();
        f
    };
    assert_eq!(
        files(st.view(&objs(&["mm/a.o"]))),
        ["mm/a.c", "mm/internal.h"]
    );
    assert_eq!(files(st.view(&objs(&["mm/b.o"]))), ["mm/b.c"]);
    assert_eq!(
        files(st.view(&objs(&["mm/a.o", "mm/b.o"]))),
        ["mm/a.c", "mm/b.c", "mm/internal.h"]
    );
    // The image: every unit and header, and its own link's.
    assert_eq!(
        files(st.view(&objs(&["vmlinux"]))),
        ["", "mm/a.c", "mm/b.c", "mm/internal.h"]
    );
    // Another image target list does not see vmlinux's link warning.
    assert_eq!(files(st.view(&objs(&["bzImage"]))).len(), 3);
}

/// make's own errors describe the make that printed them. A make that failed on a missing
/// `.config` (the real line below, from a build whose O= was wrong) and then one that ended
/// well with nothing to print: the second's view has no error. The counter-case: a header
/// warning printed by the first make is still the tree's after the second.
#[test]
fn a_make_error_ends_with_the_make_that_printed_it() {
    let r = roots();
    let none = BTreeSet::new();
    let ctx = crate::diag::ParseContext {
        source_root: "/src/linux".into(),
        build_root: "/cache/build/x".into(),
        cell: "c".into(),
    };
    let log = "make[2]: *** [/src/linux/Makefile:788: .config] Error 1\n\
               make[1]: *** [/src/linux/Makefile:236: __sub-make] Error 2\n";
    let mut failed = crate::diag::parse::parse_log(log, &ctx);
    assert!(
        failed.iter().any(
            |d| d.tool == crate::diag::Tool::Make && d.severity == crate::diag::Severity::Error
        ),
        "{failed:?}"
    );
    assert!(failed.iter().all(|d| key_of(d).is_empty()), "{failed:?}");
    let hdr = d("mm/internal.h", 757, "shadow m", "int m;");
    failed.push(hdr.clone());
    let mut st = DiagState::default();
    st.update(&r, &tg(), failed, &set(&["mm/a"]), &none);
    assert!(st.view(&tg()).iter().any(|d| d.is_error()));
    st.update(&r, &tg(), vec![], &none, &none);
    assert_eq!(st.view(&tg()), [hdr]);
}
