//! Whether a finished build still stands for what a plan asks now (`kcross boot` reuses it
//! instead of building): the same matrix, the same source content (its key), and for every
//! cell of the plan a result built with the same configuration key (`Cell::config_key`:
//! base config, fragments' content, make vars, toolchain) whose image, when it made one, is
//! still there. Anything else is a reason to build, said in one line.

use super::{RunSummary, Verdict};
use crate::plan::Plan;
use crate::source::SourceTree;
use std::path::PathBuf;

/// Why a build cannot be reused for the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// The build is of another matrix.
    OtherMatrix { built: String, wanted: String },
    /// The source's content changed (or it is another source).
    SourceChanged {
        built_origin: String,
        built_key: String,
        now_origin: String,
        now_key: String,
    },
    /// A cell of the plan is not in the build.
    MissingCell { cell: String },
    /// A cell's configuration is not what the matrix asks now.
    ConfigChanged {
        cell: String,
        built: String,
        now: String,
    },
    /// The build does not say which configuration it built (an older kcross wrote it).
    UnknownConfig { cell: String },
    /// A cell built an image that is not there any more.
    ImageGone { cell: String, image: PathBuf },
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::OtherMatrix { built, wanted } => {
                write!(f, "it is a build of matrix `{built}`, not `{wanted}`")
            }
            Stale::SourceChanged {
                built_origin,
                built_key,
                now_origin,
                now_key,
            } => write!(
                f,
                "the source changed: built from {built_origin} (key {built_key}), the source is now {now_origin} (key {now_key})"
            ),
            Stale::MissingCell { cell } => write!(f, "it has no cell {cell}"),
            Stale::ConfigChanged { cell, built, now } => write!(
                f,
                "{cell}: the configuration changed (config key {built}, now {now}: base config, fragments, make vars or toolchain)"
            ),
            Stale::UnknownConfig { cell } => write!(
                f,
                "{cell}: the build does not record its configuration key (an older kcross made it)"
            ),
            Stale::ImageGone { cell, image } => {
                write!(f, "{cell}: its image {} is gone", image.display())
            }
        }
    }
}

/// Every reason `built` cannot stand for `plan` on `src`; empty when it can.
pub fn staleness(built: &RunSummary, plan: &Plan, src: &SourceTree) -> Vec<Stale> {
    let mut why = Vec::new();
    if built.matrix != plan.matrix {
        why.push(Stale::OtherMatrix {
            built: built.matrix.clone(),
            wanted: plan.matrix.clone(),
        });
    }
    if built.source.key != src.key {
        why.push(Stale::SourceChanged {
            built_origin: built.source.origin.clone(),
            built_key: built.source.key.clone(),
            now_origin: src.origin.clone(),
            now_key: src.key.clone(),
        });
    }
    for c in &plan.cells {
        let Some(r) = built.cells.iter().find(|r| r.cell == c.id) else {
            why.push(Stale::MissingCell { cell: c.id.clone() });
            continue;
        };
        let now = c.config_key();
        if r.config_key.is_empty() {
            why.push(Stale::UnknownConfig { cell: c.id.clone() });
        } else if r.config_key != now {
            why.push(Stale::ConfigChanged {
                cell: c.id.clone(),
                built: r.config_key.clone(),
                now,
            });
        } else if let (Verdict::Pass, Some(image)) = (r.verdict, &r.image) {
            if !image.is_file() {
                why.push(Stale::ImageGone {
                    cell: c.id.clone(),
                    image: image.clone(),
                });
            }
        }
    }
    why
}
