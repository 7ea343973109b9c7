//! Sandboxed builds (`--sandbox`; on by default for `kcross series`): make runs under
//! bubblewrap (`bwrap`, Debian's `bubblewrap`) with no network, the whole system (the
//! source among it) read-only, and only the cell's build dir, kcross's working copy (a
//! series' tree) and a private /tmp writable. The argv is built here as literal arguments
//! (no shell); the build stage only asks `Sandbox::wrap` for the wrapped command.
//!
//! `probe` is the one way to get a `Sandbox`: it refuses when bwrap is missing (naming the
//! package) or cannot start a trivial command (no user namespaces: bwrap's own message), so
//! a `--sandbox` run never falls back silently to an unsandboxed one.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The program and the Debian package it comes from.
pub const PROGRAM: &str = "bwrap";
pub const PACKAGE: &str = "bubblewrap";

/// A sandbox that has been shown to work on this host (see `probe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    /// bwrap, as found on PATH.
    bwrap: PathBuf,
    /// Writable besides each make's build dir (a series' working copy).
    writable: Vec<PathBuf>,
}

/// Lines of a sandboxed make's log that say the sandbox stopped something: what a build
/// that failed because of the sandbox shows in its reason.
/// (The sandbox has its own network namespace with only a loopback nobody listens on, so a
/// connection is refused or finds no route.)
const DENIALS: &[&str] = &[
    "Read-only file system",
    "Network is unreachable",
    "Connection refused",
    "Cannot assign requested address",
    "Temporary failure in name resolution",
];

impl Sandbox {
    /// Also let the sandboxed makes write `dir` (kcross's working copy of a series).
    pub fn with_writable(mut self, dir: &Path) -> Sandbox {
        self.writable.push(dir.to_path_buf());
        self
    }

    /// bwrap, as found on PATH.
    pub fn program(&self) -> &Path {
        &self.bwrap
    }

    /// The bwrap argv (after the program) that runs `program args` with `build_dir` and the
    /// extra writable dirs writable, `cwd` (if any) as the working directory. Order matters:
    /// the private /tmp comes after the read-only root and before the binds, so a build dir
    /// under /tmp is bound back into it.
    pub fn argv(
        &self,
        build_dir: &Path,
        program: &std::ffi::OsStr,
        args: &[OsString],
        cwd: Option<&Path>,
    ) -> Vec<OsString> {
        let mut v: Vec<OsString> = Vec::new();
        let mut push = |s: &str| v.push(OsString::from(s));
        push("--die-with-parent");
        push("--unshare-net");
        push("--ro-bind");
        push("/");
        push("/");
        push("--dev");
        push("/dev");
        push("--tmpfs");
        push("/tmp");
        for p in self.writable_dirs(build_dir) {
            v.push("--bind".into());
            v.push(p.into());
            v.push(p.into());
        }
        // The source and the rest of the system stay read-only from `--ro-bind / /`; one
        // that lives under /tmp is hidden by the private /tmp, so it is bound back read-only.
        for a in args.iter().filter_map(under_tmp) {
            if !v.iter().any(|x| x == a.as_os_str()) {
                v.push("--ro-bind".into());
                v.push(a.clone().into());
                v.push(a.into());
            }
        }
        if let Some(d) = cwd {
            v.push("--chdir".into());
            v.push(d.into());
        }
        v.push("--".into());
        v.push(program.to_os_string());
        v.extend(args.iter().cloned());
        v
    }

    /// The dirs a make writes in the sandbox: its build dir, then the extra ones.
    fn writable_dirs<'a>(&'a self, build_dir: &'a Path) -> impl Iterator<Item = &'a Path> {
        std::iter::once(build_dir).chain(self.writable.iter().map(PathBuf::as_path))
    }

    /// `cmd` run inside the sandbox: the same program, arguments, environment changes and
    /// working directory, as `bwrap ... -- program args`. Stdio and process-group settings
    /// are left to the caller, who sets them on the returned command.
    pub fn wrap(&self, cmd: &Command, build_dir: &Path) -> Command {
        let args: Vec<OsString> = cmd.get_args().map(OsString::from).collect();
        let cwd = cmd.get_current_dir();
        for p in self.writable_dirs(build_dir) {
            // Made first, so the bind has a source (a fresh build dir does not exist yet).
            let _ = std::fs::create_dir_all(p);
        }
        let mut w = Command::new(&self.bwrap);
        w.args(self.argv(build_dir, cmd.get_program(), &args, cwd));
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => w.env(k, v),
                None => w.env_remove(k),
            };
        }
        if let Some(d) = cwd {
            w.current_dir(d);
        }
        w
    }
}

#[cfg(test)]
impl Sandbox {
    /// A sandbox that was never probed, for tests that only render its argv.
    pub(crate) fn unprobed(bwrap: &Path, writable: Vec<PathBuf>) -> Sandbox {
        Sandbox {
            bwrap: bwrap.to_path_buf(),
            writable,
        }
    }
}

