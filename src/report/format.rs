//! The formats of the run report (`kcross report --format`, and the files a nightly writes).

use super::html::Html;
use super::json::Json;
use super::kcidb::Kcidb;
use super::markdown::Markdown;
use super::Export;
use crate::history::RunReport;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One self-contained HTML5 file (inline CSS and SVG, no network)
    Html,
    /// Plain-text/markdown summary for mail or chat
    Markdown,
    /// The report model as JSON
    Json,
    /// KCIDB I/O schema v5.3 JSON (checkout, builds, tests, issues, incidents), for kcidb-submit
    Kcidb,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => Export::<RunReport>::extension(&Html),
            Format::Markdown => Export::<RunReport>::extension(&Markdown),
            Format::Json => Export::<RunReport>::extension(&Json),
            Format::Kcidb => Export::<RunReport>::extension(&Kcidb::default()),
        }
    }

    pub fn render(self, r: &RunReport) -> String {
        match self {
            Format::Html => Html.render(r),
            Format::Markdown => Markdown.render(r),
            Format::Json => Json.render(r),
            Format::Kcidb => Kcidb::default().render(r),
        }
    }
}
