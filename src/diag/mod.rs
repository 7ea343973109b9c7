//! Diagnostics as data: the build log of a cell parsed into structured `Diagnostic`s with
//! stable codes, and a fingerprint that survives line shifts (used by series and history).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub mod diff;
mod parse;
pub mod state;
pub use diff::{diff, Counted, DiagDiff};
pub use parse::{parse_file, parse_log, parse_reader, LogParser};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// Which tool said it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// gcc or clang (C, preprocessor, assembler via the compiler driver)
    Compiler,
    /// ld / ld.lld (undefined reference, multiple definition, ...)
    Linker,
    Modpost,
    Kconfig,
    /// make itself (`make[2]: *** [...] Error 1`, "No rule to make target")
    Make,
    /// objtool, and any other kernel build tool that prints `warning:` / `error:`
    Other,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Stable code: `cc-error`, `cc-warning`, `ld-undefined`, `ld-error`, `modpost-error`,
    /// `modpost-warning`, `kconfig-dropped`, `kconfig-warning`, `make-error`, ...
    pub code: String,
    pub severity: Severity,
    pub tool: Tool,
    /// Relative to the source tree (`mm/mprotect.c`); files generated in the build dir are
    /// prefixed with `$(objtree)/`. None when the tool named no file.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The warning flag, e.g. `-Wunused-variable`.
    pub flag: Option<String>,
    pub message: String,
    /// `In function 'foo'` context, when the compiler gave it.
    pub function: Option<String>,
    /// The text of the offending source line, as the compiler quoted it (trimmed).
    pub source_line: Option<String>,
    /// Attached notes and include-chain lines, verbatim.
    pub notes: Vec<String>,
    /// Cell id this came from.
    pub cell: String,
    /// See `fingerprint`.
    pub fingerprint: String,
}

impl Diagnostic {
    /// `file:line:col` or what of it is known.
    pub fn location(&self) -> String {
        match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (Some(f), Some(l), None) => format!("{f}:{l}"),
            (Some(f), None, _) => f.clone(),
            _ => String::new(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Where the paths in a log come from, so they can be made relative.
#[derive(Debug, Clone)]
pub struct ParseContext {
    pub source_root: PathBuf,
    pub build_root: PathBuf,
    pub cell: String,
}

/// Normalise a message for fingerprinting: numbers become `N`, quotes unified.
pub fn normalise_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut in_num = false;
    for ch in msg.chars() {
        let ch = match ch {
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            c => c,
        };
        if ch.is_ascii_digit() {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(ch);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A fingerprint that survives line shifts: file, code, flag, the normalised message and the
/// text of the source line (whitespace folded), but no line or column numbers.
pub fn fingerprint(d: &Diagnostic) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        d.file.as_deref().unwrap_or(""),
        &d.code,
        d.flag.as_deref().unwrap_or(""),
        &normalise_message(&d.message),
        &d.source_line
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A compiler warning at `file:line` with its quoted source line, for unit tests.
#[cfg(test)]
pub(crate) fn test_warning(file: &str, line: u32, flag: &str, msg: &str, src: &str) -> Diagnostic {
    let mut d = Diagnostic {
        code: "cc-warning".into(),
        severity: Severity::Warning,
        tool: Tool::Compiler,
        file: Some(file.into()),
        line: Some(line),
        column: Some(5),
        flag: Some(flag.into()),
        message: msg.into(),
        function: None,
        source_line: Some(src.into()),
        notes: Vec::new(),
        cell: "c".into(),
        fingerprint: String::new(),
    };
    d.fingerprint = fingerprint(&d);
    d
}
