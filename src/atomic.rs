//! Every result file is written atomically: a temp file in the same directory, then rename.
//! A reader (or a crash) never sees a half-written result.

use crate::error::{IoContext, Result};
use std::io::Write;
use std::path::Path;

pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_mode(path, bytes, None)
}

/// `write`, then executable (0755) before the rename: a generated script appears whole and
/// runnable at once.
pub fn write_executable(path: &Path, bytes: &[u8]) -> Result<()> {
    write_mode(path, bytes, Some(0o755))
}

fn write_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".kcross-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .ctx(|| format!("creating a temp file in {}", dir.display()))?;
    tmp.as_file_mut()
        .write_all(bytes)
        .ctx(|| format!("writing {}", path.display()))?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .ctx(|| format!("setting the mode of {}", path.display()))?;
    }
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
