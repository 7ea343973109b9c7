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

/// Where and in which format a wrapper logs each call's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatsLog {
    /// the environment variable naming the log file
    pub env: String,
    /// the log's format: `ccache` (`# <file>` then one counter name per line)
    pub format: StatsFormat,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StatsFormat {
    Ccache,
}

/// The variable listing a farm's hosts and its format.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Slots {
    pub env: String,
    pub format: SlotsFormat,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SlotsFormat {
    /// `HOST[:PORT][/LIMIT][,OPTIONS]` words (distcc(1) "HOST SPECIFICATIONS"); a host
    /// without `/LIMIT` offers 4 jobs (`localhost` 2), `--` words are options.
    DistccHosts,
}

impl Slots {
    /// The job slots the environment's host list offers (None: the variable is unset or
    /// lists no host).
    pub fn offered(&self) -> Option<usize> {
        let v = std::env::var(&self.env).ok()?;
        let n = count_slots(self.format, &v);
        (n > 0).then_some(n)
    }
}

/// How each host of a farm is probed (see `Wrapper::host_probe`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostProbe {
    /// Literal variables for the probe compile, besides the one host.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// Seconds a host has to answer.
    #[serde(default = "default_probe_timeout_s")]
    pub timeout_s: u64,
    /// The variable naming the wrapper's own state dir (distcc's `DISTCC_DIR`), given a
    /// fresh one per probe: no host is judged by what an earlier job did there.
    #[serde(default)]
    pub state_env: Option<String>,
}

fn default_probe_timeout_s() -> u64 {
    30
}

/// The remote hosts of a host list in `format`, one word each (`localhost` is this machine,
/// not a host to probe; `--` words are options).
pub fn remote_hosts(format: SlotsFormat, hosts: &str) -> Vec<String> {
    let SlotsFormat::DistccHosts = format;
    hosts
        .split_whitespace()
        .filter(|w| !w.starts_with("--") && !w.starts_with('#') && !w.starts_with("localhost"))
        .map(str::to_string)
        .collect()
}

/// Job slots of a host list in `format`.
pub fn count_slots(format: SlotsFormat, hosts: &str) -> usize {
    let SlotsFormat::DistccHosts = format;
    hosts
        .split_whitespace()
        .filter(|w| !w.starts_with("--") && !w.starts_with('#'))
        .map(|w| {
            let w = w.split(',').next().unwrap_or(w);
            match w.split_once('/') {
                Some((_, n)) => n.parse().unwrap_or(4),
                None if w.starts_with("localhost") => 2,
                None => 4,
            }
        })
        .sum()
}

/// A cell's calls through the wrapper, from its stats log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct WrapperStats {
    pub wrapper: String,
    /// every call the wrapper saw (compiles, preprocessing, links, probes)
    pub calls: u64,
    /// cacheable calls answered from the cache
    pub hits: u64,
    /// cacheable calls that ran the compiler
    pub misses: u64,
    /// calls the wrapper could not cache (preprocessing only, linking, autoconf probes)
    pub uncacheable: u64,
}

impl WrapperStats {
    /// hits / (hits + misses), None when nothing cacheable ran.
    pub fn hit_rate(&self) -> Option<f64> {
        let c = self.hits + self.misses;
        (c > 0).then(|| self.hits as f64 / c as f64)
    }
}

