//! b4 friendliness, end to end through the real binary, on the real series and plain
//! linux-source-6.12 (where v1 stops at patch 1/7 before anything is built: these tests
//! build nothing). What `b4 am` wrote (tests/fixtures/b4, real b4 0.12 output) is read with
//! `--from-b4`; a Message-ID is looked up in a local mirror, or refused with how to fetch it.

mod common;

use std::path::PathBuf;

fn matrix() -> String {
    common::repo()
        .join("tests/fixtures/series/matrix.toml")
        .display()
        .to_string()
}

fn kcross(name: &str) -> (std::process::Command, PathBuf) {
    let out = common::out_dir(name);
    let mut c = common::kcross();
    c.env_remove("KCROSS_INBOX")
        .arg("series")
        .arg("--out")
        .arg(&out);
    (c, out)
}

/// `--from-b4 DIR MATRIX` gates the .mbx b4 wrote (with its .cover): the series is read (7
/// patches, the cover's subject) and checked on the base; v1 does not apply on plain 6.12,
/// so it stops at 1/7 naming the .mbx, with exit 2 and nothing written.
#[test]
fn from_b4_reads_the_mbx_and_its_cover() {
    let (mut c, out) = kcross("b4-from");
    c.arg("--from-b4")
        .arg(common::repo().join("tests/fixtures/b4/v1"))
        .arg(matrix());
    let (code, _stdout, stderr) = common::run(&mut c);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("20240621_peterx_mm_mprotect_fix_dax_puds.mbx: 7 patch(es) ([PATCH 0/7] mm/mprotect: Fix dax puds)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("patch 1/7 \"mm/dax: Dump start address in fault handler\""),
        "{stderr}"
    );
    assert!(!out.join("runs").exists(), "nothing written");
}

/// A Message-ID with a mirror (a directory holding the list's mbox) gates that thread; the
/// same id without one is exit 2 saying how to fetch it with b4; an empty --from-b4 dir too.
#[test]
fn a_message_id_needs_a_local_mirror() {
    let id = "<20240621142504.1940209-5-peterx@redhat.com>";
    let (mut c, _) = kcross("b4-msgid-none");
    c.arg(id).arg(matrix());
    let (code, _, stderr) = common::run(&mut c);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("b4 am -o . '20240621142504.1940209-5-peterx@redhat.com'")
            && stderr.contains("kcross series --from-b4 ."),
        "{stderr}"
    );
    assert!(
        !stderr.contains("source"),
        "refused before the source: {stderr}"
    );

    let mirror = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::repo().join("../shared/series/pud-v1-with-cover.mbox"),
        mirror.path().join("linuxppc-dev.mbox"),
    )
    .unwrap();
    let (mut c, _) = kcross("b4-msgid-env");
    c.env("KCROSS_INBOX", mirror.path()).arg(id).arg(matrix());
    let (code, _, stderr) = common::run(&mut c);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "series {id} in {}: 7 patch(es) ([PATCH 0/7] mm/mprotect: Fix dax puds)",
            mirror.path().display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("patch 1/7"), "{stderr}");

    let (mut c, _) = kcross("b4-msgid-unknown");
    c.arg("--inbox")
        .arg(mirror.path())
        .arg("<nope@example.org>")
        .arg(matrix());
    let (code, _, stderr) = common::run(&mut c);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no message <nope@example.org>"), "{stderr}");

    let empty = tempfile::tempdir().unwrap();
    let (mut c, _) = kcross("b4-empty");
    c.arg("--from-b4").arg(empty.path()).arg(matrix());
    let (code, _, stderr) = common::run(&mut c);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no *.mbx file here"), "{stderr}");
}