/// A `-C DIR` value or path argument under /tmp (the source tree when it lives there).
fn under_tmp(a: &OsString) -> Option<PathBuf> {
    let p = Path::new(a);
    (p.is_absolute() && p.starts_with("/tmp/") && p.is_dir()).then(|| p.to_path_buf())
}

/// Find bwrap and show it can start a trivial command with the sandbox's own options.
/// Missing: `MissingTool` naming `bubblewrap`; present but unable to start (user namespaces
/// unavailable, or a broken bwrap): a usage error quoting bwrap's own message. Both exit 2.
pub fn probe(needed_by: &str) -> Result<Sandbox> {
    let bwrap = which::which(PROGRAM).map_err(|_| Error::MissingTool {
        tool: PROGRAM.into(),
        needed_by: needed_by.into(),
        package: PACKAGE.into(),
    })?;
    let sb = Sandbox {
        bwrap: bwrap.clone(),
        writable: Vec::new(),
    };
    let scratch = std::env::temp_dir().join(format!("kcross-sandbox-probe-{}", std::process::id()));
    let mut cmd = sb.wrap(&Command::new("true"), &scratch);
    let out = crate::proc::run_capture(&mut cmd);
    let _ = std::fs::remove_dir(&scratch);
    let out = out?;
    if out.status.success() {
        return Ok(sb);
    }
    let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(Error::Usage(format!(
        "{needed_by}: the sandbox cannot start here: `{} ... true` failed ({}): {}; \
         bwrap needs user namespaces (see /proc/sys/kernel/unprivileged_userns_clone and \
         /proc/sys/user/max_user_namespaces) or root; refusing to build unsandboxed (drop \
         the sandbox flag to build without it)",
        bwrap.display(),
        out.status,
        if said.is_empty() { "no message" } else { &said }
    )))
}

/// The first line of a sandboxed make's log where the sandbox stopped something (a write to
/// the read-only system, a connection without a network), if any.
pub fn denial(log: &str) -> Option<String> {
    log.lines()
        .find(|l| DENIALS.iter().any(|d| l.contains(d)))
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb() -> Sandbox {
        Sandbox {
            bwrap: "/usr/bin/bwrap".into(),
            writable: vec!["/work/wc".into()],
        }
    }

    #[test]
    fn the_argv_is_literal_with_the_build_dir_and_working_copy_writable() {
        let t = tempfile::tempdir().unwrap();
        let bd = t.path().join("bd");
        let args: Vec<OsString> =
            vec!["-C".into(), "/nonexistent/src".into(), "$(rm -rf ~)".into()];
        let v = sb().argv(&bd, "make".as_ref(), &args, None);
        let s: Vec<String> = v.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let pos = |x: &str| s.iter().position(|a| a == x).unwrap();
        assert!(s.contains(&"--unshare-net".to_string()), "{s:?}");
        assert_eq!(
            &s[pos("--ro-bind")..pos("--ro-bind") + 3],
            ["--ro-bind", "/", "/"]
        );
        assert!(pos("--tmpfs") < pos("--bind"), "{s:?}");
        let bds = bd.display().to_string();
        assert!(s.windows(3).any(|w| w == ["--bind", &bds, &bds]), "{s:?}");
        assert!(
            s.windows(3)
                .any(|w| w == ["--bind", "/work/wc", "/work/wc"]),
            "{s:?}"
        );
        // The command after `--`, every value one element, untouched.
        assert_eq!(
            &s[pos("--") + 1..],
            ["make", "-C", "/nonexistent/src", "$(rm -rf ~)"]
        );
        // argv only describes; wrap makes the binds' sources (a fresh build dir).
        assert!(!bd.exists());
        let wc = t.path().join("wc");
        let sb = Sandbox {
            writable: vec![wc.clone()],
            ..sb()
        };
        sb.wrap(&Command::new("make"), &bd);
        assert!(bd.is_dir() && wc.is_dir());
    }

    #[test]
    fn wrap_keeps_the_environment_changes_and_directory() {
        let t = tempfile::tempdir().unwrap();
        let mut c = Command::new("make");
        c.arg("x")
            .env("LC_ALL", "C")
            .env_remove("MAKEFLAGS")
            .current_dir("/");
        let w = sb().wrap(&c, &t.path().join("bd"));
        assert_eq!(w.get_program(), "/usr/bin/bwrap");
        let envs: Vec<_> = w.get_envs().collect();
        assert!(
            envs.contains(&("LC_ALL".as_ref(), Some("C".as_ref()))),
            "{envs:?}"
        );
        assert!(envs.contains(&("MAKEFLAGS".as_ref(), None)), "{envs:?}");
        assert_eq!(w.get_current_dir(), Some(Path::new("/")));
    }

    #[test]
    fn a_denial_is_found_in_the_log_and_an_ordinary_failure_is_not() {
        let log = "  CC mm/x.o\nsh: 1: cannot create /root/pwned: Read-only file system\nmake: *** [x] Error 2\n";
        assert_eq!(
            denial(log).as_deref(),
            Some("sh: 1: cannot create /root/pwned: Read-only file system")
        );
        assert_eq!(
            denial("mm/x.c:1:1: error: expected ';'\nmake: *** Error 1\n"),
            None
        );
    }
}
