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

    /// Non-blocking, and the holder is known: on success our pid is written into the lock
    /// file; when someone else holds it, `Err` carries what the file says of them (their pid).
    pub fn try_acquire_named(path: &Path) -> Result<std::result::Result<FileLock, String>> {
        use std::io::Write;
        match FileLock::try_acquire(path)? {
            Some(lock) => {
                let mut f = &lock._file;
                // Best effort: the pid is a hint for people, the flock is the lock.
                let _ = f.set_len(0);
                let _ = writeln!(f, "{}", std::process::id());
                Ok(Ok(lock))
            }
            None => {
                let who = std::fs::read_to_string(path).unwrap_or_default();
                Ok(Err(who.trim().to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_names_its_holder_and_is_free_again_when_dropped() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.lock");
        let held = FileLock::try_acquire_named(&p).unwrap().unwrap();
        let who = FileLock::try_acquire_named(&p).unwrap().err().unwrap();
        assert_eq!(who, std::process::id().to_string());
        drop(held);
        assert!(FileLock::try_acquire_named(&p).unwrap().is_ok());
    }
}
