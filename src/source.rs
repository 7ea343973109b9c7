//! Kernel sources: a tarball (unpacked once into a content-keyed cache, atomically), a
//! directory, or a git tree, each with a key that changes with its content (`key`). Builds
//! are always out of tree (O=): the source is never written.

use crate::error::{Error, IoContext, Result};
use crate::util::FileLock;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

mod key;

/// The default source when neither the matrix nor --source names one.
pub const DEFAULT_SOURCE: &str = "linux-source-6.12";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Tarball,
    Dir,
    Git,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceTree {
    pub kind: SourceKind,
    /// What the user named (path or package).
    pub origin: String,
    /// The kernel tree's top directory (has Makefile, Kconfig, arch/).
    pub root: PathBuf,
    /// Content identity: sha256 prefix of the tarball; a git tree's HEAD commit, with
    /// `-dirty-<hash>` of its changes and untracked files when it has some; a directory's
    /// fingerprint (path, and every entry's size and mtime). See `source::key`.
    pub key: String,
    /// Which build dirs the tree's builds use (see `build_id`): a tarball's content hash, a
    /// git tree's HEAD commit (dirty or not), a directory's path. Not the content key: an
    /// edited tree keeps building incrementally in its dirs, whose diagnostics state
    /// (`diag::state`) keeps every result true. Empty in results of an older kcross.
    #[serde(default)]
    pub build_key: String,
    /// `6.12.57` from the top Makefile.
    pub version: String,
}

impl SourceTree {
    /// The key of the tree's build dirs: `build_key`, or the content key for results of an
    /// older kcross.
    pub fn build_id(&self) -> &str {
        if self.build_key.is_empty() {
            &self.key
        } else {
            &self.build_key
        }
    }
}

/// The cache directory: $KCROSS_CACHE, else $XDG_CACHE_HOME/kcross, else ~/.cache/kcross.
/// Always absolute: make runs with `-C <source>`, where a relative `O=` would name another
/// directory (a relative `KCROSS_CACHE=cache` once configured one dir and built another).
pub fn cache_dir() -> PathBuf {
    absolute(cache_dir_as_given())
}

fn cache_dir_as_given() -> PathBuf {
    if let Some(d) = std::env::var_os("KCROSS_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("kcross");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/tmp".into());
    home.join(".cache").join("kcross")
}

/// `p` against the current directory when relative (no symlink is resolved, nothing needs
/// to exist yet).
fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// Resolve what the user named into a path, and prepare the tree.
pub fn prepare(spec: &str) -> Result<SourceTree> {
    let path = resolve(spec)?;
    if path.is_dir() {
        let root = path
            .canonicalize()
            .ctx(|| format!("resolving {}", path.display()))?;
        check_kernel_tree(&root, spec)?;
        let version = kernel_version(&root)?;
        let (kind, key, build_key) = if root.join(".git").exists() {
            let k = key::git_key(&root)?;
            let head = k.split("-dirty-").next().unwrap_or(&k).to_string();
            (SourceKind::Git, k, head)
        } else {
            let path = key::path_key(&root);
            (SourceKind::Dir, key::dir_key(&root)?, path)
        };
        return Ok(SourceTree {
            kind,
            origin: spec.to_string(),
            root,
            key,
            build_key,
            version,
        });
    }
    unpack_cached(spec, &path)
}

/// `linux-source-6.12` -> /usr/src/linux-source-6.12.tar.xz; a path stays a path.
pub fn resolve(spec: &str) -> Result<PathBuf> {
    let p = PathBuf::from(spec);
    if p.exists() {
        return Ok(p);
    }
    if !spec.contains('/') && spec.starts_with("linux-source-") {
        let tarball = PathBuf::from(format!("/usr/src/{spec}.tar.xz"));
        if tarball.exists() {
            return Ok(tarball);
        }
        return Err(Error::Source {
            path: tarball,
            msg: format!(
                "not found; install the Debian package `{spec}` (apt-get install --no-install-recommends {spec})"
            ),
        });
    }
    Err(Error::Source {
        path: p,
        msg: "no such file or directory (give a kernel tarball, a kernel tree, a git tree, or a Debian package name such as linux-source-6.12)".into(),
    })
}

fn check_kernel_tree(root: &Path, spec: &str) -> Result<()> {
    for f in ["Makefile", "Kconfig", "arch", "scripts/kconfig"] {
        if !root.join(f).exists() {
            return Err(Error::Source {
                path: root.to_path_buf(),
                msg: format!("{spec} is not a kernel tree: it has no {f}"),
            });
        }
    }
    Ok(())
}

