//! Reading a patch series: an mbox (mailing-list archive or `git format-patch --stdout`), a
//! directory of `*.patch` files, or a git revision range of the source tree. The cover letter
//! (`0/N`), replies and any message without a diff are skipped; patches are ordered by their
//! `[PATCH vN k/N]` number when every patch has one, else kept in file order.

use super::{Patch, Series, SeriesKind};
use crate::error::{Error, IoContext, Result};
use crate::source::{SourceKind, SourceTree};
use regex::Regex;
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

/// One message of a mailbox, headers unfolded and the body decoded.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub from: Option<String>,
    pub body: String,
    /// 1-based line of the message's first line in its file.
    pub line: usize,
    /// `Message-ID`, `In-Reply-To` and `References`, without the angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The message's exact text, from its `From ` separator line to the next one (a
    /// `git format-patch` file's content): what KCIDB's `patchset_hash` hashes.
    pub raw: String,
}

/// What a subject says: `[RFC PATCH v5 3/7] mm: foo` -> version 5, 3 of 7, `mm: foo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTag {
    pub is_reply: bool,
    pub version: Option<u32>,
    pub number: Option<(u32, u32)>,
    /// The subject without `Re:` and the bracketed tags.
    pub title: String,
}

static FROM_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^From \S+ .*\d{1,2}:\d{2}(:\d{2})?").expect("regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d+)/(\d+)").expect("regex"));
static VERSION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bv(\d+)\b").expect("regex"));
static MSGID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^<>\s]+)>").expect("regex"));

/// The message ids in a header value (`<a@b> <c@d>`), without brackets, in order.
pub fn message_ids(v: &str) -> Vec<String> {
    MSGID.captures_iter(v).map(|c| c[1].to_string()).collect()
}

