use super::*;
use crate::series::mbox;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared(p: &str) -> PathBuf {
    repo().join("../shared/series").join(p)
}

fn b4(v: &str) -> PathBuf {
    repo().join("tests/fixtures/b4").join(v)
}

fn load_file(p: &Path) -> Series {
    let text = std::fs::read_to_string(p).unwrap();
    let mut msgs = mbox::split_mbox(&text);
    if let Some(c) = b4_cover(p).unwrap() {
        msgs.insert(0, c);
    }
    let name = p.display().to_string();
    mbox::from_messages(
        &name,
        SeriesKind::Mbox,
        msgs.into_iter().map(|m| (m, name.clone())).collect(),
    )
    .unwrap()
}

#[test]
fn message_ids_are_recognised() {
    assert_eq!(
        as_message_id("<20240621142504.1940209-5-peterx@redhat.com>").as_deref(),
        Some("20240621142504.1940209-5-peterx@redhat.com")
    );
    assert_eq!(as_message_id("id:a.b@c").as_deref(), Some("a.b@c"));
    for not in [
        "series.mbox",
        "HEAD~2..HEAD",
        "dir/a@b",
        "a@b@c",
        "a b@c",
        "",
    ] {
        assert_eq!(as_message_id(not), None, "{not}");
    }
}

/// b4's .mbx (real b4 0.12 output of the v1 list mbox) reads as the same series as the list
/// mbox: same patches, same message ids, the cover from the `.cover` beside it; only b4's
/// `Link:` trailer differs.
#[test]
fn b4_am_output_is_the_same_series_as_the_list_mbox() {
    let mbx = newest_b4(&b4("v1")).unwrap();
    assert_eq!(mbx.extension().unwrap(), "mbx");
    let from_b4 = load_file(&mbx);
    let list = load_file(&shared("pud-v1-with-cover.mbox"));
    assert_eq!(from_b4.patches.len(), 7);
    assert_eq!(from_b4.cover, list.cover);
    assert_eq!(
        from_b4.cover_message_id.as_deref(),
        Some("20240621142504.1940209-1-peterx@redhat.com")
    );
    for (a, b) in from_b4.patches.iter().zip(&list.patches) {
        assert_eq!(a.raw_subject, b.raw_subject);
        assert_eq!(a.message_id, b.message_id);
        assert_eq!(a.files, b.files);
        // The list mbox threads each patch under the cover; b4 drops the threading headers.
        assert_eq!(
            b.in_reply_to.as_deref(),
            Some("20240621142504.1940209-1-peterx@redhat.com")
        );
        assert_eq!(a.in_reply_to, None);
        let link = format!(
            "Link: https://lore.kernel.org/r/{}\n",
            a.message_id.as_deref().unwrap()
        );
        assert!(a.text.contains(&link), "{}", a.raw_subject);
        assert_eq!(a.text.replacen(&link, "", 1), b.text, "{}", a.raw_subject);
    }
    assert_eq!(
        from_b4.patches[3].message_id.as_deref(),
        Some("20240621142504.1940209-5-peterx@redhat.com")
    );
}

/// v5 through b4: trailers (Acked-by, Reviewed-by, Link) stay in the commit message and do not
/// end the headers or the patch early.
#[test]
fn b4_trailers_do_not_break_parsing() {
    let s = load_file(&newest_b4(&b4("v5")).unwrap());
    assert_eq!(s.version, Some(5));
    assert_eq!(s.patches.len(), 7);
    assert_eq!(
        s.cover.as_deref(),
        Some("[PATCH v5 0/7] mm/mprotect: Fix dax puds")
    );
    let p = &s.patches[3];
    assert!(p.text.contains("Acked-by: Dave Hansen"), "{}", p.text);
    assert!(p.text.contains("Reviewed-by: David Hildenbrand"));
    assert!(mbox::has_diff(&p.text));
    assert_eq!(p.author.as_deref(), Some("Peter Xu <peterx@redhat.com>"));
}