/// `VERSION.PATCHLEVEL.SUBLEVEL` (+EXTRAVERSION) from the top Makefile.
pub fn kernel_version(root: &Path) -> Result<String> {
    let mk = std::fs::read_to_string(root.join("Makefile"))
        .ctx(|| format!("reading {}/Makefile", root.display()))?;
    let get = |k: &str| {
        mk.lines()
            .find_map(|l| {
                l.strip_prefix(k)
                    .and_then(|r| r.trim_start().strip_prefix('='))
            })
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut v = format!(
        "{}.{}.{}",
        get("VERSION"),
        get("PATCHLEVEL"),
        get("SUBLEVEL")
    );
    v.push_str(&get("EXTRAVERSION"));
    Ok(v)
}

fn short_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn file_hash(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).ctx(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .ctx(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let d = h.finalize();
    Ok(d[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// The tarball's content hash, remembered by (path, size, mtime) so that a warm run does
/// not read 150 MB again; any change to the file makes it hash again.
fn remembered_hash(tarball: &Path) -> Result<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(tarball).ctx(|| format!("reading {}", tarball.display()))?;
    let abs = tarball
        .canonicalize()
        .unwrap_or_else(|_| tarball.to_path_buf());
    let stamp = format!(
        "{} {} {}",
        abs.display(),
        meta.size(),
        meta.mtime_nsec() + meta.mtime() * 1_000_000_000
    );
    let memo = cache_dir()
        .join("src")
        .join(format!("{}.hash", short_hash(stamp.as_bytes())));
    if let Ok(text) = std::fs::read_to_string(&memo) {
        if let Some((s, key)) = text.rsplit_once('\n') {
            if s == stamp && !key.is_empty() {
                return Ok(key.to_string());
            }
        }
    }
    let key = file_hash(tarball)?;
    crate::atomic::write(&memo, format!("{stamp}\n{key}").as_bytes())?;
    Ok(key)
}

/// Unpack a tarball into `<cache>/src/<sha>/`. The unpack goes to a temp dir that is renamed
/// into place only when tar succeeded, so an interrupted unpack is never taken as complete.
fn unpack_cached(spec: &str, tarball: &Path) -> Result<SourceTree> {
    let key = remembered_hash(tarball)?;
    let srcdir = cache_dir().join("src");
    let done = srcdir.join(&key);
    let _lock = FileLock::acquire(&srcdir.join(format!("{key}.lock")))?;
    if !done.is_dir() {
        // Leftovers of an interrupted unpack (we hold the lock, so nobody is using them).
        if let Ok(rd) = std::fs::read_dir(&srcdir) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(&format!(".{key}.tmp")) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let tmp = srcdir.join(format!(".{key}.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).ctx(|| format!("creating {}", tmp.display()))?;
        let out = crate::proc::run_capture(
            Command::new("tar")
                .arg("-xf")
                .arg(tarball)
                .arg("-C")
                .arg(&tmp),
        );
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(3).collect();
            return Err(Error::Source {
                path: tarball.to_path_buf(),
                msg: format!(
                    "cannot unpack (missing or corrupt tarball): {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
                ),
            });
        }
        std::fs::rename(&tmp, &done).ctx(|| format!("renaming {} into place", tmp.display()))?;
    }
    let root = find_tree_root(&done).ok_or_else(|| Error::Source {
        path: tarball.to_path_buf(),
        msg:
            "the tarball holds no kernel tree (no top-level directory with a Makefile and Kconfig)"
                .into(),
    })?;
    let version = kernel_version(&root)?;
    Ok(SourceTree {
        kind: SourceKind::Tarball,
        origin: spec.to_string(),
        root,
        build_key: key.clone(),
        key,
        version,
    })
}

fn find_tree_root(dir: &Path) -> Option<PathBuf> {
    if dir.join("Makefile").is_file() && dir.join("Kconfig").is_file() {
        return Some(dir.to_path_buf());
    }
    let rd = std::fs::read_dir(dir).ok()?;
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && p.join("Makefile").is_file() && p.join("Kconfig").is_file() {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_package_names_the_package() {
        let e = resolve("linux-source-9.99").unwrap_err().to_string();
        assert!(
            e.contains("apt-get install --no-install-recommends linux-source-9.99"),
            "{e}"
        );
    }

    #[test]
    fn a_directory_that_is_not_a_kernel_tree_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = prepare(d.path().to_str().unwrap()).unwrap_err().to_string();
        assert!(
            e.contains("not a kernel tree") && e.contains("Makefile"),
            "{e}"
        );
    }

    #[test]
    fn version_comes_from_the_makefile() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("Makefile"),
            "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 57\nEXTRAVERSION =\nNAME = Baby Opossum\n",
        )
        .unwrap();
        assert_eq!(kernel_version(d.path()).unwrap(), "6.12.57");
    }
}
