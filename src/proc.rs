//! Child processes (make, tar, git, nm, QEMU) run in their own process groups, are tracked,
//! and are ended as a group on Ctrl-C / SIGTERM. No command line ever passes through a shell:
//! every value from a matrix, patch or log reaches a child as one argv element.

use crate::error::{Error, IoContext, Result};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// True once SIGINT or SIGTERM arrived; long loops check it and return `Error::Interrupted`.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

pub fn check_interrupted() -> Result<()> {
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Install the SIGINT/SIGTERM handler once. The handler thread ends every tracked process
/// group (SIGTERM, then SIGKILL after a grace period); a second signal exits at once.
pub fn install_signal_handlers(announce: fn()) {
    INSTALL.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(s) => s,
            Err(_) => return,
        };
        std::thread::spawn(move || {
            for sig in signals.forever() {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    // A second Ctrl-C: no more patience.
                    kill_all(libc::SIGKILL);
                    std::process::exit(crate::error::interrupted_exit_code());
                }
                crate::error::note_interrupting_signal(sig);
                INTERRUPTED.store(true, Ordering::SeqCst);
                std::thread::spawn(move || {
                    kill_all(libc::SIGTERM);
                    std::thread::sleep(Duration::from_secs(3));
                    kill_all(libc::SIGKILL);
                    // Normally the main thread has returned Error::Interrupted by now. A
                    // worker may still wait for a jobserver token that a killed make never
                    // gave back, so do not wait for it forever.
                    std::thread::sleep(Duration::from_secs(2));
                    announce();
                    std::process::exit(crate::error::interrupted_exit_code());
                });
            }
        });
    });
}

fn kill_all(sig: i32) {
    let groups: Vec<i32> = GROUPS.lock().unwrap().iter().copied().collect();
    for pgid in groups {
        // SAFETY: plain kill(2) on a process group we created.
        unsafe {
            libc::kill(-pgid, sig);
        }
    }
}

/// A running child in its own process group; the group is ended when this is dropped.
pub struct GroupChild {
    pub child: Child,
    pgid: i32,
}