/// Read SERIES: a directory of `*.patch`, an mbox or patch file, or (when the source is a git
/// tree and no such path exists) a revision range given to `git format-patch`.
pub fn load(spec: &str, src: &SourceTree) -> Result<Series> {
    let path = Path::new(spec);
    if path.is_dir() {
        return load_dir(path);
    }
    if path.is_file() {
        let text = read_text(path)?;
        let mut msgs = split_mbox(&text);
        // `b4 am` writes the cover letter beside the series, as `<name>.cover`.
        if let Some(cover) = super::locate::b4_cover(path)? {
            msgs.insert(0, cover);
        }
        return from_messages(
            spec,
            SeriesKind::Mbox,
            msgs.into_iter().map(|m| (m, spec.to_string())).collect(),
        );
    }
    if src.kind == SourceKind::Git {
        let out = crate::proc::run_capture(
            Command::new("git")
                .arg("-C")
                .arg(&src.root)
                .args([
                    "format-patch",
                    "--stdout",
                    "--no-signature",
                    "--end-of-options",
                ])
                .arg(spec)
                .env("LC_ALL", "C"),
        )?;
        if !out.status.success() {
            return Err(Error::input(
                spec,
                format!(
                    "not a file, a directory, or a revision range of {}: git format-patch says: {}",
                    src.root.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let msgs = split_mbox(&text);
        let origin = format!("{spec} (git range in {})", src.root.display());
        return from_messages(
            &origin,
            SeriesKind::GitRange,
            msgs.into_iter().map(|m| (m, spec.to_string())).collect(),
        );
    }
    Err(Error::input(
        spec,
        "no such file or directory (give an mbox, a directory of *.patch files, or a git revision range when the source is a git tree)",
    ))
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).ctx(|| format!("reading {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn load_dir(dir: &Path) -> Result<Series> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ctx(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "patch"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::input(
            dir.display().to_string(),
            "the directory holds no *.patch file",
        ));
    }
    let mut msgs = Vec::new();
    for f in &files {
        let text = read_text(f)?;
        let name = f.display().to_string();
        let mut ms = split_mbox(&text);
        if ms.len() == 1 && ms[0].subject.is_empty() {
            // A plain diff: name it after the file.
            ms[0].subject = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        msgs.extend(ms.into_iter().map(|m| (m, name.clone())));
    }
    from_messages(&dir.display().to_string(), SeriesKind::Directory, msgs)
}

/// Split an mbox into messages. `From ` separator lines (start of file or after a blank line,
/// with a time in them) start a message; text with no separator is one message.
pub fn split_mbox(text: &str) -> Vec<Message> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut starts = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let prev_blank = i == 0 || lines[i - 1].trim_end_matches(['\n', '\r']).is_empty();
        if prev_blank && FROM_LINE.is_match(l) {
            starts.push(i);
        }
    }
    if starts.is_empty() {
        let mut m = parse_message(&lines, 1);
        m.raw = text.to_string();
        return vec![m];
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let mut m = parse_message(&lines[s + 1..end], s + 2);
        m.raw = lines[s..end].concat();
        out.push(m);
    }
    out
}

fn looks_like_header(l: &str) -> bool {
    match l.split_once(':') {
        Some((k, _)) => !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        None => false,
    }
}

fn parse_message(lines: &[&str], first_line: usize) -> Message {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    let has_headers = lines
        .first()
        .is_some_and(|l| looks_like_header(l.trim_end()));
    if has_headers {
        while i < lines.len() {
            let l = lines[i].trim_end_matches(['\n', '\r']);
            if l.is_empty() {
                i += 1;
                break;
            }
            if l.starts_with([' ', '\t']) {
                // RFC 2822 folding: a continuation of the previous header.
                if let Some((_, v)) = headers.last_mut() {
                    v.push(' ');
                    v.push_str(l.trim());
                }
            } else if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            } else {
                // Not a header after all: the body starts here.
                break;
            }
            i += 1;
        }
    }
    let get = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    let raw_body: String = lines[i..].concat();
    let encoding = get("content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = match encoding.as_str() {
        "quoted-printable" => decode_qp(&raw_body),
        "base64" => decode_base64(&raw_body).unwrap_or(raw_body),
        _ => raw_body,
    };
    // mboxrd: a body line ">From " was escaped on the way in.
    let body = if body.contains("\n>From ") || body.starts_with(">From ") {
        body.split_inclusive('\n')
            .map(|l| {
                if l.starts_with('>') && l.trim_start_matches('>').starts_with("From ") {
                    &l[1..]
                } else {
                    l
                }
            })
            .collect()
    } else {
        body
    };
    Message {
        subject: get("subject")
            .map(|s| decode_rfc2047(&s))
            .unwrap_or_default(),
        from: get("from").map(|s| decode_rfc2047(&s)),
        body,
        line: first_line,
        message_id: get("message-id").and_then(|v| message_ids(&v).into_iter().next()),
        in_reply_to: get("in-reply-to").and_then(|v| message_ids(&v).into_iter().next()),
        references: get("references")
            .map(|v| message_ids(&v))
            .unwrap_or_default(),
        raw: String::new(),
    }
}

/// Does the text hold a unified diff?
pub fn has_diff(body: &str) -> bool {
    let mut prev_minus = false;
    for l in body.lines() {
        if l.starts_with("diff --git ") || (prev_minus && l.starts_with("+++ ")) {
            return true;
        }
        prev_minus = l.starts_with("--- ");
    }
    false
}

pub fn parse_subject(subject: &str) -> SubjectTag {
    let mut s = subject.trim();
    let mut is_reply = false;
    let mut version = None;
    let mut number = None;
    loop {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("re:") || lower.starts_with("aw:") {
            is_reply = true;
            s = s[3..].trim_start();
        } else if s.starts_with('[') {
            let Some(end) = s.find(']') else { break };
            let tag = &s[1..end];
            if number.is_none() {
                if let Some(c) = NUMBER.captures(tag) {
                    number = Some((c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0)));
                }
            }
            if version.is_none() {
                if let Some(c) = VERSION.captures(tag) {
                    version = c[1].parse().ok();
                }
            }
            s = s[end + 1..].trim_start();
        } else {
            break;
        }
    }
    SubjectTag {
        is_reply,
        version,
        number,
        title: s.to_string(),
    }
}

