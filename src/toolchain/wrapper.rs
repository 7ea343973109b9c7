//! Compiler wrappers (ccache, sccache, distcc, icecc) as data: `toolchains/wrapper/*.toml`.
//! A wrapper prefixes the compiler in kbuild's `CC` (and `HOSTCC` where the file says so);
//! its program, daemon and statistics commands come from the file, never from code.

use super::Requirement;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A wrapper's long-running daemon (distccd, iceccd, the sccache server).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Daemon {
    pub program: String,
    pub package: String,
    /// argv that starts it (documentation for `doctor`; kcross never starts a farm itself)
    #[serde(default)]
    pub start: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Wrapper {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// the program put before the compiler
    pub program: String,
    /// the Debian package that provides `program`
    pub package: String,
    /// `CC="<program> <compiler>"`
    pub wrap_cc: bool,
    /// `HOSTCC="<program> gcc"` as well
    #[serde(default)]
    pub wrap_hostcc: bool,
    #[serde(default)]
    pub daemon: Option<Daemon>,
    /// argv that zeroes the wrapper's statistics (empty: it keeps none)
    #[serde(default)]
    pub stats_zero: Vec<String>,
    /// argv that prints the statistics (empty: it keeps none)
    #[serde(default)]
    pub stats_print: Vec<String>,
    #[serde(skip_deserializing, default)]
    pub origin: String,
}

impl Wrapper {
    /// The programs this wrapper needs on the build host, with their packages.
    pub fn requires(&self) -> Vec<Requirement> {
        vec![Requirement {
            program: self.program.clone(),
            package: self.package.clone(),
        }]
    }

    /// Refuse a wrapper whose program is not on PATH: an input error naming the program and
    /// the Debian package that provides it (exit 2).
    pub fn check_present(&self) -> Result<()> {
        self.check_present_in(std::env::var_os("PATH").as_deref())
    }

    /// `check_present` against an explicit PATH (tests).
    pub fn check_present_in(&self, path: Option<&std::ffi::OsStr>) -> Result<()> {
        let cwd = std::env::current_dir().unwrap_or_default();
        match which::which_in(&self.program, path, cwd) {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::input(
                format!("wrapper {}", self.name),
                format!(
                    "`{}` is not installed (Debian package {}; scripts/setup installs it)",
                    self.program, self.package
                ),
            )),
        }
    }

    /// The make variables with the wrapper applied: `CC=<program> <cc>`, and
    /// `HOSTCC=<program> <hostcc>` when the wrapper wraps the host compiler. Each is one
    /// argv element for make (make splits `CC` itself); nothing passes through a shell.
    pub fn make_vars(&self, cc: &str, hostcc: &str) -> Vec<String> {
        let mut v = Vec::new();
        if self.wrap_cc {
            v.push(format!("CC={} {cc}", self.program));
        }
        if self.wrap_hostcc {
            v.push(format!("HOSTCC={} {hostcc}", self.program));
        }
        v
    }
}

/// Parse one wrapper file; errors name `origin:line:col`.
pub fn parse(origin: &str, text: &str) -> Result<Wrapper> {
    let mut w: Wrapper = toml::from_str(text).map_err(|e| super::toml_error(origin, text, &e))?;
    w.origin = origin.to_string();
    Ok(w)
}

impl super::Registry {
    /// A wrapper by name; an unknown one is a usage error listing the known ones.
    pub fn wrapper(&self, name: &str) -> Result<&Wrapper> {
        self.wrappers.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.wrappers.keys().map(String::as_str).collect();
            Error::Usage(format!(
                "unknown wrapper `{name}` (known: {}; toolchains/wrapper/*.toml)",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> super::super::Registry {
        super::super::Registry::load(&[]).unwrap()
    }

    #[test]
    fn builtin_wrappers_name_their_packages() {
        let r = reg();
        for (name, pkg) in [
            ("ccache", "ccache"),
            ("sccache", "sccache"),
            ("distcc", "distcc"),
            ("icecc", "icecc"),
        ] {
            let w = r.wrapper(name).unwrap();
            assert_eq!(w.package, pkg, "{name}");
            assert!(w.wrap_cc, "{name} wraps CC");
            assert_eq!(w.origin, format!("toolchains/wrapper/{name}.toml"));
        }
        // distributed wrappers have daemons; ccache has none but keeps statistics
        assert_eq!(
            r.wrapper("distcc")
                .unwrap()
                .daemon
                .as_ref()
                .unwrap()
                .program,
            "distccd"
        );
        assert!(r.wrapper("ccache").unwrap().daemon.is_none());
        assert!(!r.wrapper("ccache").unwrap().stats_print.is_empty());
        let e = r.wrapper("nosuch").unwrap_err();
        assert!(
            e.to_string().contains("ccache, distcc, icecc, sccache"),
            "{e}"
        );
    }

    #[test]
    fn kbuild_cc_string() {
        let r = reg();
        let cc = r
            .wrapper("ccache")
            .unwrap()
            .make_vars("riscv64-linux-gnu-gcc", "gcc");
        assert_eq!(cc, ["CC=ccache riscv64-linux-gnu-gcc", "HOSTCC=ccache gcc"]);
        let d = r
            .wrapper("distcc")
            .unwrap()
            .make_vars("riscv64-linux-gnu-gcc", "gcc");
        assert_eq!(d, ["CC=distcc riscv64-linux-gnu-gcc"], "HOSTCC stays local");
    }

    #[test]
    fn missing_wrapper_names_the_package_exit_2() {
        let r = reg();
        let w = r.wrapper("ccache").unwrap();
        // the real ccache, found through the real PATH (scripts/setup installs it)
        let dir = which::which("ccache").expect("ccache (scripts/setup installs it)");
        let dir = dir.parent().unwrap().as_os_str().to_owned();
        w.check_present_in(Some(&dir)).unwrap();
        // the same wrapper against a PATH without it
        let empty = std::env::temp_dir().join("kcross-no-wrapper-here");
        std::fs::create_dir_all(&empty).unwrap();
        let e = w.check_present_in(Some(empty.as_os_str())).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(
            msg.contains("wrapper ccache") && msg.contains("Debian package ccache"),
            "{msg}"
        );
    }

    #[test]
    fn bad_wrapper_file_names_file_and_line() {
        let e = parse(
            "w.toml",
            "name = \"x\"\nprogram = \"x\"\npackage = \"x\"\nwrap_cc = 3\n",
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("w.toml:4"), "{e}");
    }
}