impl GroupChild {
    pub fn spawn(cmd: &mut Command) -> Result<GroupChild> {
        check_interrupted()?;
        cmd.process_group(0);
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .map_err(|e| Error::io(format!("starting {program}"), e))?;
        let pgid = child.id() as i32;
        GROUPS.lock().unwrap().insert(pgid);
        crate::watchdog::announce(pgid, true);
        Ok(GroupChild { child, pgid })
    }

    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.exited(false);
        self.end_group();
        let st = self.child.wait().ctx(|| "waiting for a child".into())?;
        check_interrupted()?;
        Ok(st)
    }

    /// Wait up to `limit`; on timeout the whole group is killed and `None` returned.
    pub fn wait_timeout(&mut self, limit: Duration) -> Result<Option<ExitStatus>> {
        let start = Instant::now();
        loop {
            if self.exited(true) {
                self.end_group();
                let st = self.child.wait().ctx(|| "waiting for a child".into())?;
                check_interrupted()?;
                return Ok(Some(st));
            }
            if start.elapsed() >= limit {
                self.kill();
                check_interrupted()?;
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the leader has exited *without reaping it* (`waitid(WNOWAIT)`): while it is
    /// an unreaped zombie its pid, which is the group's id, cannot be reused, so signalling
    /// the group afterwards can only reach what is left of this group. `poll`: don't block;
    /// true when it has exited.
    fn exited(&mut self, poll: bool) -> bool {
        let flags = libc::WEXITED | libc::WNOWAIT | if poll { libc::WNOHANG } else { 0 };
        loop {
            // SAFETY: waitid(2) on our own child into a zeroed siginfo_t.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            let r = unsafe { libc::waitid(libc::P_PID, self.pgid as libc::id_t, &mut info, flags) };
            if r == 0 {
                // With WNOHANG and nothing to report, si_pid stays 0.
                return unsafe { info.si_pid() } != 0;
            }
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                // ECHILD: already reaped (or never ours): nothing left to wait for.
                return true;
            }
        }
    }

    pub fn kill(&mut self) {
        // SAFETY: kill(2) on our own process group, whose leader is not reaped yet.
        unsafe {
            libc::kill(-self.pgid, libc::SIGKILL);
        }
        self.exited(false);
        self.end_group();
        let _ = self.child.wait();
    }

    /// End what is left of the group (a stray make job). Called only while the leader is an
    /// unreaped zombie or alive, never after `Child::wait` reaped it.
    fn end_group(&mut self) {
        if !GROUPS.lock().unwrap().remove(&self.pgid) {
            return;
        }
        unsafe {
            libc::kill(-self.pgid, libc::SIGKILL);
        }
        crate::watchdog::announce(self.pgid, false);
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        if GROUPS.lock().unwrap().contains(&self.pgid) {
            self.kill();
        }
    }
}

/// Run a command with stdout and stderr merged into `log` (appended), calling `on_line` for
/// each line as it arrives (progress display). Returns the exit status.
pub fn run_logged(cmd: &mut Command, log: &Path, on_line: impl FnMut(&str)) -> Result<ExitStatus> {
    Ok(run_logged_within(cmd, log, None, on_line)?.status)
}

/// How a child run under a time limit ended.
#[derive(Debug)]
pub struct Limited {
    pub status: ExitStatus,
    /// The limit was reached and the child's whole process group was killed.
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// `run_logged` under a time limit: when `limit` passes before the child exits, its whole
/// process group is killed (SIGKILL), even a child that writes nothing (a hung link), and
/// the result says `timed_out`. The leader is reaped only after the timer has been told the
/// run is over (under one lock), so the group's id the timer signals is never a reused one.
pub fn run_logged_within(
    cmd: &mut Command,
    log: &Path,
    limit: Option<Duration>,
    mut on_line: impl FnMut(&str),
) -> Result<Limited> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .ctx(|| format!("opening {}", log.display()))?;
    let (reader, writer) = std::io::pipe().ctx(|| "creating a pipe".into())?;
    let writer2 = writer.try_clone().ctx(|| "cloning a pipe".into())?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer2));
    let t0 = Instant::now();
    let mut child = GroupChild::spawn(cmd)?;
    // Drop our copies of the write end (held inside `cmd`) so EOF arrives when the child exits.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let timer = limit.map(|l| Timer::start(child.pgid, l));
    let mut rd = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = rd
            .read_until(b'\n', &mut buf)
            .ctx(|| "reading child output".into())?;
        if n == 0 {
            break;
        }
        file.write_all(&buf)
            .ctx(|| format!("writing {}", log.display()))?;
        let line = String::from_utf8_lossy(&buf);
        on_line(line.trim_end());
    }
    // The leader may still be running (it closed its output): wait without reaping, then
    // stop the timer before the group's id can be freed.
    let timed_out = match timer {
        Some(t) => {
            let done = t.done.clone();
            let (lock, cv) = &*done;
            loop {
                let mut st = lock.lock().unwrap();
                if st.fired || child.exited(true) {
                    st.over = true;
                    cv.notify_all();
                    break st.fired;
                }
                drop(st);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        None => false,
    };
    let status = child.wait()?;
    Ok(Limited {
        status,
        timed_out,
        elapsed: t0.elapsed(),
    })
}

#[derive(Default)]
struct TimerState {
    /// The run is over: the timer must not signal any more.
    over: bool,
    /// The timer killed the group.
    fired: bool,
}

/// Kills a process group once its limit passes, unless told first that the run is over.
struct Timer {
    done: std::sync::Arc<(Mutex<TimerState>, std::sync::Condvar)>,
}

impl Timer {
    fn start(pgid: i32, limit: Duration) -> Timer {
        let done =
            std::sync::Arc::new((Mutex::new(TimerState::default()), std::sync::Condvar::new()));
        let d = done.clone();
        std::thread::spawn(move || {
            let (lock, cv) = &*d;
            let deadline = Instant::now() + limit;
            let mut st = lock.lock().unwrap();
            while !st.over {
                let now = Instant::now();
                if now >= deadline {
                    // SAFETY: kill(2) on our child's group; its leader is not reaped yet
                    // (reaping waits for `over`, which we hold the lock of).
                    unsafe {
                        libc::kill(-pgid, libc::SIGKILL);
                    }
                    st.fired = true;
                    return;
                }
                st = cv.wait_timeout(st, deadline - now).unwrap().0;
            }
        });
        Timer { done }
    }
}

impl Drop for Timer {
    /// However the run ends (an early error return too), the timer stops before the child's
    /// `GroupChild` (declared before it, so dropped after it) reaps the leader.
    fn drop(&mut self) {
        let (lock, cv) = &*self.done;
        lock.lock().unwrap().over = true;
        cv.notify_all();
    }
}

/// Run a short command to completion, capturing stdout and stderr.
pub fn run_capture(cmd: &mut Command) -> Result<std::process::Output> {
    use std::io::Read;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = GroupChild::spawn(cmd)?;
    let mut out = child.child.stdout.take().expect("piped stdout");
    let mut err = child.child.stderr.take().expect("piped stderr");
    let errs = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut stdout = Vec::new();
    out.read_to_end(&mut stdout)
        .ctx(|| "reading child output".into())?;
    let stderr = errs.join().unwrap_or_default();
    let status = child.wait()?;
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Describe a command for error messages (not for execution).
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_child_is_killed_at_its_limit_and_a_quick_one_is_not() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("log");
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let r =
            run_logged_within(&mut cmd, &log, Some(Duration::from_millis(300)), |_| {}).unwrap();
        assert!(r.timed_out && !r.status.success(), "{r:?}");
        assert!(r.elapsed >= Duration::from_millis(300), "{r:?}");
        let mut cmd = Command::new("echo");
        cmd.arg("done");
        let mut lines = Vec::new();
        let r = run_logged_within(&mut cmd, &log, Some(Duration::from_secs(30)), |l| {
            lines.push(l.to_string())
        })
        .unwrap();
        assert!(!r.timed_out && r.status.success(), "{r:?}");
        assert_eq!(lines, ["done"]);
    }
}
