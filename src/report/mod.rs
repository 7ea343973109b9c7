//! Reporters render events and results; they never decide verdicts.
//! `terminal` is live (indicatif progress, then a table); the others are exports of a
//! finished run, one file each behind the small `Export` trait.

pub mod escape;
pub mod format;
pub mod html;
pub mod json;
pub mod junit;
pub mod kcidb;
pub mod known;
pub mod mail;
pub mod mail_nightly;
pub mod markdown;
pub mod patchwork;
pub mod rfc5322;
pub mod runtime;
pub mod series;
pub mod svg;
pub mod table;
pub mod terminal;

pub use format::Format;

/// An output format for a finished run.
pub trait Export<T> {
    /// File name suffix, e.g. `json`, `xml`, `html`, `md`.
    fn extension(&self) -> &'static str;
    fn render(&self, value: &T) -> String;
}
