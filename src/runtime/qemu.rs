//! One boot: the QEMU command line from the arch's `[qemu]` data, run in its own process
//! group with the console captured (streamed into the log, then renamed into place), a hard
//! timeout after which QEMU is killed, and a grace period after the guest said it is
//! powering off. QEMU is never left running: every path ends in exit or kill.

use crate::error::{Error, IoContext, Result};
use crate::proc::GroupChild;
use crate::toolchain::QemuSpec;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The line init prints last, before it powers off.
pub const END_MARKER: &str = "# kcross: powering off";

/// Keep at most this much console in memory and in the log.
const CONSOLE_CAP: usize = 16 << 20;

/// `4G`, `512M`, `4194432K`, `1073741824` -> bytes.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        Some('T' | 't') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (bytes, or a number with K/M/G/T)"))
}

/// An nvdimm to attach: its backing file (made fresh for every boot by the caller) and size.
pub struct Nvdimm {
    pub backing: PathBuf,
    pub size: u64,
}

/// Everything one boot needs.
pub struct BootSpec<'a> {
    pub arch: &'a str,
    pub origin: &'a str,
    pub qemu: &'a QemuSpec,
    pub image: &'a Path,
    pub initramfs: &'a Path,
    pub nvdimm: Option<Nvdimm>,
    pub extra_kernel_args: &'a [String],
    pub timeout: Duration,
    /// How long QEMU may take to exit after the end marker before it is killed.
    pub grace: Duration,
    pub log: &'a Path,
}

/// The argv (without the program), every value one element: no shell anywhere.
pub fn args(b: &BootSpec) -> Result<Vec<OsString>> {
    let q = b.qemu;
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |s: &str| a.push(OsString::from(s));
    push("-machine");
    push(&q.machine);
    push("-cpu");
    push(&q.cpu);
    let mut mem = q.memory.clone();
    if let Some(s) = q.slots {
        mem.push_str(&format!(",slots={s}"));
    }
    if let Some(m) = &q.maxmem {
        mem.push_str(&format!(",maxmem={m}"));
    }
    push("-m");
    push(&mem);
    push("-display");
    push("none");
    push("-monitor");
    push("none");
    push("-serial");
    push("stdio");
    push("-net");
    push("none");
    let mut cmdline: Vec<&str> = q.kernel_args.iter().map(String::as_str).collect();
    cmdline.extend(b.extra_kernel_args.iter().map(String::as_str));
    push("-append");
    push(&cmdline.join(" "));
    for e in &q.extra_args {
        push(e);
    }
    a.push("-kernel".into());
    a.push(b.image.as_os_str().to_owned());
    a.push("-initrd".into());
    a.push(b.initramfs.as_os_str().to_owned());
    if let Some(nv) = &b.nvdimm {
        let mut vars = BTreeMap::new();
        // QEMU option syntax: a literal comma in a value is written twice.
        vars.insert(
            "backing".to_string(),
            nv.backing.to_string_lossy().replace(',', ",,"),
        );
        vars.insert("size".to_string(), nv.size.to_string());
        vars.insert("uuid".to_string(), crate::util::id::random_uuid());
        for t in &q.nvdimm_args {
            let v = crate::toolchain::expand(t, &vars)
                .map_err(|m| Error::input(format!("{} [qemu] nvdimm_args", b.origin), m))?;
            a.push(v.into());
        }
    }
    Ok(a)
}

