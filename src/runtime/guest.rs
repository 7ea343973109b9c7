//! The guest side: kcross's own static /init (guest/*.c, built into the kcross binary),
//! cross-compiled once per arch and guest-source version into the cache, and the
//! initramfs (a newc cpio written here) that carries it and the list of tests to run.

use super::cpio::{self, Entry};
use crate::error::{Error, IoContext, Result};
use crate::toolchain::QemuSpec;
use crate::util::embedded_files;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guest sources (`guest/*.c`, `guest/*.h`) built into this kcross.
pub fn sources() -> Vec<(&'static str, &'static str)> {
    embedded_files("guest/")
        .filter(|(p, _)| p.ends_with(".c") || p.ends_with(".h"))
        .collect()
}

fn key(spec: &QemuSpec) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(spec.guest_cc.as_bytes());
    for f in &spec.guest_cflags {
        h.update(b"\0");
        h.update(f.as_bytes());
    }
    for (p, t) in sources() {
        h.update(b"\0");
        h.update(p.as_bytes());
        h.update(b"\0");
        h.update(t.as_bytes());
    }
    let d = h.finalize();
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The compiler and the package to install when it is missing.
pub fn requirement(spec: &QemuSpec) -> crate::toolchain::Requirement {
    crate::toolchain::Requirement {
        program: spec.guest_cc.clone(),
        package: spec
            .guest_cc_package
            .clone()
            .unwrap_or_else(|| spec.guest_libc_package.clone()),
    }
}

/// Build (or find in the cache) the static guest init for `arch`; returns its path.
/// `Err` only for kcross's own inability: a missing compiler or static libc
/// (`Error::MissingTool` with the Debian package), or guest sources that do not build.
pub fn build_init(
    spec: &QemuSpec,
    arch: &str,
    work: &Path,
    sandbox: Option<&crate::sandbox::Sandbox>,
) -> Result<PathBuf> {
    let dir = work.join("guest").join(format!("{arch}-{}", key(spec)));
    let init = dir.join("init");
    if init.is_file() {
        return Ok(init);
    }
    let _lock = crate::util::FileLock::acquire(&work.join("guest").join(format!("{arch}.lock")))?;
    if init.is_file() {
        return Ok(init);
    }
    let req = requirement(spec);
    if which::which(&req.program).is_err() {
        return Err(Error::MissingTool {
            tool: req.program,
            needed_by: format!("the {arch} guest programs (runtime stage)"),
            package: req.package,
        });
    }
    let src = dir.join("src");
    std::fs::create_dir_all(&src).ctx(|| format!("creating {}", src.display()))?;
    let mut cfiles = Vec::new();
    for (p, text) in sources() {
        let name = p.strip_prefix("guest/").unwrap_or(p);
        let dest = src.join(name);
        crate::atomic::write(&dest, text.as_bytes())?;
        if name.ends_with(".c") {
            cfiles.push(dest);
        }
    }
    let tmp = dir.join("init.tmp");
    let mut cmd = Command::new(&spec.guest_cc);
    cmd.args([
        "-static",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-format-truncation",
    ])
    .args(&spec.guest_cflags)
    .arg("-o")
    .arg(&tmp)
    .args(&cfiles)
    .env("LC_ALL", "C");
    // In the sandbox (`--sandbox`) only this guest dir is writable.
    let mut cmd = match sandbox {
        Some(sb) => sb.wrap(&cmd, &dir),
        None => cmd,
    };
    let out = crate::proc::run_capture(&mut cmd)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains("cannot find -lc") || err.contains("stdio.h: No such file") {
            return Err(Error::MissingTool {
                tool: format!("static libc for {} ({})", arch, spec.guest_cc),
                needed_by: format!("the {arch} guest programs (runtime stage)"),
                package: spec.guest_libc_package.clone(),
            });
        }
        return Err(Error::input(
            "guest/",
            format!(
                "the guest programs do not build with {}: {}",
                crate::proc::describe(&cmd),
                err.trim()
            ),
        ));
    }
    std::fs::rename(&tmp, &init).ctx(|| format!("renaming into {}", init.display()))?;
    Ok(init)
}

/// The initramfs: `/init`, `/kcross/tests` (one test name per line), the directories init
/// mounts on, and `extra` files under `/kcross/` (e.g. `devdax.conf`).
pub fn initramfs(init: &Path, tests: &[&str], extra: &[(&str, Vec<u8>)]) -> Result<Vec<u8>> {
    let data = std::fs::read(init).ctx(|| format!("reading {}", init.display()))?;
    let mut list = String::new();
    for t in tests {
        list.push_str(t);
        list.push('\n');
    }
    let dir = |p: &str| Entry::Dir {
        path: p.to_string(),
        mode: 0o755,
    };
    let mut entries = vec![
        dir("dev"),
        Entry::CharDev {
            path: "dev/console".into(),
            mode: 0o600,
            major: 5,
            minor: 1,
        },
        dir("proc"),
        dir("sys"),
        dir("tmp"),
        dir("kcross"),
        Entry::File {
            path: "kcross/tests".into(),
            mode: 0o644,
            data: list.into_bytes(),
        },
        Entry::File {
            path: "init".into(),
            mode: 0o755,
            data,
        },
    ];
    for (name, bytes) in extra {
        entries.push(Entry::File {
            path: format!("kcross/{name}"),
            mode: 0o644,
            data: bytes.clone(),
        });
    }
    Ok(cpio::archive(&entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded guest sources build, statically, for every arch with a QEMU description
    /// (scripts/test installs every arch's guest compiler and libc: `setup --all-arches`),
    /// and the result is cached by content.
    #[test]
    fn guest_init_builds_for_each_runtime_arch() {
        let reg = crate::toolchain::Registry::load(&[]).unwrap();
        let work = tempfile::tempdir().unwrap();
        let mut built = Vec::new();
        for a in reg.arches.values() {
            let Some(q) = &a.qemu else { continue };
            let init = build_init(q, &a.name, work.path(), None)
                .unwrap_or_else(|e| panic!("{}: {e} (scripts/setup --all-arches)", a.name));
            let bytes = std::fs::read(&init).unwrap();
            assert_eq!(&bytes[..4], b"\x7fELF", "{}", a.name);
            assert_eq!(build_init(q, &a.name, work.path(), None).unwrap(), init);
            let cpio = initramfs(&init, &["boot"], &[("devdax.conf", b"x=1\n".to_vec())]).unwrap();
            assert!(cpio.len() > bytes.len());
            built.push(a.name.as_str());
        }
        for a in ["x86_64", "powerpc64le", "powerpc64", "i386", "arm", "s390x"] {
            assert!(built.contains(&a), "{a}: {built:?}");
        }
    }

    /// `--sandbox` builds the guest programs inside bwrap (only the guest dir writable), and
    /// they come out the same kind of static ELF.
    #[test]
    fn guest_init_builds_in_the_sandbox() {
        let reg = crate::toolchain::Registry::load(&[]).unwrap();
        let q = reg.arch("x86_64").unwrap().qemu.clone().unwrap();
        let sb = crate::sandbox::probe("the guest test").unwrap();
        let work = tempfile::tempdir().unwrap();
        let init = build_init(&q, "x86_64", work.path(), Some(&sb)).unwrap();
        let bytes = std::fs::read(&init).unwrap();
        assert_eq!(&bytes[..4], b"\x7fELF");
    }
}
