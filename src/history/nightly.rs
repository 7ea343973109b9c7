//! What a nightly needs of the history beyond the store: one nightly at a time per history
//! file, and the comparison settings.

use crate::error::{Error, Result};
use crate::util::FileLock;
use std::path::{Path, PathBuf};

/// Default `--slower-pct`: a cell whose build takes more than this much longer is `slower`.
pub const DEFAULT_SLOWER_PCT: f64 = 25.0;
/// Default number of runs in the trend charts.
pub const DEFAULT_TREND_RUNS: usize = 14;

/// The history file inside a results directory: `<out>/history.sqlite`.
pub fn default_history_path(out: &Path) -> PathBuf {
    out.join("history.sqlite")
}

/// Comparison and chart settings shared by `nightly` and `report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub slower_pct: f64,
    pub trend_runs: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            slower_pct: DEFAULT_SLOWER_PCT,
            trend_runs: DEFAULT_TREND_RUNS,
        }
    }
}

/// Held for the whole of a nightly (take it before running any stage).
pub struct NightlyLock {
    _lock: FileLock,
    path: PathBuf,
}

impl NightlyLock {
    /// The lock file of a history: `<history>.nightly.lock`.
    pub fn path_for(history: &Path) -> PathBuf {
        let mut name = history
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "history".into());
        name.push(".nightly.lock");
        history.with_file_name(name)
    }

    /// Take the lock, or refuse (exit code 2) when another nightly holds it.
    pub fn acquire(history: &Path) -> Result<NightlyLock> {
        let path = NightlyLock::path_for(history);
        match FileLock::try_acquire(&path)? {
            Some(l) => Ok(NightlyLock { _lock: l, path }),
            None => Err(Error::Usage(format!(
                "another kcross nightly is running on {} (lock {} is held); not starting a second one",
                history.display(),
                path.display()
            ))),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
