//! Exclusive flocks: one kcross (or one test) at a time on a cache entry, a build dir, a
//! history file or a working copy.

use crate::error::{Error, IoContext, Result};
use std::path::Path;

/// Hold an exclusive flock on `path` while the guard lives (two kcross runs, or two tests,
/// never unpack or configure the same thing at once).
pub struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    fn open(path: &Path) -> Result<std::fs::File> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).ctx(|| format!("creating {}", d.display()))?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ctx(|| format!("opening lock {}", path.display()))
    }

    /// Wait until the lock is ours.
    pub fn acquire(path: &Path) -> Result<FileLock> {
        use std::os::fd::AsRawFd;
        let file = FileLock::open(path)?;
        // SAFETY: flock on an fd we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            return Err(Error::io(
                format!("locking {}", path.display()),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(FileLock { _file: file })
    }

    /// Non-blocking: None if someone else holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<FileLock>> {
        use std::os::fd::AsRawFd;
        let file = FileLock::open(path)?;
        // SAFETY: flock on an fd we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            return Ok(None);
        }
        Ok(Some(FileLock { _file: file }))
    }
}
