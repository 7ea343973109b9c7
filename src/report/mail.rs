//! Kernel-test-robot style replies to a gated series (`reply-<n>.eml` in every series run dir
//! that found something new; `kcross series --format mail`): an RFC 5322 message per patch
//! that brought new diagnostics, threaded under it (`In-Reply-To`, `References` from the
//! mbox), laid out as the kernel test robot lays out its reports (tests/fixtures/mail holds a
//! real one): the greeting, "kcross noticed the following build errors", the base, the patch,
//! config and compiler per cell, a reproduce section with the exact kcross and make commands,
//! the Reported-by/Closes block, then "All errors (new ones prefixed by >>):" with every
//! diagnostic of the units the new ones are in, the new ones marked `>>`. Text from logs goes
//! in verbatim (plain text); header values go through `rfc5322` (no header injection).

use super::rfc5322;
use crate::diag::{Diagnostic, Severity};
use crate::series::{ChangeKind, Patch, SeriesResult, Step, StepCell};
use std::collections::BTreeMap;

/// What the renderer needs besides the result: who sends, where the run is published, and
/// per cell what the plan knew (the CLI fills this in).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `Name <address>`; also the Reported-by.
    pub from: String,
    /// Where the run dir is published (`--patchwork-base-url`), for `Closes:`.
    pub base_url: Option<String>,
    pub cells: BTreeMap<String, CellInfo>,
}

pub const DEFAULT_FROM: &str = "kcross <kcross@localhost>";

#[derive(Debug, Clone, Default)]
pub struct CellInfo {
    /// `tinyconfig + boot.config dax.config powerpc64le.config`
    pub config: String,
    /// The compiler's first `--version` line.
    pub compiler: String,
    /// make's variables for this cell (`ARCH=...`, the toolchain's, the matrix's).
    pub make_vars: Vec<String>,
}

/// One reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The patch it answers (1-based), or 0 for the cover letter (`--last-only`).
    pub patch: usize,
    /// `reply-4.eml`
    pub file_name: String,
    pub message_id: String,
    pub text: String,
}

