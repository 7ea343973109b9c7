//! kcross's own errors, and the one place they map to exit codes.
//!
//! Exit codes (documented in README.md):
//! - 0: everything ran and every verdict is a pass
//! - 1: everything ran, and something under test failed (a cell, a helper, a patch, a test)
//! - 2: kcross could not run: bad input or set-up (matrix, arch, toolchain, source, patch)
//! - 130 / 143: interrupted by SIGINT (Ctrl-C) / SIGTERM (128 + the signal); children were ended

use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that interrupted the run (SIGINT or SIGTERM; proc's handler records it).
static SIGNAL: AtomicI32 = AtomicI32::new(libc::SIGINT);

pub fn note_interrupting_signal(sig: i32) {
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// The exit code of an interrupted run, the shell's convention: 128 + the signal (130 for
/// SIGINT, 143 for SIGTERM).
pub fn interrupted_exit_code() -> i32 {
    128 + SIGNAL.load(Ordering::SeqCst)
}

/// The signal's name, for messages and results (`SIGINT`, `SIGTERM`).
pub fn interrupting_signal() -> &'static str {
    match SIGNAL.load(Ordering::SeqCst) {
        libc::SIGTERM => "SIGTERM",
        _ => "SIGINT",
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file (matrix, toolchain, fragment) is malformed; `at` is `file:line:col`.
    #[error("{at}: {msg}")]
    Input { at: String, msg: String },

    #[error("unknown arch `{name}` (in {at}); known arches: {known}")]
    UnknownArch {
        name: String,
        at: String,
        known: String,
    },

    #[error("unknown toolchain `{name}` (in {at}); known toolchains: {known}")]
    UnknownToolchain {
        name: String,
        at: String,
        known: String,
    },

    #[error("missing tool `{tool}` needed by {needed_by}; install the Debian package `{package}` (apt-get install --no-install-recommends {package})")]
    MissingTool {
        tool: String,
        needed_by: String,
        package: String,
    },

    #[error("kernel source {path}: {msg}")]
    Source { path: PathBuf, msg: String },

    #[error("patch {patch} does not apply: {msg}")]
    PatchDoesNotApply { patch: String, msg: String },

    /// A patch that breaks the policy of `series::policy` (escapes the tree, binary, setuid).
    #[error("patch {patch} refused: {msg}; nothing was applied, built or written")]
    PatchRefused { patch: String, msg: String },

    #[error("{0}")]
    Usage(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("history {0}")]
    History(String),

    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn input(at: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Input {
            at: at.into(),
            msg: msg.into(),
        }
    }

    /// The exit code for this error (see the module docs).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted => interrupted_exit_code(),
            _ => 2,
        }
    }
}

/// Exit code for a run that completed: 0 when everything passed, 1 when something failed.
pub fn outcome_code(all_passed: bool) -> i32 {
    if all_passed {
        0
    } else {
        1
    }
}

/// Helper to attach a path to an I/O error.
pub trait IoContext<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::io(what(), e))
    }
}
