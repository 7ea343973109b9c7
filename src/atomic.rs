//! Every result file is written atomically: a temp file in the same directory, then rename.
//! A reader (or a crash) never sees a half-written result.

use crate::error::{IoContext, Result};
use std::io::Write;
use std::path::Path;

pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".kcross-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .ctx(|| format!("creating a temp file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .ctx(|| format!("writing {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .ctx(|| format!("syncing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .ctx(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).expect("serialisable result");
    text.push('\n');
    write(path, text.as_bytes())
}

/// Copy a file atomically (used for .config snapshots next to the results).
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    let bytes = std::fs::read(from).ctx(|| format!("reading {}", from.display()))?;
    write(to, &bytes)
}