/// Shown as a command a person types: quoted only where a shell would need it.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn words<S: AsRef<str>>(v: &[S]) -> String {
    v.iter()
        .map(|s| shell_word(s.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// gcc's own layout of one diagnostic: the include chain that leads to it, the function,
/// `file:line:col: severity: message [flag]`, the quoted source line, then its notes.
pub fn gcc_lines(d: &Diagnostic) -> Vec<String> {
    let file = d.file.clone().unwrap_or_default();
    let is_chain = |n: &str| n.starts_with("In file included from ") || n.starts_with("from ");
    // A leading include chain is the diagnostic's own when its file is a header (the chain
    // leads to it); a unit (`.c`, `.S`) is not included from anywhere, so a chain in its
    // notes leads to a note's header and follows the diagnostic.
    let lead = d.notes.iter().take_while(|n| is_chain(n)).count();
    let unit = [".c", ".S", ".s"].iter().any(|e| file.ends_with(e));
    let lead = if unit { 0 } else { lead };
    let chain = |n: &str| {
        if n.starts_with("from ") {
            format!("                 {n}")
        } else {
            n.to_string()
        }
    };
    let mut out: Vec<String> = d.notes[..lead].iter().map(|n| chain(n)).collect();
    if let (Some(f), Some(func)) = (&d.file, &d.function) {
        out.push(format!("{f}: In function ‘{func}’:"));
    }
    out.push(super::series::diag_line(d));
    if let Some(src) = &d.source_line {
        match d.line {
            Some(l) => out.push(format!("{l:>5} | {src}")),
            None => out.push(format!("      | {src}")),
        }
    }
    out.extend(d.notes[lead..].iter().map(|n| chain(n)));
    out
}

/// Does `d` belong to one of the units the new diagnostics are in: the same file, or a
/// header included (per its notes) from one of them?
pub fn related(d: &Diagnostic, files: &[String]) -> bool {
    match &d.file {
        Some(f) if files.contains(f) => true,
        Some(_) => files.iter().any(|f| {
            d.notes.iter().any(|n| {
                n.contains(&format!(" {f}:"))
                    && (n.starts_with("In file") || n.starts_with("from "))
            })
        }),
        None => false,
    }
}

/// The "All errors" lines of one cell at one step (see `mark_lines`).
pub fn error_lines(sc: &StepCell) -> Vec<String> {
    mark_lines(&sc.result.diagnostics, &sc.new)
}

/// `all` (a build dir's diagnostics, in the order the compiler printed them) restricted to
/// the units `new` are in, the new ones (by fingerprint, with multiplicity) prefixed `>>`,
/// the others `   `.
pub fn mark_lines(all: &[Diagnostic], new: &[Diagnostic]) -> Vec<String> {
    let files: Vec<String> = new.iter().filter_map(|d| d.file.clone()).collect();
    let mut new_left: BTreeMap<&str, usize> = BTreeMap::new();
    for d in new {
        *new_left.entry(d.fingerprint.as_str()).or_default() += 1;
    }
    let mut out = Vec::new();
    let mut last_function: Option<String> = None;
    for d in all {
        let is_new = match new_left.get_mut(d.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        if !is_new && !related(d, &files) {
            continue;
        }
        let head = super::series::diag_line(d);
        for l in gcc_lines(d) {
            // gcc says "In function" once for the diagnostics of one function in a row.
            if l.contains(": In function ") {
                if last_function.as_deref() == Some(l.as_str()) {
                    continue;
                }
                last_function = Some(l.clone());
            } else if l == head && d.function.is_none() {
                last_function = None;
            }
            let mark = if is_new && l == head { ">> " } else { "   " };
            out.push(format!("{mark}{l}"));
        }
    }
    out
}

/// The tags block, as the robot words it.
pub fn tags(from: &str, closes: &str) -> String {
    format!(
        "If you fix the issue in a separate patch/commit (i.e. not just a new version of\n\
         the same patch/commit), kindly add following tags\n\
         | Reported-by: {}\n| Closes: {closes}\n\n",
        rfc5322::sanitize(from)
    )
}

/// The by-hand reproduce lines for one cell: its saved .config, then make as kcross ran it.
pub fn make_lines(
    ind: &str,
    config: &std::path::Path,
    info: &CellInfo,
    targets: &[String],
) -> String {
    let mut olddef = vec!["make".to_string(), "O=build_dir".to_string()];
    olddef.extend(info.make_vars.iter().cloned());
    let mut build = olddef.clone();
    olddef.push("olddefconfig".into());
    build.extend(targets.iter().cloned());
    format!(
        "{ind}mkdir build_dir && {}\n{ind}{}\n{ind}{}\n",
        words(&["cp", &config.display().to_string(), "build_dir/.config"]),
        words(&olddef),
        words(&build)
    )
}

pub fn first_name(author: Option<&str>) -> String {
    let a = author.unwrap_or("").trim();
    let name = a.split('<').next().unwrap_or("").trim().trim_matches('"');
    name.split_whitespace()
        .next()
        .filter(|n| !n.contains('@'))
        .map(rfc5322::sanitize)
        .unwrap_or_default()
}

fn message_id(r: &SeriesResult, patch: usize, from: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(r.run_dir.display().to_string().as_bytes());
    h.update(format!("\0{patch}").as_bytes());
    let d = h.finalize();
    let hex: String = d[..10].iter().map(|b| format!("{b:02x}")).collect();
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("localhost");
    format!("kcross-{hex}@{}", rfc5322::sanitize(domain))
}

fn date(r: &SeriesResult) -> String {
    chrono::DateTime::parse_from_rfc3339(&r.started_at)
        .map(|d| d.to_rfc2822())
        .unwrap_or_else(|_| chrono::Local::now().to_rfc2822())
}

/// The reply to one step, or None when it brought nothing new.
fn reply(r: &SeriesResult, step: &Step, o: &Options) -> Option<Reply> {
    let cells: Vec<&StepCell> = step.cells.iter().filter(|c| !c.new.is_empty()).collect();
    if cells.is_empty() {
        return None;
    }
    let errors = r
        .findings_of(step.index, None)
        .any(|f| f.kind == ChangeKind::New && f.severity == Severity::Error);
    let (what, upper) = if errors {
        ("errors", "ERROR")
    } else {
        ("warnings", "WARNING")
    };
    // The message answered: the patch, or with --last-only the cover letter (else the last patch).
    let patch: Option<&Patch> = if r.last_only {
        None
    } else {
        r.series.patches.get(step.patches[0] - 1)
    };
    let last = r.series.patches.last();
    let (n, to_subject, msgid, mut refs, author) = match patch {
        Some(p) => (
            p.index,
            p.raw_subject.clone(),
            p.message_id.clone(),
            p.references.clone(),
            p.author.clone(),
        ),
        None => match (&r.series.cover, &r.series.cover_message_id) {
            (Some(c), Some(id)) => (
                0,
                c.clone(),
                Some(id.clone()),
                Vec::new(),
                last.and_then(|p| p.author.clone()),
            ),
            _ => {
                let p = last?;
                (
                    p.index,
                    p.raw_subject.clone(),
                    p.message_id.clone(),
                    p.references.clone(),
                    p.author.clone(),
                )
            }
        },
    };
    let from = if o.from.is_empty() {
        DEFAULT_FROM
    } else {
        &o.from
    };
    let file_name = format!("reply-{n}.eml");
    let id = message_id(r, n, from);
    let closes = match &o.base_url {
        Some(b) => format!(
            "{}/{}/{file_name}",
            b.trim_end_matches('/'),
            r.run_dir
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        None => format!("file://{}", r.run_dir.join(&file_name).display()),
    };

    let mut m = String::new();
    m.push_str(&rfc5322::header("From", &rfc5322::address(from)));
    if let Some(a) = &author {
        m.push_str(&rfc5322::header("To", &rfc5322::address(a)));
    }
    let subject = if to_subject.to_ascii_lowercase().starts_with("re:") {
        to_subject.clone()
    } else {
        format!("Re: {to_subject}")
    };
    m.push_str(&rfc5322::header("Subject", &rfc5322::text(&subject)));
    m.push_str(&rfc5322::header("Date", &date(r)));
    m.push_str(&rfc5322::header("Message-ID", &format!("<{id}>")));
    if let Some(mid) = &msgid {
        let mid = rfc5322::sanitize(mid).replace(' ', "");
        m.push_str(&rfc5322::header("In-Reply-To", &format!("<{mid}>")));
        if !refs.contains(&mid) {
            refs.push(mid);
        }
        let refs: Vec<String> = refs
            .iter()
            .map(|x| format!("<{}>", rfc5322::sanitize(x).replace(' ', "")))
            .collect();
        m.push_str(&rfc5322::header("References", &refs.join(" ")));
    }
    m.push_str("MIME-Version: 1.0\n");
    m.push_str("Content-Type: text/plain; charset=utf-8\n");
    m.push_str("Content-Transfer-Encoding: 8bit\n");
    m.push('\n');

    let hi = first_name(author.as_deref());
    m.push_str(&if hi.is_empty() {
        "Hi,\n\n".to_string()
    } else {
        format!("Hi {hi},\n\n")
    });
    m.push_str(&format!("kcross noticed the following build {what}:\n\n"));
    m.push_str(&format!(
        "[auto build test {upper} on {} {}]\n\n",
        r.source.origin, r.source.version
    ));
    m.push_str(&format!(
        "base:          {} ({}, key {})\n",
        r.source.origin, r.source.version, r.source.key
    ));
    m.push_str(&format!(
        "patch subject: {}\n",
        rfc5322::sanitize(&to_subject)
    ));
    if let Some(mid) = &msgid {
        m.push_str(&format!("patch link:    <{}>\n", rfc5322::sanitize(mid)));
    }
    for sc in &cells {
        let info = o.cells.get(&sc.result.cell).cloned().unwrap_or_default();
        let config = if info.config.is_empty() {
            sc.result.config.clone()
        } else {
            info.config
        };
        m.push_str(&format!("config: {} ({config})\n", sc.result.cell));
        let compiler = if info.compiler.is_empty() {
            sc.result.toolchain.clone()
        } else {
            info.compiler
        };
        m.push_str(&format!("compiler: {compiler}\n"));
    }
    m.push_str("reproduce:\n");
    let series_arg = r.series.origin.clone();
    for sc in &cells {
        let info = o.cells.get(&sc.result.cell).cloned().unwrap_or_default();
        let ind = "        ";
        m.push_str(&format!(
            "{ind}# {}: the gate, with kcross\n{ind}{}\n",
            sc.result.cell,
            words(&[
                "kcross",
                "series",
                &series_arg,
                &r.matrix_origin,
                "--source",
                &r.source.origin,
                "--arch",
                &sc.result.arch,
            ])
        ));
        m.push_str(&format!(
            "{ind}# or by hand: the base, the patches up to {}, this cell's .config\n",
            step.label
        ));
        m.push_str(&format!(
            "{ind}{}\n",
            words(&["cp", "-a", &r.source.root.display().to_string(), "linux"])
        ));
        m.push_str(&format!("{ind}cd linux\n"));
        for p in 1..=*step.patches.last().unwrap_or(&0) {
            let f = r.run_dir.join("patches").join(format!("{p:04}.patch"));
            m.push_str(&format!(
                "{ind}{}\n",
                words(&["git", "apply", &f.display().to_string()])
            ));
        }
        m.push_str(&make_lines(
            ind,
            &sc.result.dir.join("config"),
            &info,
            &sc.result.targets,
        ));
    }
    m.push('\n');
    m.push_str(&tags(from, &closes));
    m.push_str(&format!("All {what} (new ones prefixed by >>):\n\n"));
    for sc in &cells {
        if cells.len() > 1 {
            m.push_str(&format!("   [{}]\n", sc.result.cell));
        }
        for l in error_lines(sc) {
            m.push_str(&l);
            m.push('\n');
        }
        m.push('\n');
    }
    m.push_str(&format!(
        "-- \nkcross {}\nresults: {}\n",
        r.kcross_version,
        r.run_dir.display()
    ));
    Some(Reply {
        patch: n,
        file_name,
        message_id: id,
        text: m,
    })
}

/// Every reply of the run: one per step that brought something new, in order.
pub fn replies(r: &SeriesResult, o: &Options) -> Vec<Reply> {
    r.steps
        .iter()
        .skip(1)
        .filter_map(|s| reply(r, s, o))
        .collect()
}

/// The replies as one mbox (stdout of `--format mail`): `From ` separators, body lines that
/// start with `From ` escaped (mboxrd).
pub fn mbox(replies: &[Reply]) -> String {
    let mut out = String::new();
    for r in replies {
        out.push_str("From kcross Thu Jan  1 00:00:00 1970\n");
        for l in r.text.split_inclusive('\n') {
            if l.trim_start_matches('>').starts_with("From ") {
                out.push('>');
            }
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "mail_tests.rs"]
pub(crate) mod tests;
