//! kcross: prove a kernel patch on every architecture.
//!
//! The modules follow the data's journey (see ARCHITECTURE.md):
//! `matrix` (files in) -> `plan` (cells) -> `source` (a tree) -> `build` (results, events)
//! -> `diag` (structured diagnostics) -> `check` / `series` / `runtime` -> `history` -> `report`.
//! Failures of the thing under test are data (`Verdict`, `Diagnostic`); `Err` is reserved for
//! kcross's own inability to run (see `error`).

pub mod atomic;
pub mod bisect;
pub mod build;
pub mod check;
pub mod cli;
pub mod diag;
pub mod error;
pub mod guest_tests;
pub mod history;
pub mod kconfig;
pub mod known;
pub mod matrix;
pub mod merge;
pub mod outcome;
pub mod plan;
pub mod proc;
pub mod readiness;
pub mod report;
pub mod runtime;
pub mod sandbox;
pub mod series;
pub mod source;
pub mod toolchain;
pub mod util;
pub mod watchdog;

pub use error::{Error, Result};
