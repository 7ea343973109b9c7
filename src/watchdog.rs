//! The watchdog: a second process that ends kcross's children when kcross itself dies without
//! a chance to do so (SIGKILL from a CI time limit, an OOM kill, a crash).
//!
//! Why a watchdog and not `PR_SET_PDEATHSIG` or a subreaper: the death signal reaches only the
//! direct child (make), never its compilers or linker, which run on, silently, until their
//! job ends (a vmlinux link for tens of seconds); and it fires when the *thread* that spawned
//! the child exits, not the process. A subreaper adopts orphans only while it lives, and
//! kcross is the one that died. The watchdog is a copy of the kcross binary
//! (`kcross __watchdog`) in a process group of its own. kcross keeps the write end of a pipe
//! to it and announces every process group it creates (`+PGID`) and ends (`-PGID`). When kcross
//! is gone, for any reason, the kernel closes that pipe; the watchdog reads EOF, sends SIGKILL
//! to every group still announced, and exits. A group stays announced only while kcross has
//! not ended it, and kcross ends a group while the group's leader is still unreaped (see
//! `proc::GroupChild`), so the pgid the watchdog signals cannot have been reused by then
//! unless every member of the group has exited too (then there is nothing left to end).

use std::io::{BufRead, Write};
use std::sync::Mutex;

/// The argument that turns the kcross binary into the watchdog.
pub const ARG: &str = "__watchdog";

static PIPE: Mutex<Option<std::io::PipeWriter>> = Mutex::new(None);

/// Start the watchdog for this process (once; later calls do nothing). Without it kcross
/// still ends its children on Ctrl-C and SIGTERM; it is what covers SIGKILL.
/// `KCROSS_NO_WATCHDOG=1` leaves it off (the signal tests use it to show what it prevents).
pub fn start() {
    let mut slot = PIPE.lock().unwrap();
    if slot.is_some() || std::env::var_os("KCROSS_NO_WATCHDOG").is_some_and(|v| v == "1") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    // std's pipes are close-on-exec: no other child inherits the write end, so EOF comes
    // exactly when this process is gone.
    let Ok((reader, writer)) = std::io::pipe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(ARG)
        .stdin(reader)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    if cmd.spawn().is_ok() {
        *slot = Some(writer);
    }
}

/// Tell the watchdog about a process group kcross created (`true`) or has ended (`false`).
pub fn announce(pgid: i32, alive: bool) {
    if let Some(w) = PIPE.lock().unwrap().as_mut() {
        // One short write is atomic on a pipe. A watchdog that is gone is not an error.
        let _ = writeln!(w, "{}{pgid}", if alive { '+' } else { '-' });
    }
}

/// The watchdog's main: follow the announcements on stdin; at EOF end what is left.
pub fn main() -> i32 {
    let mut groups = std::collections::BTreeSet::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (sign, n) = line.split_at(line.len().min(1));
        let Ok(pgid) = n.parse::<i32>() else { continue };
        if pgid <= 1 {
            continue;
        }
        match sign {
            "+" => groups.insert(pgid),
            "-" => groups.remove(&pgid),
            _ => false,
        };
    }
    for pgid in groups {
        // SAFETY: kill(2) of a process group kcross created and had not ended.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    0
}
