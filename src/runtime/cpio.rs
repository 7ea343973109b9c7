//! A newc ("070701") cpio archive, the format the kernel unpacks as an initramfs
//! (Documentation/driver-api/early-userspace/buffer-format.rst). Uncompressed: the kernel
//! accepts it as is.

/// One archive member. Paths are relative (`init`, `dev/console`).
pub enum Entry {
    Dir {
        path: String,
        mode: u32,
    },
    File {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
    CharDev {
        path: String,
        mode: u32,
        major: u32,
        minor: u32,
    },
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn header(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    size: usize,
    rdev: (u32, u32),
    name: &str,
) {
    let fields = [
        ino,
        mode,
        0, // uid
        0, // gid
        nlink,
        0, // mtime: reproducible archives
        size as u32,
        0, // devmajor
        0, // devminor
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0, // check
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
}

/// The archive bytes, with the `TRAILER!!!` member.
pub fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let ino = i as u32 + 1;
        match e {
            Entry::Dir { path, mode } => header(&mut out, ino, S_IFDIR | mode, 2, 0, (0, 0), path),
            Entry::CharDev {
                path,
                mode,
                major,
                minor,
            } => header(&mut out, ino, S_IFCHR | mode, 1, 0, (*major, *minor), path),
            Entry::File { path, mode, data } => {
                header(&mut out, ino, S_IFREG | mode, 1, data.len(), (0, 0), path);
                out.extend_from_slice(data);
                pad4(&mut out);
            }
        }
    }
    header(&mut out, 0, 0, 1, 0, (0, 0), "TRAILER!!!");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal newc reader: (name, mode, rdev major, rdev minor, data).
    fn read_back(mut a: &[u8]) -> Vec<(String, u32, u32, u32, Vec<u8>)> {
        let mut out = Vec::new();
        let total = a.len();
        loop {
            assert_eq!(&a[..6], b"070701");
            let field = |k: usize| {
                u32::from_str_radix(std::str::from_utf8(&a[6 + 8 * k..14 + 8 * k]).unwrap(), 16)
                    .unwrap()
            };
            let (mode, size, maj, min, namesize) = (
                field(1),
                field(6) as usize,
                field(9),
                field(10),
                field(11) as usize,
            );
            let name = String::from_utf8(a[110..110 + namesize - 1].to_vec()).unwrap();
            assert_eq!(a[110 + namesize - 1], 0);
            let mut off = 110 + namesize;
            off += (4 - (total - a.len() + off) % 4) % 4;
            let data = a[off..off + size].to_vec();
            off += size;
            off += (4 - (total - a.len() + off) % 4) % 4;
            a = &a[off..];
            if name == "TRAILER!!!" {
                assert!(a.is_empty());
                return out;
            }
            out.push((name, mode, maj, min, data));
        }
    }

    #[test]
    fn newc_round_trip() {
        let a = archive(&[
            Entry::Dir {
                path: "dev".into(),
                mode: 0o755,
            },
            Entry::CharDev {
                path: "dev/console".into(),
                mode: 0o600,
                major: 5,
                minor: 1,
            },
            Entry::File {
                path: "init".into(),
                mode: 0o755,
                data: b"#!x\nabc".to_vec(),
            },
        ]);
        assert_eq!(a.len() % 4, 0);
        let m = read_back(&a);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].0.as_str(), m[0].1), ("dev", 0o040755));
        assert_eq!(
            (m[1].0.as_str(), m[1].1, m[1].2, m[1].3),
            ("dev/console", 0o020600, 5, 1)
        );
        assert_eq!(
            (m[2].0.as_str(), m[2].1, m[2].4.as_slice()),
            ("init", 0o100755, &b"#!x\nabc"[..])
        );
    }
}