/// A series from messages (with the file each came from): the cover letter and replies
/// are set aside, patches ordered and checked for gaps.
pub fn from_messages(
    origin: &str,
    kind: SeriesKind,
    msgs: Vec<(Message, String)>,
) -> Result<Series> {
    let mut cover = None;
    let mut cover_message_id = None;
    let mut skipped = Vec::new();
    let mut patches: Vec<(SubjectTag, Message, String)> = Vec::new();
    for (m, file) in msgs {
        let tag = parse_subject(&m.subject);
        let label = if m.subject.is_empty() {
            format!("{file}:{}", m.line)
        } else {
            m.subject.clone()
        };
        if tag.number.is_some_and(|(n, _)| n == 0) {
            cover = Some(m.subject.clone());
            cover_message_id = m.message_id.clone();
            continue;
        }
        if tag.is_reply {
            skipped.push(format!("{label} (a reply)"));
            continue;
        }
        if !has_diff(&m.body) {
            skipped.push(format!("{label} (no diff)"));
            continue;
        }
        patches.push((tag, m, file));
    }
    if patches.is_empty() {
        return Err(Error::input(
            origin,
            "no patch in the series (no message with a diff)",
        ));
    }
    let all_numbered = patches.iter().all(|(t, _, _)| t.number.is_some());
    if all_numbered {
        patches.sort_by_key(|(t, _, _)| t.number.map(|n| n.0));
        let total = patches[0].0.number.map(|n| n.1).unwrap_or(0);
        for (i, (t, m, _)) in patches.iter().enumerate() {
            let (n, of) = t.number.expect("numbered");
            if of != total {
                return Err(Error::input(
                    origin,
                    format!(
                        "`{}` says {n}/{of} but the series has {total} patches: two series mixed?",
                        m.subject
                    ),
                ));
            }
            if n as usize != i + 1 {
                let what = if (n as usize) < i + 1 {
                    format!("patch {n}/{total} appears twice (`{}`)", m.subject)
                } else {
                    format!("patch {}/{total} is missing", i + 1)
                };
                return Err(Error::input(origin, what));
            }
        }
        if patches.len() != total as usize {
            return Err(Error::input(
                origin,
                format!(
                    "patch {}/{total} is missing (the series has {} of {total})",
                    patches.len() + 1,
                    patches.len()
                ),
            ));
        }
    }
    let total = patches.len();
    let version = patches.iter().find_map(|(t, _, _)| t.version);
    let list = patches
        .into_iter()
        .enumerate()
        .map(|(i, (t, m, file))| Patch {
            index: i + 1,
            total,
            subject: if t.title.is_empty() {
                m.subject.clone()
            } else {
                t.title.clone()
            },
            raw_subject: m.subject.clone(),
            author: m.from.clone(),
            origin: format!("{file}:{}", m.line),
            files: touched_files(&m.body),
            message_id: m.message_id,
            in_reply_to: m.in_reply_to,
            references: m.references,
            sha256: sha256_hex(m.raw.as_bytes()),
            text: m.body,
        })
        .collect();
    Ok(Series {
        origin: origin.to_string(),
        kind,
        version,
        cover,
        cover_message_id,
        skipped,
        patches: list,
    })
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Paths a patch reads or writes (relative to the tree top, `a/` `b/` stripped).
pub fn touched_files(body: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut push = |p: &str| {
        let p = p
            .trim_end_matches(['\r'])
            .split('\t')
            .next()
            .unwrap_or("")
            .trim();
        let p = p
            .strip_prefix("a/")
            .or_else(|| p.strip_prefix("b/"))
            .unwrap_or(p);
        if !p.is_empty() && p != "/dev/null" && !v.iter().any(|x| x == p) {
            v.push(p.to_string());
        }
    };
    for l in body.lines() {
        if let Some(r) = l.strip_prefix("--- ").or_else(|| l.strip_prefix("+++ ")) {
            push(r);
        } else if let Some(r) = l
            .strip_prefix("rename from ")
            .or_else(|| l.strip_prefix("rename to "))
            .or_else(|| l.strip_prefix("copy from "))
            .or_else(|| l.strip_prefix("copy to "))
        {
            push(&format!("a/{r}"));
        }
    }
    v
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable (RFC 2045): `=XX` bytes and `=` soft line breaks.
pub fn decode_qp(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn decode_base64(s: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' | b'\t' => continue,
            _ => return None,
        } as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// RFC 2047 encoded words in headers (`=?UTF-8?q?...?=`, `=?utf-8?B?...?=`); whitespace
/// between two encoded words is dropped (RFC 2047 6.2), so a name split over two words
/// reads whole.
pub fn decode_rfc2047(s: &str) -> String {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"=\?([^?]+)\?([qQbB])\?([^?]*)\?=").expect("regex"));
    if !s.contains("=?") {
        return s.to_string();
    }
    let mut out = String::new();
    let mut last = 0;
    for c in WORD.captures_iter(s) {
        let m = c.get(0).expect("match");
        let between = &s[last..m.start()];
        if last == 0 || !between.chars().all(char::is_whitespace) {
            out.push_str(between);
        }
        let text = &c[3];
        let decoded = if c[2].eq_ignore_ascii_case("q") {
            decode_qp(&text.replace('_', " "))
        } else {
            decode_base64(text).unwrap_or_else(|| text.to_string())
        };
        out.push_str(&decoded);
        last = m.end();
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        let t = parse_subject("[PATCH v5 3/7] mm/powerpc: Add missing pud helpers");
        assert_eq!(t.number, Some((3, 7)));
        assert_eq!(t.version, Some(5));
        assert_eq!(t.title, "mm/powerpc: Add missing pud helpers");
        let t = parse_subject("Re: [RFC PATCH 0/2] x");
        assert!(t.is_reply);
        assert_eq!(t.number, Some((0, 2)));
        let t = parse_subject("[PATCH] single");
        assert_eq!(
            (t.number, t.version, t.title.as_str()),
            (None, None, "single")
        );
        let t = parse_subject("[PATCH net-next] [v2 1/2] two tags");
        assert_eq!((t.number, t.version), (Some((1, 2)), Some(2)));
    }

    #[test]
    fn mbox_with_cover_folded_subjects_and_encodings() {
        let mbox = "From a@b Mon Aug 12 18:12:18 2024\nSubject: [PATCH v2 0/2] cover\n\ncover text\n diffstat | 1 +\n\n\
From a@b Mon Aug 12 18:12:19 2024\nSubject: [PATCH v2 2/2] second: a long subject\n that was folded\n\
Content-Transfer-Encoding: quoted-printable\n\nbody=3Dx\n>From the past\n---\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n\n\
From a@b Mon Aug 12 18:12:20 2024\nSubject: [PATCH v2 1/2] =?UTF-8?q?caf=C3=A9?= first\n\ndiff --git a/y.c b/y.c\nnew file mode 100644\n--- /dev/null\n+++ b/y.c\n@@ -0,0 +1 @@\n+x\n";
        let msgs = split_mbox(mbox);
        assert_eq!(msgs.len(), 3);
        let s = from_messages(
            "m",
            SeriesKind::Mbox,
            msgs.into_iter().map(|m| (m, "m".into())).collect(),
        )
        .unwrap();
        assert_eq!(s.cover.as_deref(), Some("[PATCH v2 0/2] cover"));
        assert_eq!(s.version, Some(2));
        assert_eq!(s.patches.len(), 2);
        assert_eq!(s.patches[0].subject, "café first");
        assert_eq!(s.patches[0].files, ["y.c"]);
        assert_eq!(
            s.patches[1].subject,
            "second: a long subject that was folded"
        );
        assert!(
            s.patches[1].text.starts_with("body=x\nFrom the past\n"),
            "{}",
            s.patches[1].text
        );
        assert_eq!(s.patches[1].label(), "2/2");
    }

    #[test]
    fn a_missing_patch_is_bad_input() {
        let mbox = "From a@b Mon Aug 12 18:12:18 2024\nSubject: [PATCH 1/3] a\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\n\
From a@b Mon Aug 12 18:12:18 2024\nSubject: [PATCH 3/3] c\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-b\n+c\n";
        let msgs = split_mbox(mbox);
        let e = from_messages(
            "m",
            SeriesKind::Mbox,
            msgs.into_iter().map(|m| (m, "m".into())).collect(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("patch 2/3 is missing"), "{e}");
    }

    #[test]
    fn the_real_v5_mbox() {
        let p = "/work/shared/series/pud-v5-with-cover.mbox";
        let Ok(text) = std::fs::read_to_string(p) else {
            return;
        };
        let msgs = split_mbox(&text);
        assert_eq!(msgs.len(), 8);
        let s = from_messages(
            p,
            SeriesKind::Mbox,
            msgs.into_iter().map(|m| (m, p.into())).collect(),
        )
        .unwrap();
        assert_eq!(s.patches.len(), 7);
        assert_eq!(
            s.cover.as_deref(),
            Some("[PATCH v5 0/7] mm/mprotect: Fix dax puds")
        );
        assert_eq!(s.patches[2].subject, "mm/powerpc: Add missing pud helpers");
        assert_eq!(s.patches[0].files, ["drivers/dax/device.c"]);
        // KCIDB's checkout names the series by its cover letter's Message-ID; each patch's
        // hash is over its message from the `From ` line (a format-patch file's content)
        assert_eq!(
            s.cover_message_id.as_deref(),
            Some("20240812181225.1360970-1-peterx@redhat.com")
        );
        assert_eq!(
            s.patches[0].message_id.as_deref(),
            Some("20240812181225.1360970-2-peterx@redhat.com")
        );
        let second = text.find("\nFrom ").unwrap() + 1;
        let third = second + text[second..].find("\nFrom ").unwrap() + 1;
        assert_eq!(
            s.patches[0].sha256,
            sha256_hex(&text.as_bytes()[second..third])
        );
    }

    #[test]
    fn a_git_range_of_the_source_tree() {
        let d = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let o = Command::new("git")
                .arg("-C")
                .arg(d.path())
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@t")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@t")
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        git(&["init", "-q"]);
        std::fs::write(d.path().join("a.c"), "one\n").unwrap();
        git(&["add", "a.c"]);
        git(&["commit", "-q", "-m", "base"]);
        for (i, s) in ["mm: first change", "mm: second change"].iter().enumerate() {
            std::fs::write(d.path().join("a.c"), format!("one\n{i}\n")).unwrap();
            git(&["commit", "-q", "-a", "-m", s]);
        }
        let src = SourceTree {
            kind: SourceKind::Git,
            origin: "t".into(),
            root: d.path().to_path_buf(),
            key: "k".into(),
            build_key: String::new(),
            version: "6.12.0".into(),
        };
        let s = load("HEAD~2..HEAD", &src).unwrap();
        assert_eq!(s.kind, SeriesKind::GitRange);
        let subjects: Vec<_> = s.patches.iter().map(|p| p.subject.as_str()).collect();
        assert_eq!(subjects, ["mm: first change", "mm: second change"]);
        assert_eq!(s.patches[1].label(), "2/2");
        let e = load("no-such-rev..HEAD", &src).unwrap_err().to_string();
        assert!(e.contains("git format-patch says"), "{e}");
    }

    #[test]
    fn base64_and_qp() {
        assert_eq!(decode_base64("aGVsbG8gd29ybGQ=").unwrap(), "hello world");
        assert_eq!(decode_qp("a=3Db=\nc"), "a=bc");
        assert_eq!(decode_rfc2047("=?utf-8?B?w6k=?= x"), "é x");
        // Two adjacent words: the space between them goes, and both are decoded (the
        // second used to stay encoded); a word then plain text keeps its space.
        assert_eq!(
            decode_rfc2047("=?UTF-8?q?J=C3=B6rg?= =?UTF-8?q?_R=C3=B6del?= <j@x>"),
            "Jörg Rödel <j@x>"
        );
        assert_eq!(decode_rfc2047("=?UTF-8?q?a?= b =?UTF-8?q?c?="), "a b c");
    }
}
