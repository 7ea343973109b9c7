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

/// Each line of a file, as `str::lines` would give it (without `\n` or `\r\n`), bytes
/// that are not UTF-8 shown as U+FFFD; read a buffer at a time, so a log of any size costs
/// one line's memory.
pub fn for_each_line_lossy(path: &Path, each: impl FnMut(&str)) -> std::io::Result<()> {
    lines_lossy(std::fs::File::open(path)?, each)
}

/// `for_each_line_lossy` of any reader (standard input, a pipe).
pub fn lines_lossy(r: impl std::io::Read, mut each: impl FnMut(&str)) -> std::io::Result<()> {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(1 << 16, r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        let mut l = buf.as_slice();
        if let Some(x) = l.strip_suffix(b"\n") {
            l = x.strip_suffix(b"\r").unwrap_or(x);
        }
        each(&String::from_utf8_lossy(l));
    }
}

/// The last `n` lines of a file (as `for_each_line_lossy` reads them).
pub fn last_lines(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    let mut tail = std::collections::VecDeque::with_capacity(n + 1);
    for_each_line_lossy(path, |l| {
        tail.push_back(l.to_string());
        if tail.len() > n {
            tail.pop_front();
        }
    })?;
    Ok(tail.into())
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

    #[test]
    fn lines_stream_as_str_lines_splits_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("build.log");
        let text = b"one\r\ntwo\n\nfour caf\xe9\r\nlast without end";
        std::fs::write(&p, text).unwrap();
        let mut got = Vec::new();
        for_each_line_lossy(&p, |l| got.push(l.to_string())).unwrap();
        let whole = read_lossy(&p).unwrap();
        let want: Vec<String> = whole.lines().map(str::to_string).collect();
        assert_eq!(got, want);
        assert_eq!(got.len(), 5);
        assert_eq!(last_lines(&p, 2).unwrap(), want[3..].to_vec());
        assert_eq!(last_lines(&p, 9).unwrap(), want);
        assert!(for_each_line_lossy(&dir.path().join("missing"), |_| {}).is_err());
    }
}
