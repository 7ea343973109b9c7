//! The parser's tests, on real logs (`tests/fixtures/`) and hand-made cases.

mod compact;
mod compiler;
mod kbuild;
mod linker;
mod robustness;

use super::*;
use crate::diag::fingerprint;
use std::path::PathBuf;

pub(super) fn ctx(src: &str, build: &str) -> ParseContext {
    ParseContext {
        source_root: PathBuf::from(src),
        build_root: PathBuf::from(build),
        cell: "x86_64-tinyconfig".to_string(),
    }
}

pub(super) fn parse(log: &str, src: &str, build: &str) -> Vec<Diagnostic> {
    parse_log(log, &ctx(src, build))
}

/// Expected diagnostic (everything but `cell` and `fingerprint`, which are checked apart).
pub(super) struct E(pub(super) Diagnostic);

impl E {
    pub(super) fn new(
        code: &str,
        severity: Severity,
        tool: Tool,
        file: Option<&str>,
        line: Option<u32>,
        column: Option<u32>,
        message: &str,
    ) -> E {
        E(Diagnostic {
            code: code.to_string(),
            severity,
            tool,
            file: file.map(str::to_string),
            line,
            column,
            flag: None,
            message: message.to_string(),
            function: None,
            source_line: None,
            notes: Vec::new(),
            cell: "x86_64-tinyconfig".to_string(),
            fingerprint: String::new(),
        })
    }
    pub(super) fn flag(mut self, f: &str) -> E {
        self.0.flag = Some(f.to_string());
        self
    }
    pub(super) fn func(mut self, f: &str) -> E {
        self.0.function = Some(f.to_string());
        self
    }
    pub(super) fn src(mut self, s: &str) -> E {
        self.0.source_line = Some(s.to_string());
        self
    }
    pub(super) fn notes(mut self, n: &[&str]) -> E {
        self.0.notes = n.iter().map(|s| s.to_string()).collect();
        self
    }
}

pub(super) fn check(got: &[Diagnostic], want: &[E]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.fingerprint, fingerprint(g), "fingerprint of #{i}");
        assert_eq!(g.fingerprint.len(), 16);
        let mut w = w.0.clone();
        w.fingerprint = g.fingerprint.clone();
        assert_eq!(*g, w, "diagnostic #{i}");
    }
    assert_eq!(
        got.len(),
        want.len(),
        "number of diagnostics; got {:#?}",
        got
    );
}