#[test]
fn from_b4_takes_the_newest_mbx_and_refuses_an_empty_dir() {
    let d = tempfile::tempdir().unwrap();
    let e = newest_b4(d.path()).unwrap_err().to_string();
    assert!(e.contains("no *.mbx file") && e.contains("b4 am"), "{e}");
    std::fs::write(d.path().join("old.mbx"), "x").unwrap();
    std::fs::write(d.path().join("notes.txt"), "x").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::write(d.path().join("a-new.mbx"), "x").unwrap();
    std::fs::File::options()
        .write(true)
        .open(d.path().join("a-new.mbx"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(newest_b4(d.path()).unwrap(), d.path().join("a-new.mbx"));
}

/// A message id is looked up in a local mirror: a directory holding the two real list mboxes
/// (v1 and v5 of the series), and a maildir made of v1's messages, one per file. The cover's
/// id and a patch's id both give the whole series; an unknown id names the inbox.
#[test]
fn a_message_id_in_a_local_inbox() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("mboxes");
    std::fs::create_dir(&dir).unwrap();
    for f in ["pud-v1-with-cover.mbox", "pud-v5-with-cover.mbox"] {
        std::fs::copy(shared(f), dir.join(f)).unwrap();
    }
    let cover = "20240621142504.1940209-1-peterx@redhat.com";
    let Located::Thread(s) = resolve(Some(&format!("<{cover}>")), None, Some(&dir)).unwrap() else {
        panic!("not a thread")
    };
    assert_eq!(s.patches.len(), 7);
    assert_eq!(
        s.version, None,
        "v1 has no version tag, v5 must not leak in"
    );
    assert_eq!(s.cover_message_id.as_deref(), Some(cover));
    let Located::Thread(s5) = resolve(
        Some("20240812181225.1360970-5-peterx@redhat.com"),
        None,
        Some(&dir),
    )
    .unwrap() else {
        panic!("not a thread")
    };
    assert_eq!((s5.version, s5.patches.len()), (Some(5), 7));

    // A maildir: each message of v1 in its own file under cur/.
    let md = d.path().join("maildir");
    std::fs::create_dir_all(md.join("cur")).unwrap();
    std::fs::create_dir_all(md.join("new")).unwrap();
    let text = std::fs::read_to_string(shared("pud-v1-with-cover.mbox")).unwrap();
    let mut n = 0;
    let mut cur = String::new();
    for l in text.split_inclusive('\n') {
        if l.starts_with("From peterx@redhat.com ") && !cur.is_empty() {
            std::fs::write(md.join("cur").join(format!("{n}:2,S")), &cur).unwrap();
            n += 1;
            cur.clear();
        } else if !l.starts_with("From peterx@redhat.com ") {
            cur.push_str(l);
        }
    }
    std::fs::write(md.join("new").join(format!("{n}")), &cur).unwrap();
    assert_eq!(n + 1, 8);
    let inbox = Inbox::open(&md).unwrap();
    assert_eq!(inbox.messages.len(), 8);
    let s = inbox
        .thread("20240621142504.1940209-5-peterx@redhat.com")
        .unwrap();
    assert_eq!(s.patches.len(), 7);
    assert_eq!(s.patches[3].subject, "mm/powerpc: Add missing pud helpers");

    let e = inbox.thread("nope@example.org").unwrap_err().to_string();
    assert!(
        e.contains("no message <nope@example.org>") && e.contains("b4 am"),
        "{e}"
    );
}

/// Without a mirror, a message id is bad input (exit 2) that says how to fetch it with b4.
#[test]
fn a_message_id_without_an_inbox_says_how_to_fetch_it() {
    let e = resolve(
        Some("<20240621142504.1940209-1-peterx@redhat.com>"),
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let m = e.to_string();
    assert!(
        m.contains("b4 am -o . '20240621142504.1940209-1-peterx@redhat.com'")
            && m.contains("kcross series --from-b4 .")
            && m.contains("--inbox"),
        "{m}"
    );
    let e = resolve(None, None, None).unwrap_err().to_string();
    assert!(e.contains("--from-b4"), "{e}");
}