/// What happened during one boot (the verdict is decided by the caller).
#[derive(Debug, Clone)]
pub struct BootRun {
    pub console: String,
    pub qemu_stderr: String,
    /// QEMU's exit code when it ended by itself.
    pub exit_code: Option<i32>,
    /// Killed at the timeout.
    pub timed_out: bool,
    /// The guest printed the end marker and QEMU then ended by itself.
    pub powered_off: bool,
    /// The guest printed the end marker.
    pub finished: bool,
    /// Seconds from QEMU's start to the KTAP header (init running).
    pub boot_s: Option<f64>,
    /// Seconds from the KTAP header to the end marker (or to the end of QEMU).
    pub test_s: Option<f64>,
    pub total_s: f64,
    /// QEMU's peak resident set (VmHWM), KiB.
    pub peak_rss_kib: Option<u64>,
    pub command: Vec<String>,
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

enum Msg {
    Line(String),
    Eof,
}

/// Run QEMU once. `on_line` sees each console line as it arrives.
pub fn boot(b: &BootSpec, mut on_line: impl FnMut(&str)) -> Result<BootRun> {
    let q = b.qemu;
    if which::which(&q.binary).is_err() {
        return Err(Error::MissingTool {
            tool: q.binary.clone(),
            needed_by: format!("booting {} kernels (runtime stage)", b.arch),
            package: q.package.clone(),
        });
    }
    let argv = args(b)?;
    let mut cmd = Command::new(&q.binary);
    cmd.args(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let command: Vec<String> = std::iter::once(q.binary.clone())
        .chain(argv.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect();
    let dir = b.log.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    let mut log = tempfile::Builder::new()
        .prefix(".kcross-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .ctx(|| format!("creating a temp file in {}", dir.display()))?;

    let t0 = Instant::now();
    let mut child = GroupChild::spawn(&mut cmd)?;
    let pid = child.child.id();
    let mut stdout = child.child.stdout.take().expect("piped stdout");
    let mut stderr = child.child.stderr.take().expect("piped stderr");
    let errs = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = (&mut stderr).take(1 << 20).read_to_end(&mut v);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        v
    });
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut log_file = log
        .as_file()
        .try_clone()
        .ctx(|| "cloning the log file".into())?;
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut pending: Vec<u8> = Vec::new();
        let mut written = 0usize;
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if written < CONSOLE_CAP {
                let take = n.min(CONSOLE_CAP - written);
                let _ = log_file.write_all(&buf[..take]);
                written += take;
                if written >= CONSOLE_CAP {
                    let _ = log_file.write_all(b"\n[kcross: console output truncated here]\n");
                }
            }
            pending.extend_from_slice(&buf[..n]);
            while let Some(i) = pending.iter().position(|&c| c == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                let s = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if tx.send(Msg::Line(s)).is_err() {
                    return;
                }
            }
        }
        if !pending.is_empty() {
            let _ = tx.send(Msg::Line(String::from_utf8_lossy(&pending).into_owned()));
        }
        let _ = tx.send(Msg::Eof);
    });

    let header = regex::Regex::new(r"K?TAP version [0-9]+").unwrap();
    let mut console = String::new();
    let mut header_at: Option<Instant> = None;
    let mut end_at: Option<Instant> = None;
    let mut timed_out = false;
    let mut exit_code = None;
    let mut exited = false;
    let mut eof = false;
    let mut peak = None;
    let mut last_rss = Instant::now() - Duration::from_secs(1);
    let mut killed = false;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Line(l)) => {
                if header_at.is_none() && header.is_match(&l) {
                    header_at = Some(Instant::now());
                }
                if end_at.is_none() && l.trim() == END_MARKER {
                    end_at = Some(Instant::now());
                    peak = vm_hwm(pid).or(peak);
                }
                on_line(&l);
                if console.len() < CONSOLE_CAP {
                    console.push_str(&l);
                    console.push('\n');
                }
            }
            Ok(Msg::Eof) | Err(mpsc::RecvTimeoutError::Disconnected) => eof = true,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !exited {
            if last_rss.elapsed() >= Duration::from_millis(250) {
                peak = vm_hwm(pid).or(peak);
                last_rss = Instant::now();
            }
            if let Some(st) = child.child.try_wait().ctx(|| "waiting for QEMU".into())? {
                exit_code = st.code();
                exited = true;
            } else if t0.elapsed() >= b.timeout {
                timed_out = true;
                child.kill();
                killed = true;
                exited = true;
            } else if end_at.is_some_and(|e| e.elapsed() >= b.grace) {
                child.kill();
                killed = true;
                exited = true;
            }
        }
        if exited && eof {
            break;
        }
        if exited && !eof && t0.elapsed() >= b.timeout + Duration::from_secs(10) {
            // Something else holds the pipe open: stop waiting for it.
            break;
        }
    }
    let t_end = Instant::now();
    if !killed {
        child.wait()?;
    }
    crate::proc::check_interrupted()?;
    let _ = reader.join();
    let stderr_bytes = errs.join().unwrap_or_default();
    let qemu_stderr = String::from_utf8_lossy(&stderr_bytes).into_owned();
    if !qemu_stderr.trim().is_empty() {
        let _ = writeln!(
            log.as_file_mut(),
            "\n--- QEMU stderr ---\n{}",
            qemu_stderr.trim_end()
        );
    }
    log.as_file()
        .sync_all()
        .ctx(|| format!("syncing {}", b.log.display()))?;
    log.persist(b.log)
        .map_err(|e| e.error)
        .ctx(|| format!("renaming into {}", b.log.display()))?;
    let secs = |a: Instant, z: Instant| z.saturating_duration_since(a).as_secs_f64();
    Ok(BootRun {
        console,
        qemu_stderr,
        exit_code: if killed { None } else { exit_code },
        timed_out,
        powered_off: end_at.is_some() && !killed,
        finished: end_at.is_some(),
        boot_s: header_at.map(|h| secs(t0, h)),
        test_s: header_at.map(|h| secs(h, end_at.unwrap_or(t_end))),
        total_s: secs(t0, t_end),
        peak_rss_kib: peak,
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G").unwrap(), 4 << 30);
        assert_eq!(parse_size("4194432K").unwrap(), (4 << 30) + (128 << 10));
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("4GB").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn argv_from_data_with_nvdimm() {
        let reg = crate::toolchain::Registry::load(&[]).unwrap();
        let a = reg.arch("x86_64").unwrap();
        let q = a.qemu.as_ref().unwrap();
        let b = BootSpec {
            arch: "x86_64",
            origin: &a.origin,
            qemu: q,
            image: Path::new("/k/bzImage"),
            initramfs: Path::new("/k/initramfs.cpio"),
            nvdimm: Some(Nvdimm {
                backing: PathBuf::from("/tmp/a,b/nv"),
                size: 4 << 30,
            }),
            extra_kernel_args: &["rdinit=/nonexistent".to_string()],
            timeout: Duration::from_secs(1),
            grace: Duration::from_secs(1),
            log: Path::new("/tmp/x.log"),
        };
        let v: Vec<String> = args(&b)
            .unwrap()
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect();
        let at = |k: &str| v[v.iter().position(|x| x == k).unwrap() + 1].clone();
        assert_eq!(at("-m"), "1G,slots=2,maxmem=8G");
        assert!(at("-append").ends_with(" rdinit=/nonexistent"));
        assert_eq!(at("-kernel"), "/k/bzImage");
        assert!(
            v.iter()
                .any(|x| x.contains("mem-path=/tmp/a,,b/nv,size=4294967296")),
            "{v:?}"
        );
    }

    #[test]
    fn uuids_are_v4() {
        let u = crate::util::id::random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
