//! Where a series comes from, besides a path: what `b4 am` wrote (`--from-b4 DIR`: the newest
//! `*.mbx` there, with its `.cover` beside it), or a Message-ID looked up in a local mailbox
//! mirror (`--inbox DIR` or `KCROSS_INBOX`: a maildir, an mbox file, or a directory of mbox
//! files, such as `lei q -o` or `b4 am -M` write). kcross never fetches: without a mirror, a
//! Message-ID is bad input that says how to fetch the series with b4 first.

use super::mbox::{self, Message};
use super::{Series, SeriesKind};
use crate::error::{Error, IoContext, Result};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The environment variable naming the default inbox.
pub const INBOX_ENV: &str = "KCROSS_INBOX";

/// What the command line named.
#[derive(Debug)]
pub enum Located {
    /// A path or a git range, for `series::load`.
    Spec(String),
    /// A thread read from an inbox.
    Thread(Series),
}

/// Resolve SERIES / `--from-b4` / a Message-ID (`inbox`: `--inbox`, else `KCROSS_INBOX`, as
/// the CLI read them). Runs before anything else: nothing here needs the kernel source.
pub fn resolve(
    spec: Option<&str>,
    from_b4: Option<&Path>,
    inbox: Option<&Path>,
) -> Result<Located> {
    if let Some(dir) = from_b4 {
        let mbx = newest_b4(dir)?;
        return Ok(Located::Spec(mbx.display().to_string()));
    }
    let Some(spec) = spec else {
        return Err(Error::Usage(
            "no series given: name an mbox, a directory of *.patch, a git range, a Message-ID, or --from-b4 DIR".into(),
        ));
    };
    if Path::new(spec).exists() {
        return Ok(Located::Spec(spec.to_string()));
    }
    let Some(id) = as_message_id(spec) else {
        return Ok(Located::Spec(spec.to_string()));
    };
    match inbox {
        Some(dir) => Ok(Located::Thread(Inbox::open(dir)?.thread(&id)?)),
        None => Err(Error::input(
            spec,
            format!(
                "a Message-ID, and no local mailbox mirror is configured (--inbox DIR or {INBOX_ENV}); \
                 kcross never fetches: fetch the series with b4 first (`b4 am -o . '{id}'`), \
                 then run `kcross series --from-b4 .`"
            ),
        )),
    }
}

static MSGID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^<?([^<>\s@/]+@[^<>\s@/]+)>?$").expect("regex"));

/// `<a@b>` or `a@b` (no path separator, one `@`), without the brackets.
pub fn as_message_id(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("id:").unwrap_or(s);
    MSGID.captures(s).map(|c| c[1].to_string())
}

/// The newest `*.mbx` in DIR (by modification time, then name): what `b4 am -o DIR` wrote last.
pub fn newest_b4(dir: &Path) -> Result<PathBuf> {
    let rd = std::fs::read_dir(dir).ctx(|| format!("reading --from-b4 {}", dir.display()))?;
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "mbx"))
        .map(|p| {
            let t = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (t, p)
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p).ok_or_else(|| {
        Error::input(
            dir.display().to_string(),
            "no *.mbx file here (what `b4 am -o DIR <msgid>` writes)",
        )
    })
}

/// `b4 am` puts the cover letter beside `NAME.mbx` as `NAME.cover`.
pub fn b4_cover(mbx: &Path) -> Result<Option<Message>> {
    if mbx.extension().is_none_or(|e| e != "mbx") {
        return Ok(None);
    }
    let cover = mbx.with_extension("cover");
    if !cover.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&cover).ctx(|| format!("reading {}", cover.display()))?;
    Ok(mbox::split_mbox(&String::from_utf8_lossy(&bytes))
        .into_iter()
        .next())
}

/// A local mailbox mirror, read whole.
pub struct Inbox {
    pub root: PathBuf,
    /// Every message, with the file it came from.
    pub messages: Vec<(Message, String)>,
}

impl Inbox {
    /// A maildir (`cur/`, `new/`), an mbox file, or a directory of mbox files (read in name order).
    pub fn open(root: &Path) -> Result<Inbox> {
        let mut files = Vec::new();
        if root.is_file() {
            files.push(root.to_path_buf());
        } else if root.is_dir() {
            let maildir = ["cur", "new"].iter().any(|d| root.join(d).is_dir());
            let dirs: Vec<PathBuf> = if maildir {
                ["cur", "new"].iter().map(|d| root.join(d)).collect()
            } else {
                vec![root.to_path_buf()]
            };
            for d in dirs.iter().filter(|d| d.is_dir()) {
                let mut fs: Vec<PathBuf> = std::fs::read_dir(d)
                    .ctx(|| format!("reading {}", d.display()))?
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && !is_hidden(p))
                    .collect();
                fs.sort();
                files.extend(fs);
            }
        } else {
            return Err(Error::input(
                root.display().to_string(),
                format!("the inbox (--inbox or {INBOX_ENV}) does not exist: give a maildir, an mbox file or a directory of mbox files"),
            ));
        }
        let mut messages = Vec::new();
        for f in files {
            let bytes = std::fs::read(&f).ctx(|| format!("reading {}", f.display()))?;
            let name = f.display().to_string();
            for m in mbox::split_mbox(&String::from_utf8_lossy(&bytes)) {
                messages.push((m, name.clone()));
            }
        }
        Ok(Inbox {
            root: root.to_path_buf(),
            messages,
        })
    }

    /// The series the message ID belongs to: its thread's root (the first of its
    /// `References`, else its `In-Reply-To`, else itself) and every message that refers to it.
    pub fn thread(&self, id: &str) -> Result<Series> {
        let Some((m, _)) = self
            .messages
            .iter()
            .find(|(m, _)| m.message_id.as_deref() == Some(id))
        else {
            return Err(Error::input(
                self.root.display().to_string(),
                format!(
                    "no message <{id}> in this inbox ({} messages read); fetch it with `b4 am -o . '{id}'` and run `kcross series --from-b4 .`",
                    self.messages.len()
                ),
            ));
        };
        let root = m
            .references
            .first()
            .cloned()
            .or_else(|| m.in_reply_to.clone())
            .unwrap_or_else(|| id.to_string());
        let in_thread = |m: &Message| {
            m.message_id.as_deref() == Some(root.as_str())
                || m.in_reply_to.as_deref() == Some(root.as_str())
                || m.references.contains(&root)
        };
        // A message in two files of the mirror counts once.
        let mut seen = std::collections::BTreeSet::new();
        let msgs: Vec<(Message, String)> = self
            .messages
            .iter()
            .filter(|(m, _)| in_thread(m))
            .filter(|(m, _)| m.message_id.as_ref().is_none_or(|i| seen.insert(i.clone())))
            .cloned()
            .collect();
        let origin = format!("<{id}> in {}", self.root.display());
        mbox::from_messages(&origin, SeriesKind::Mbox, msgs)
    }
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

#[cfg(test)]
#[path = "locate_tests.rs"]
mod tests;
