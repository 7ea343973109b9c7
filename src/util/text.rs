//! Reading what children wrote: a log is bytes, not necessarily UTF-8.

use std::path::Path;

/// A log's text, with any byte that is not UTF-8 shown as U+FFFD: a compiler quoting a
/// Latin-1 source line, or a guest's console garbage, must not cost the whole log.
/// A missing or unreadable file is the error it was.
pub fn read_lossy(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_with_latin1_bytes_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("build.log");
        std::fs::write(&p, b"a.c:1:2: warning: caf\xe9 [-Wx]\nnext line\n").unwrap();
        // The counter-case: std's reader refuses the same bytes.
        assert!(std::fs::read_to_string(&p).is_err());
        let text = read_lossy(&p).unwrap();
        assert_eq!(text, "a.c:1:2: warning: caf\u{fffd} [-Wx]\nnext line\n");
        assert!(read_lossy(&dir.path().join("missing")).is_err());
    }
}
