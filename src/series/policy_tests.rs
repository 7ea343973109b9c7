use super::*;

fn patch(index: usize, text: &str) -> Patch {
    Patch {
        index,
        total: 3,
        subject: format!("change {index}"),
        raw_subject: format!("[PATCH {index}/3] change {index}"),
        author: None,
        origin: format!("t.mbox:{index}"),
        files: crate::series::mbox::touched_files(text),
        message_id: None,
        in_reply_to: None,
        references: vec![],
        sha256: String::new(),
        text: text.into(),
    }
}

fn series(patches: Vec<Patch>) -> Series {
    Series {
        origin: "t.mbox".into(),
        kind: crate::series::SeriesKind::Mbox,
        version: None,
        cover: None,
        cover_message_id: None,
        skipped: vec![],
        patches,
    }
}

fn modify(path: &str) -> String {
    format!(
        "Subject: x\n\n---\ndiff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"
    )
}

fn verdict(base: &Path, texts: &[&str]) -> std::result::Result<(), String> {
    let ps = texts
        .iter()
        .enumerate()
        .map(|(i, t)| patch(i + 1, t))
        .collect();
    check(&series(ps), base).map_err(|e| e.to_string())
}

#[test]
fn an_ordinary_patch_passes_and_paths_that_escape_are_refused() {
    let t = tempfile::tempdir().unwrap();
    assert_eq!(verdict(t.path(), &[&modify("mm/mprotect.c")]), Ok(()));
    let e = verdict(
        t.path(),
        &[&modify("mm/mprotect.c"), &modify("../etc/passwd")],
    )
    .unwrap_err();
    assert!(
        e.contains("2/3") && e.contains("../etc/passwd") && e.contains(".."),
        "{e}"
    );
    let e = verdict(t.path(), &[&modify("/etc/passwd")]).unwrap_err();
    assert!(e.contains("/etc/passwd") && e.contains("absolute"), "{e}");
    let e = verdict(t.path(), &[&modify("mm/../../x")]).unwrap_err();
    assert!(e.contains("mm/../../x"), "{e}");
}

#[test]
fn a_write_through_a_symlink_is_refused_whoever_made_it() {
    let t = tempfile::tempdir().unwrap();
    // In the base tree.
    std::fs::create_dir_all(t.path().join("mm")).unwrap();
    std::os::unix::fs::symlink("/tmp", t.path().join("mm/out")).unwrap();
    let e = verdict(t.path(), &[&modify("mm/out/x.c")]).unwrap_err();
    assert!(
        e.contains("mm/out/x.c") && e.contains("symlink mm/out of the base tree"),
        "{e}"
    );
    // Made by an earlier patch, with a target inside the tree: allowed itself, but a later
    // write through it is refused.
    let link = "Subject: l\n\n---\ndiff --git a/lib/here b/lib/here\nnew file mode 120000\nindex 0000000..1111111\n--- /dev/null\n+++ b/lib/here\n@@ -0,0 +1 @@\n+../mm\n\\ No newline at end of file\n";
    let t2 = tempfile::tempdir().unwrap();
    assert_eq!(verdict(t2.path(), &[link]), Ok(()));
    let e = verdict(t2.path(), &[link, &modify("lib/here/mprotect.c")]).unwrap_err();
    assert!(
        e.contains("2/3") && e.contains("an earlier patch created"),
        "{e}"
    );
    // A symlink that points out of the tree is refused itself.
    let out = link.replace("+../mm", "+../../../etc");
    let e = verdict(t2.path(), &[&out]).unwrap_err();
    assert!(
        e.contains("lib/here") && e.contains("outside the tree"),
        "{e}"
    );
    let abs = link.replace("+../mm", "+/etc");
    assert!(verdict(t2.path(), &[&abs]).is_err());
}

#[test]
fn binary_patches_and_setuid_modes_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let bin = "Subject: b\n\n---\ndiff --git a/fw/blob.bin b/fw/blob.bin\nnew file mode 100644\nindex 0000000..1111111\nGIT binary patch\nliteral 4\nLcmZ?d00001\n\nliteral 0\nHcmV?d00001\n";
    let e = verdict(t.path(), &[bin]).unwrap_err();
    assert!(e.contains("fw/blob.bin") && e.contains("binary"), "{e}");
    let suid =
        "Subject: s\n\n---\ndiff --git a/scripts/x b/scripts/x\nold mode 100755\nnew mode 104755\n";
    let e = verdict(t.path(), &[suid]).unwrap_err();
    assert!(e.contains("scripts/x") && e.contains("104755"), "{e}");
    let exec =
        "Subject: e\n\n---\ndiff --git a/scripts/x b/scripts/x\nold mode 100644\nnew mode 100755\n";
    assert_eq!(verdict(t.path(), &[exec]), Ok(()));
    let sub = "Subject: m\n\n---\ndiff --git a/ext b/ext\nnew file mode 160000\nindex 0000000..1111111\n--- /dev/null\n+++ b/ext\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n";
    assert!(verdict(t.path(), &[sub]).unwrap_err().contains("160000"));
}

#[test]
fn the_real_v5_series_passes_the_policy() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/series/pud-v5-with-cover.mbox"),
    )
    .unwrap();
    let msgs = crate::series::mbox::split_mbox(&text);
    let ps: Vec<Patch> = msgs
        .iter()
        .filter(|m| crate::series::mbox::has_diff(&m.body))
        .enumerate()
        .map(|(i, m)| patch(i + 1, &m.body))
        .collect();
    assert_eq!(ps.len(), 7);
    let t = tempfile::tempdir().unwrap();
    assert_eq!(
        check(&series(ps), t.path()).map_err(|e| e.to_string()),
        Ok(())
    );
}