/// Read a stats log in `format`: each call is a `# <file>` line and its counters; a call is a
/// hit if one counter is `direct_cache_hit` or `preprocessed_cache_hit`, a miss if one is
/// `cache_miss`, else uncacheable. Lines it does not know are ignored (newer ccache).
pub fn parse_stats_log(wrapper: &str, format: StatsFormat, text: &str) -> WrapperStats {
    let StatsFormat::Ccache = format;
    let mut s = WrapperStats {
        wrapper: wrapper.to_string(),
        ..Default::default()
    };
    let mut open: Option<(bool, bool)> = None;
    let close = |s: &mut WrapperStats, o: Option<(bool, bool)>| {
        if let Some((hit, miss)) = o {
            s.calls += 1;
            if hit {
                s.hits += 1;
            } else if miss {
                s.misses += 1;
            } else {
                s.uncacheable += 1;
            }
        }
    };
    for line in text.lines() {
        if line.starts_with("# ") {
            close(&mut s, open.take());
            open = Some((false, false));
        } else if let Some(o) = open.as_mut() {
            match line.trim() {
                "direct_cache_hit" | "preprocessed_cache_hit" => o.0 = true,
                "cache_miss" => o.1 = true,
                _ => {}
            }
        }
    }
    close(&mut s, open.take());
    s
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
    /// Environment for every make that uses the wrapper (`CCACHE_NOHASHDIR`): literal
    /// values, set on the command, never through a shell.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// The per-cell statistics: the variable naming a log file the wrapper appends each
    /// call's outcome to (ccache's `CCACHE_STATSLOG`), read back as the cell's hit rate.
    /// The global counters (`stats_print`) mix cells that build in parallel.
    #[serde(default)]
    pub stats_log: Option<StatsLog>,
    /// Where the remote job slots are listed (distcc's `DISTCC_HOSTS`): without `-j`, the
    /// jobserver gets as many tokens as the hosts offer.
    #[serde(default)]
    pub slots: Option<Slots>,
    /// argv that prints the wrapper's cache directory (`ccache --get-config cache_dir`):
    /// a sandboxed build gets that one directory writable, or the wrapper could not store
    /// a single result (empty: it keeps no cache)
    #[serde(default)]
    pub cache_dir: Vec<String>,
    /// Before a run, every host of `slots` compiles a one-line unit with each cell's
    /// compiler, alone and with this environment (distcc's `DISTCC_FALLBACK=0`: a job the
    /// host refuses fails instead of quietly compiling here): a server that lacks a cross
    /// compiler is an error naming the host and the compiler, not a farm that builds locally.
    #[serde(default)]
    pub host_probe: Option<HostProbe>,
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
    fn a_ccache_stats_log_counts_hits_misses_and_uncacheable_calls() {
        // written by bookworm's ccache 4.7.5 (CCACHE_STATSLOG): a compile, the same compile
        // again, and a preprocessor-only call
        let log = "# a.c\ncache_miss\ndirect_cache_miss\nlocal_storage_miss\n\
                   local_storage_read_miss\nlocal_storage_write\npreprocessed_cache_miss\n\
                   # a.c\ndirect_cache_hit\nlocal_storage_hit\nlocal_storage_read_hit\n\
                   # a.c\ncalled_for_preprocessing\n";
        let s = parse_stats_log("ccache", StatsFormat::Ccache, log);
        assert_eq!((s.calls, s.hits, s.misses, s.uncacheable), (3, 1, 1, 1));
        assert_eq!(s.hit_rate(), Some(0.5));
        let none = parse_stats_log("ccache", StatsFormat::Ccache, "");
        assert_eq!((none.calls, none.hit_rate()), (0, None));
    }

    #[test]
    fn remote_hosts_leave_out_localhost_and_options() {
        let h = remote_hosts(
            SlotsFormat::DistccHosts,
            "--randomize localhost/2 10.0.0.1:3633/4,lzo box",
        );
        assert_eq!(h, ["10.0.0.1:3633/4,lzo", "box"]);
        assert!(remote_hosts(SlotsFormat::DistccHosts, "localhost").is_empty());
    }

    #[test]
    fn distcc_hosts_offer_their_limits() {
        let n = |h| count_slots(SlotsFormat::DistccHosts, h);
        assert_eq!(n("127.0.0.1:3700/3 127.0.0.1:3701/2"), 5);
        assert_eq!(n("--randomize build1 localhost"), 6);
        assert_eq!(n("build1/8,lzo build2:4000/1,cpp,lzo"), 9);
        assert_eq!(n(""), 0);
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
